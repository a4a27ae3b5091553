/**
 * Runs a SPARQL 1.1 Update request (§3) in ONE store write transaction: every operation sees the
 * effects of the ones before it, and if any fails, none of them is kept.
 *
 * Determinism (so replicas can replay a request identically): fresh blank nodes are named from
 * the store's blank-node epoch, RAND() and UUID() come from a PRNG seeded by that epoch, and NOW()
 * is the instant the caller passes in. Nothing else in an update depends on time or chance.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as S from 'sparqljs';
import { iriKey, termToKey, type TermKey } from '../rdf/term-key.ts';
import { formatOfFileName } from '../rdf/media-types.ts';
import { createRdfParser } from '../rdf/rdf-parser.ts';
import { DEFAULT_GRAPH_ID } from '../store/indexes.ts';
import type { QuadStore, StoreWriter, IdQuad } from '../store/quad-store.ts';
import { Prng } from '../util/prng.ts';
import type { PatternTerm, TemplateQuad, DatasetClause, Operator } from './algebra.ts';
import { isVariable, UNIT_TABLE } from './algebra.ts';
import { parseSparql } from './parse.ts';
import { Translator } from './translate.ts';
import { Evaluator, type Solution } from './evaluate.ts';
import { resolveDataset } from './query-engine.ts';
import type { FunctionContext } from './expression-functions.ts';
import { SparqlSemanticError, UpdateExecutionError } from './sparql-errors.ts';

export interface UpdateOptions {
  baseIri?: string;
  /** The instant NOW() returns. */
  now: Date;
  /** The protocol's using-graph-uri / using-named-graph-uri (IRIs). */
  protocolDataset?: { defaultGraphs: string[]; namedGraphs: string[] };
  deadlineMs?: number;
}

export interface UpdateSummary {
  operations: number;
  insertedQuads: number;
  removedQuads: number;
}

export function prepareUpdate(text: string, baseIri?: string): S.Update {
  const parsed = parseSparql(text, baseIri) as S.SparqlQuery | { type?: undefined; prefixes: Record<string, string> };
  // A request with only a prologue (or nothing) is an empty update.
  if (parsed.type === undefined) return { type: 'update', prefixes: parsed.prefixes, updates: [] };
  if (parsed.type !== 'update') throw new SparqlSemanticError('this is a query; send it to /query');
  return parsed;
}

export function executeUpdate(store: QuadStore, update: S.Update, options: UpdateOptions): Promise<UpdateSummary> {
  return store.write((writer) => runUpdate(writer, update, options));
}

/**
 * Runs an update inside a write transaction the caller holds (the cluster applies several log
 * entries in one). A throw leaves the transaction's state undefined: the caller must abort it.
 */
export async function runUpdate(writer: StoreWriter, update: S.Update, options: UpdateOptions): Promise<UpdateSummary> {
  writer.finish();
  const insertedBefore = writer.insertedQuads;
  const removedBefore = writer.removedQuads;
  const run = new UpdateRun(writer, options);
  for (const operation of update.updates) await run.operation(operation);
  writer.finish();
  return { operations: update.updates.length, insertedQuads: writer.insertedQuads - insertedBefore, removedQuads: writer.removedQuads - removedBefore };
}

/** A quad of an INSERT DATA or DELETE DATA operation; a null graph is the default graph. */
export type DataQuad = [subject: TermKey, predicate: TermKey, object: TermKey, graph: TermKey | null];
export type DataOperation = { kind: 'insert' | 'delete'; quads: DataQuad[] };

/**
 * An update made only of INSERT DATA and DELETE DATA operations without blank nodes, as the
 * concrete quads each adds or removes (nothing to evaluate); undefined for any other update. The
 * cluster logs these instead of the text, so replicas apply them without parsing.
 */
