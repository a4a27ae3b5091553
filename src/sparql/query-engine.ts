/**
 * Runs a query: parse and translate (errors before anything runs), resolve the dataset (FROM /
 * FROM NAMED, overridden by the protocol's default-graph-uri / named-graph-uri), evaluate over a
 * QuadSource, and hand back results that decode terms only as they are consumed.
 */
import { randomUUID } from 'node:crypto';
import type { Term, TermKey, KeyQuad } from '../rdf/term-key.ts';
import { iriKey, keyToTerm, plainTermToKey } from '../rdf/term-key.ts';
import { DEFAULT_GRAPH_ID } from '../store/indexes.ts';
import type { DatasetClause, PatternTerm, Query, TemplateQuad } from './algebra.ts';
import { isVariable } from './algebra.ts';
import { parseSparql } from './parse.ts';
import type * as S from 'sparqljs';
import { translateQuery } from './translate.ts';
import { Evaluator, type Solution, type Value } from './evaluate.ts';
import type { QuadSource } from './quad-source.ts';
import type { FunctionContext } from './expression-functions.ts';
import { SparqlSemanticError } from './sparql-errors.ts';

/** A parsed (not yet translated) query. */
export type ParsedQuery = S.Query;

export type QueryResult =
  | { form: 'SELECT'; variables: string[]; solutions: Iterable<Map<string, Term>> }
  | { form: 'ASK'; value: boolean }
  | { form: 'CONSTRUCT' | 'DESCRIBE'; quads: Iterable<KeyQuad> };

export interface QueryOptions {
  baseIri?: string;
  /** The protocol's dataset (IRIs); replaces the query's FROM / FROM NAMED when given. */
  protocolDataset?: { defaultGraphs: string[]; namedGraphs: string[] };
  deadlineMs?: number;
  isCancelled?: () => boolean;
  now?: Date;
}

export function prepareQuery(text: string, baseIri?: string): Query {
  return planQuery(parseQuery(text, baseIri), baseIri);
}

/** The first half of prepareQuery: text to syntax tree (a syntax error has line and column). */
export function parseQuery(text: string, baseIri?: string): ParsedQuery {
  const parsed = parseSparql(text, baseIri);
  if (parsed.type !== 'query') throw new SparqlSemanticError('this is an update; send it to /update');
  return parsed;
}

/** The second half: syntax tree to the algebra the evaluator runs. */
export function planQuery(parsed: ParsedQuery, baseIri?: string): Query {
  return translateQuery(parsed, baseIri);
}

/** A FunctionContext for one query: NOW() fixed, fresh blank node labels unique to this run. */
export function queryFunctionContext(now: Date, baseIri: string | undefined): FunctionContext {
  const prefix = `q${randomUUID().replace(/-/g, '').slice(0, 12)}_`;
  let counter = 0;
  return {
    now,
    random: Math.random,
    uuid: randomUUID,
    baseIri,
    freshBlankNode: () => ({ termType: 'BlankNode', value: `${prefix}${counter++}` }),
  };
}

export function resolveDataset(source: QuadSource, dataset: DatasetClause | undefined): { defaultGraph: number[]; namedGraphs: number[] | (() => number[]) } {
  // Every named graph: listed only if a GRAPH asks (a scan saved for most queries).
  if (!dataset) return { defaultGraph: [DEFAULT_GRAPH_ID], namedGraphs: () => source.namedGraphIds() };
  const ids = (keys: TermKey[]) => keys.map((key) => source.lookup(key)).filter((id): id is number => id !== undefined);
  return { defaultGraph: [...new Set(ids(dataset.defaultGraphs))], namedGraphs: [...new Set(ids(dataset.namedGraphs))] };
}