export function dataOperations(update: S.Update): DataOperation[] | undefined {
  const translator = new Translator();
  const operations: DataOperation[] = [];
  for (const op of update.updates) {
    if (!('updateType' in op) || (op.updateType !== 'insert' && op.updateType !== 'delete')) return undefined;
    const quads: DataQuad[] = [];
    for (const quad of translator.quads(op.updateType === 'insert' ? op.insert : op.delete)) {
      const terms = [quad.subject, quad.predicate, quad.object, ...(quad.graph ? [quad.graph] : [])];
      if (terms.some((term) => isVariable(term) || term.key.startsWith('_:'))) return undefined;
      const [subject, predicate, object, graph] = terms as Array<{ key: TermKey }>;
      quads.push([subject.key, predicate.key, object.key, graph ? graph.key : null]);
    }
    operations.push({ kind: op.updateType, quads });
  }
  return operations;
}

/** Applies `dataOperations` inside a write transaction the caller holds: the same effect as running the update. */
export function applyDataOperations(writer: StoreWriter, operations: DataOperation[]): UpdateSummary {
  writer.finish();
  const insertedBefore = writer.insertedQuads;
  const removedBefore = writer.removedQuads;
  for (const operation of operations) {
    if (operation.kind === 'insert') {
      for (const [s, p, o, g] of operation.quads) writer.insertTerms(s, p, o, g ?? undefined);
      continue;
    }
    for (const [s, p, o, g] of operation.quads) {
      const ids = [writer.lookup(s), writer.lookup(p), writer.lookup(o), g === null ? DEFAULT_GRAPH_ID : writer.lookup(g)];
      if (ids.every((id) => id !== undefined)) writer.remove(ids as IdQuad);
    }
  }
  writer.finish();
  return { operations: operations.length, insertedQuads: writer.insertedQuads - insertedBefore, removedQuads: writer.removedQuads - removedBefore };
}

class UpdateRun {
  private readonly translator = new Translator();
  private readonly blankPrefix: string;
  private readonly functions: FunctionContext;
  private blankCounter = 0;
  /** Blank nodes of a template are fresh per operation and per solution. */
  private operationCounter = 0;

  constructor(
    private readonly writer: StoreWriter,
    private readonly options: UpdateOptions,
  ) {
    this.blankPrefix = writer.freshBlankNodePrefix();
    const prng = new Prng(hashString(this.blankPrefix));
    const hex = () => prng.nextInt(0x10000).toString(16).padStart(4, '0');
    this.functions = {
      now: options.now,
      random: () => prng.nextInt(2 ** 30) / 2 ** 30,
      uuid: () => `${hex()}${hex()}-${hex()}-4${hex().slice(1)}-${((prng.nextInt(4) + 8).toString(16))}${hex().slice(1)}-${hex()}${hex()}${hex()}`,
      baseIri: options.baseIri,
      freshBlankNode: () => ({ termType: 'BlankNode', value: `${this.blankPrefix}u${this.blankCounter++}` }),
    };
  }

  operation(op: S.UpdateOperation): void | Promise<void> {
    this.operationCounter++;
    if ('updateType' in op) {
      switch (op.updateType) {
        case 'insert':
          return this.modify([], this.translator.quads(op.insert), UNIT_TABLE, undefined, undefined);
        case 'delete':
          return this.modify(this.translator.quads(op.delete), [], UNIT_TABLE, undefined, undefined);
        case 'deletewhere': {
          const template = this.translator.quads(op.delete);
          return this.modify(template, [], this.patternOfTemplate(template), undefined, undefined);
        }
        case 'insertdelete': {
          const withGraph = op.graph ? termToKey(op.graph) : undefined;
          const where = this.translator.group(op.where);
          const using: DatasetClause | undefined =
            op.using && (op.using.default.length > 0 || op.using.named.length > 0)
              ? { defaultGraphs: op.using.default.map((g) => termToKey(g)), namedGraphs: op.using.named.map((g) => termToKey(g)) }
              : undefined;
          return this.modify(this.translator.quads(op.delete ?? []), this.translator.quads(op.insert ?? []), where, withGraph, using);
        }
      }
    }
    switch (op.type) {
      case 'load':
        return this.load(op);
      case 'create':
        return this.create(op);
      case 'clear':
      case 'drop':
        return this.clearOrDrop(op);
      case 'add':
      case 'move':
      case 'copy':
        return this.transfer(op);
    }
  }

  /** DELETE WHERE's pattern: its template as triple patterns, per graph. */
  private patternOfTemplate(template: TemplateQuad[]): Operator {
    let pattern: Operator = UNIT_TABLE;
    for (const quad of template) {
      const triple: Operator = { kind: 'bgp', patterns: [{ subject: quad.subject, predicate: quad.predicate, object: quad.object }] };
      const scoped: Operator = quad.graph ? { kind: 'graph', name: quad.graph, input: triple } : triple;
      pattern = pattern === UNIT_TABLE ? scoped : { kind: 'join', left: pattern, right: scoped };
    }
    return pattern;
  }

  /** DELETE/INSERT (§3.1.3): all solutions first, then every deletion, then every insertion. */
  private modify(deleteTemplate: TemplateQuad[], insertTemplate: TemplateQuad[], where: Operator, withGraph: TermKey | undefined, using: DatasetClause | undefined): void {
    const protocol = this.options.protocolDataset;
    let dataset = using ?? (protocol && (protocol.defaultGraphs.length > 0 || protocol.namedGraphs.length > 0) ? { defaultGraphs: protocol.defaultGraphs.map(iriKey), namedGraphs: protocol.namedGraphs.map(iriKey) } : undefined);
    if (!dataset && withGraph) dataset = { defaultGraphs: [withGraph], namedGraphs: [] };
    const resolved = resolveDataset(this.writer, dataset);
    if (dataset && dataset.namedGraphs.length === 0 && !using) resolved.namedGraphs = this.writer.namedGraphIds();
    const evaluator = new Evaluator({ source: this.writer, defaultGraph: resolved.defaultGraph, namedGraphs: resolved.namedGraphs, functions: this.functions, deadlineMs: this.options.deadlineMs });
    const solutions = [...evaluator.evaluate(where, evaluator.empty(), resolved.defaultGraph)];
    const templateGraph = withGraph;
    const deletions: IdQuad[] = [];
    for (const solution of solutions) {
      for (const quad of deleteTemplate) {
        const keys = this.instantiate(evaluator, quad, solution, templateGraph, undefined);
        if (!keys) continue;
        const ids = keys.map((key) => (key === undefined ? DEFAULT_GRAPH_ID : this.writer.lookup(key)));
        if (ids.some((id) => id === undefined)) continue;
        deletions.push(ids as IdQuad);
      }
    }
    const insertions: Array<[TermKey, TermKey, TermKey, TermKey | undefined]> = [];
    solutions.forEach((solution, row) => {
      for (const quad of insertTemplate) {
        const keys = this.instantiate(evaluator, quad, solution, templateGraph, row);
        if (keys) insertions.push(keys);
      }
    });
    for (const quad of deletions) this.writer.remove(quad);
    for (const [s, p, o, g] of insertions) this.writer.insertTerms(s, p, o, g);
  }

  /** A template quad under a solution; undefined when it has an unbound or misplaced term (§16.2). */
  private instantiate(evaluator: Evaluator, quad: TemplateQuad, solution: Solution, templateGraph: TermKey | undefined, row: number | undefined): [TermKey, TermKey, TermKey, TermKey | undefined] | undefined {
    const term = (t: PatternTerm): TermKey | undefined => {
      if (!isVariable(t)) {
        if (t.key.startsWith('_:')) return `_:${this.blankPrefix}o${this.operationCounter}d${t.key.slice(2)}`;
        return t.key;
      }
      if (t.variable.startsWith('#')) {
        if (row === undefined) return undefined;
        return `_:${this.blankPrefix}o${this.operationCounter}r${row}_${t.variable.slice(1).replace(/[^A-Za-z0-9_]/g, '_')}`;
      }
      const value = solution.get(t.variable);
      return value === undefined ? undefined : evaluator.keyOf(value);
    };
    const subject = term(quad.subject);
    const predicate = term(quad.predicate);
    const object = term(quad.object);
    const graph = quad.graph ? term(quad.graph) : templateGraph;
    if (!subject || !predicate || !object || (quad.graph && !graph)) return undefined;
    if (subject.startsWith('"') || !predicate.startsWith('<') || (graph !== undefined && !graph.startsWith('<'))) return undefined;
    return [subject, predicate, object, graph];
  }