export function executeQuery(query: Query, source: QuadSource, options: QueryOptions = {}): QueryResult {
  const dataset = options.protocolDataset
    ? { defaultGraphs: options.protocolDataset.defaultGraphs.map(iriKey), namedGraphs: options.protocolDataset.namedGraphs.map(iriKey) }
    : query.dataset;
  const { defaultGraph, namedGraphs } = resolveDataset(source, dataset);
  const evaluator = new Evaluator({
    source,
    defaultGraph,
    namedGraphs,
    functions: queryFunctionContext(options.now ?? new Date(), options.baseIri ?? query.baseIri),
    deadlineMs: options.deadlineMs,
    isCancelled: options.isCancelled,
  });
  const solutions = () => evaluator.evaluate(query.pattern, evaluator.empty(), defaultGraph);
  switch (query.form.form) {
    case 'SELECT': {
      const variables = query.form.variables;
      return { form: 'SELECT', variables, solutions: decodeSolutions(evaluator, solutions(), variables) };
    }
    case 'ASK':
      return { form: 'ASK', value: !solutions().next().done };
    case 'CONSTRUCT':
      return { form: 'CONSTRUCT', quads: construct(evaluator, query.form.template, solutions()) };
    case 'DESCRIBE':
      return { form: 'DESCRIBE', quads: describe(evaluator, query.form.terms, solutions(), defaultGraph) };
  }
}

function* decodeSolutions(evaluator: Evaluator, solutions: Iterable<Solution>, variables: string[]): Generator<Map<string, Term>> {
  for (const solution of solutions) {
    const row = new Map<string, Term>();
    for (const variable of variables) {
      const value = solution.get(variable);
      if (value !== undefined) row.set(variable, evaluator.termOf(value));
    }
    yield row;
  }
}

/** Template instantiation (§16.2): fresh blank nodes per solution; invalid triples are skipped; the result is a set. */
function* construct(evaluator: Evaluator, template: TemplateQuad[], solutions: Iterable<Solution>): Generator<KeyQuad> {
  const seen = new Set<string>();
  let row = 0;
  for (const solution of solutions) {
    row++;
    const instantiate = (term: PatternTerm): TermKey | undefined => {
      if (!isVariable(term)) return term.key;
      if (term.variable.startsWith('#')) return `_:c${row}_${term.variable.slice(1).replace(/[^A-Za-z0-9_]/g, '_')}`;
      const value = solution.get(term.variable);
      return value === undefined ? undefined : evaluator.keyOf(value);
    };
    for (const pattern of template) {
      const subject = instantiate(pattern.subject);
      const predicate = instantiate(pattern.predicate);
      const object = instantiate(pattern.object);
      if (!subject || !predicate || !object) continue;
      if (subject.startsWith('"') || !predicate.startsWith('<')) continue;
      const key = `${subject} ${predicate} ${object}`;
      if (seen.has(key)) continue;
      seen.add(key);
      yield { subject, predicate, object, graph: undefined };
    }
  }
}

/** Concise bounded description (§16.4): every triple with the resource as subject, following blank-node objects. */
function* describe(evaluator: Evaluator, terms: PatternTerm[], solutions: Iterable<Solution>, defaultGraph: number[]): Generator<KeyQuad> {
  const resources = new Set<Value>();
  const add = (value: Value | undefined) => {
    if (value === undefined) return;
    const id = evaluator.idOf(value);
    if (id !== undefined) resources.add(id);
  };
  const variables = terms.filter(isVariable);
  for (const term of terms) if (!isVariable(term)) add(term.key);
  if (variables.length > 0) for (const solution of solutions) for (const v of variables) add(solution.get(v.variable));
  const described = new Set<number>();
  const queue = [...resources] as number[];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const resource = queue.shift()!;
    if (described.has(resource)) continue;
    described.add(resource);
    for (const graph of defaultGraph) {
      for (const [s, p, o] of evaluator.source.match({ subject: resource, graph })) {
        const key = `${s} ${p} ${o}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const object = evaluator.keyOf(o);
        if (object.startsWith('_:')) queue.push(o);
        yield { subject: evaluator.keyOf(s), predicate: evaluator.keyOf(p), object, graph: undefined };
      }
    }
  }
}

export { keyToTerm, plainTermToKey };