  private graphId(ref: S.GraphOrDefault): number | undefined {
    if (ref.default || !ref.name) return DEFAULT_GRAPH_ID;
    return this.writer.lookup(termToKey(ref.name));
  }

  private create(op: S.CreateOperation): void {
    const id = this.writer.encode(termToKey(op.graph.name!));
    if (!this.writer.createGraph(id) && !op.silent) throw new UpdateExecutionError(`graph <${op.graph.name!.value}> already exists`);
  }

  /** CLEAR and DROP treat a graph that does not exist as empty. */
  private clearOrDrop(op: S.ClearDropOperation): void {
    const drop = op.type === 'drop';
    const ref = op.graph;
    const named = () => this.writer.namedGraphIds();
    let targets: number[];
    if (ref.all) targets = [DEFAULT_GRAPH_ID, ...named()];
    else if (ref.named) targets = named();
    else if (ref.default) targets = [DEFAULT_GRAPH_ID];
    else {
      const id = this.writer.lookup(termToKey(ref.name!));
      targets = id !== undefined && this.writer.graphExists(id) ? [id] : [];
    }
    for (const id of targets) {
      if (drop && id !== DEFAULT_GRAPH_ID) this.writer.dropGraph(id);
      else this.writer.clearGraph(id);
    }
  }

  private transfer(op: S.CopyMoveAddOperation): void {
    const source = this.graphId(op.source);
    const sourceExists = source !== undefined && this.writer.graphExists(source);
    if (!sourceExists) {
      if (op.silent) return;
      throw new UpdateExecutionError(`graph <${op.source.name?.value}> does not exist`);
    }
    const destinationKey = op.destination.default || !op.destination.name ? undefined : termToKey(op.destination.name);
    const destination = destinationKey === undefined ? DEFAULT_GRAPH_ID : this.writer.encode(destinationKey);
    if (source === destination) return;
    const quads = [...this.writer.match({ graph: source })];
    if (op.type !== 'add') {
      if (destination !== DEFAULT_GRAPH_ID) this.writer.createGraph(destination);
      this.writer.clearGraph(destination);
    } else if (destination !== DEFAULT_GRAPH_ID) {
      this.writer.createGraph(destination);
    }
    for (const [s, p, o] of quads) this.writer.insert(s, p, o, destination);
    if (op.type === 'move') {
      if (source === DEFAULT_GRAPH_ID) this.writer.clearGraph(source);
      else this.writer.dropGraph(source!);
    }
  }

  /** LOAD of a local `file:` IRI (remote LOAD is not offered). */
  private async load(op: S.LoadOperation): Promise<void> {
    const iri = op.source.value;
    try {
      if (!iri.startsWith('file:')) throw new UpdateExecutionError(`LOAD of <${iri}>: only file: IRIs can be loaded`);
      const path = fileURLToPath(iri);
      const format = formatOfFileName(path);
      if (!format) throw new UpdateExecutionError(`LOAD of <${iri}>: unknown RDF format (use .nt, .nq, .ttl or .trig)`);
      const text = readFileSync(path, 'utf8');
      const target = op.destination ? this.writer.encode(termToKey(op.destination)) : DEFAULT_GRAPH_ID;
      if (target !== DEFAULT_GRAPH_ID) this.writer.createGraph(target);
      const parser = createRdfParser({
        format,
        baseIri: iri,
        renameBlank: (label) => `${this.blankPrefix}l${label}`,
        sink: (s, p, o) => this.writer.insertTerms(s, p, o, op.destination ? termToKey(op.destination) : undefined),
      });
      parser.push(text);
      await parser.end();
    } catch (error) {
      if (op.silent) return;
      if (error instanceof UpdateExecutionError) throw error;
      throw new UpdateExecutionError(`LOAD of <${iri}> failed: ${(error as Error).message}`);
    }
  }
}

function hashString(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}
