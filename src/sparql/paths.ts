/**
 * Property path evaluation (SPARQL 1.1 §18.4). A path yields (start, end) pairs: sequences and
 * alternatives keep duplicates (they are joins and unions), while `*`, `+` and `?` are sets of
 * nodes reached, found by breadth-first search from the bound end (or from every node of the
 * active graph when neither end is bound). A zero-length path from a constant that is not in the
 * data still yields that constant.
 */
import type { Path, Operator, PatternTerm } from './algebra.ts';
import { isVariable } from './algebra.ts';
import type { Evaluator, Solution, Value, ActiveGraph } from './evaluate.ts';
import { IdMultimapBuilder, type IdMultimap } from './id-multimap.ts';

type Pair = [Value, Value];

/** A value in its canonical representation: the store id when the term is stored. */
function normalize(evaluator: Evaluator, value: Value): Value {
  return typeof value === 'number' ? value : evaluator.idOf(value) ?? value;
}

export function* evaluatePath(evaluator: Evaluator, op: Extract<Operator, { kind: 'path' }>, seed: Solution, graph: ActiveGraph): Generator<Solution> {
  const endpoint = (term: PatternTerm): Value | undefined => {
    if (!isVariable(term)) return normalize(evaluator, term.key);
    const value = seed.get(term.variable);
    return value === undefined ? undefined : normalize(evaluator, value);
  };
  const start = endpoint(op.subject);
  const end = endpoint(op.object);
  // Bottom-up (§18.4), a zero-length path pairs the nodes of the graph and the pattern's
  // constants; a value a variable got elsewhere (VALUES, a join) is not one of them.
  const zeroLengthAllowed = (node: Value, term: PatternTerm) => !isVariable(term) || isGraphNode(evaluator, node, graph);
  for (const [x, y] of pairs(evaluator, op.path, start, end, graph)) {
    if (x === y && isZeroLengthCapable(op.path) && start !== undefined && !zeroLengthAllowed(start, op.subject) && !stepReaches(evaluator, op.path, start, y, graph)) continue;
    evaluator.tick();
    let solution = seed;
    const bind = (term: PatternTerm, value: Value): boolean => {
      if (!isVariable(term)) return true;
      const current = solution.get(term.variable);
      if (current !== undefined) return evaluator.sameValue(current, value);
      solution = solution.clone().set(term.variable, value);
      return true;
    };
    if (bind(op.subject, x) && bind(op.object, y)) yield solution;
  }
}

function isZeroLengthCapable(path: Path): boolean {
  return path.kind === 'zeroOrMore' || path.kind === 'zeroOrOne';
}

/** Whether a node occurs as subject or object in the active graph. */
function isGraphNode(evaluator: Evaluator, node: Value, graph: ActiveGraph): boolean {
  const id = evaluator.idOf(node);
  if (id === undefined) return false;
  for (const graphId of graph) {
    if (!evaluator.source.match({ subject: id, graph: graphId })[Symbol.iterator]().next().done) return true;
    if (!evaluator.source.match({ object: id, graph: graphId })[Symbol.iterator]().next().done) return true;
  }
  return false;
}

/** Whether `to` is reached from `from` by at least one step (so the pair does not rest on zero length). */
function stepReaches(evaluator: Evaluator, path: Extract<Path, { kind: 'zeroOrMore' | 'zeroOrOne' }> | Path, from: Value, to: Value, graph: ActiveGraph): boolean {
  if (!isZeroLengthCapable(path)) return true;
  const inner = (path as Extract<Path, { kind: 'zeroOrMore' | 'zeroOrOne' }>).path;
  const oneOrMore: Path = path.kind === 'zeroOrMore' ? { kind: 'oneOrMore', path: inner } : inner;
  for (const [, y] of pairs(evaluator, oneOrMore, from, to, graph)) if (evaluator.sameValue(y, to)) return true;
  return false;
}

function* pairs(evaluator: Evaluator, path: Path, start: Value | undefined, end: Value | undefined, graph: ActiveGraph): Generator<Pair> {
  switch (path.kind) {
    case 'link':
      yield* linkPairs(evaluator, path.iri, start, end, graph);
      return;
    case 'inverse':
      for (const [a, b] of pairs(evaluator, path.path, end, start, graph)) yield [b, a];
      return;
    case 'alternative':
      for (const item of path.items) yield* pairs(evaluator, item, start, end, graph);
      return;
    case 'sequence': {
      const [first, ...rest] = path.items;
      const tail: Path = rest.length === 1 ? rest[0] : { kind: 'sequence', items: rest };
      if (start === undefined && end !== undefined) {
        // Evaluate from the bound end backwards.
        const last = path.items[path.items.length - 1];
        const init: Path = path.items.length === 2 ? path.items[0] : { kind: 'sequence', items: path.items.slice(0, -1) };
        for (const [middle, b] of pairs(evaluator, last, undefined, end, graph)) {
          for (const [a] of pairs(evaluator, init, undefined, middle, graph)) yield [a, b];
        }
        return;
      }
      for (const [a, middle] of pairs(evaluator, first, start, undefined, graph)) {
        for (const [, b] of pairs(evaluator, tail, middle, end, graph)) yield [a, b];
      }
      return;
    }
    case 'zeroOrOne':
    case 'zeroOrMore':
    case 'oneOrMore':
      yield* closurePairs(evaluator, path, start, end, graph);
      return;
    case 'negated':
      yield* negatedPairs(evaluator, path, start, end, graph);
      return;
  }
}

function* linkPairs(evaluator: Evaluator, iri: string, start: Value | undefined, end: Value | undefined, graph: ActiveGraph): Generator<Pair> {
  const predicate = evaluator.idOf(iri);
  if (predicate === undefined) return;
  const subject = start === undefined ? undefined : evaluator.idOf(start);
  const object = end === undefined ? undefined : evaluator.idOf(end);
  if ((start !== undefined && subject === undefined) || (end !== undefined && object === undefined)) return;
  const source = evaluator.source;
  const seen = graph.length > 1 ? new Set<string>() : undefined;
  for (const graphId of graph) {
    for (const [s, , o] of source.match({ subject, predicate, object, graph: graphId })) {
      if (seen) {
        const key = `${s} ${o}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      yield [s, o];
    }
  }
}

function* negatedPairs(evaluator: Evaluator, path: Extract<Path, { kind: 'negated' }>, start: Value | undefined, end: Value | undefined, graph: ActiveGraph): Generator<Pair> {
  const source = evaluator.source;
  const excluded = (list: string[]) => new Set(list.map((iri) => evaluator.idOf(iri)).filter((id) => id !== undefined));
  const idOrMissing = (value: Value | undefined) => (value === undefined ? undefined : evaluator.idOf(value) ?? null);
  const startId = idOrMissing(start);
  const endId = idOrMissing(end);
  if (startId === null || endId === null) return;
  // !(a|b) matches forward triples; !(^c|^d) matches backward ones; a mixed set is their union.
  if (path.forward.length > 0 || path.inverse.length === 0) {
    const forbidden = excluded(path.forward);
    for (const graphId of graph) {
      for (const [s, p, o] of source.match({ subject: startId, object: endId, graph: graphId })) if (!forbidden.has(p)) yield [s, o];
    }
  }
  if (path.inverse.length > 0) {
    const forbidden = excluded(path.inverse);
    for (const graphId of graph) {
      for (const [s, p, o] of source.match({ subject: endId, object: startId, graph: graphId })) if (!forbidden.has(p)) yield [o, s];
    }
  }
}

/** Every subject and object of the active graph. */
function allNodes(evaluator: Evaluator, graph: ActiveGraph): Set<Value> {
  const source = evaluator.source;
  const nodes = new Set<Value>();
  for (const graphId of graph) {
    for (const [s, , o] of source.match({ graph: graphId })) {
      evaluator.tick();
      nodes.add(s);
      nodes.add(o);
    }
  }
  return nodes;
}

/**
 * For a closure over a single IRI (or its inverse), the whole edge list of that predicate, loaded
 * once when a search has expanded enough nodes that per-node cursors cost more: a multimap from
 * each node to its successors (id-multimap.ts).
 */
class Adjacency {
  private successors: IdMultimap | undefined;
  private expansions = 0;
  private readonly threshold: number;
  private readonly edges: number;

  constructor(
    private readonly evaluator: Evaluator,
    private readonly predicate: number,
    private readonly inverse: boolean,
    private readonly graph: ActiveGraph,
  ) {
    this.edges = graph.reduce((sum, g) => sum + evaluator.source.estimate({ predicate, graph: g }, 1000), 0);
    // An index cursor costs about as much as reading a hundred keys in one scan (measured).
    this.threshold = this.edges / 100;
  }

  /**
   * Calls `visit` with each successor of a node and returns true, or returns false (visiting
   * nothing) while the per-node cursor is still the cheaper way. An edge in several active graphs
   * is visited once per graph (the callers keep sets).
   */
  forEachSuccessor(node: Value, visit: (next: number) => void): boolean {
    if (!this.successors && ++this.expansions > this.threshold) this.successors = this.load();
    const successors = this.successors;
    if (!successors) return false;
    const id = typeof node === 'number' ? node : this.evaluator.idOf(node);
    const group = id === undefined ? -1 : successors.group(id);
    if (group < 0) return true;
    const { offsets, values } = successors;
    for (let at = offsets[group], end = offsets[group + 1]; at < end; at++) visit(values[at]);
    return true;
  }

  private load(): IdMultimap {
    const builder = new IdMultimapBuilder(1, this.edges);
    const [from, to] = this.inverse ? [2, 0] : [0, 2];
    for (const graphId of this.graph) {
      for (const quad of this.evaluator.source.match({ predicate: this.predicate, graph: graphId })) {
        this.evaluator.tick();
        const at = builder.add(quad[from]);
        builder.rowValues[at] = quad[to];
      }
    }
    return builder.build();
  }
}

function adjacencyFor(evaluator: Evaluator, step: Path, graph: ActiveGraph): Adjacency | undefined {
  const link = step.kind === 'link' ? step : step.kind === 'inverse' && step.path.kind === 'link' ? step.path : undefined;
  if (!link) return undefined;
  const predicate = evaluator.idOf(link.iri);
  if (predicate === undefined) return undefined;
  return new Adjacency(evaluator, predicate, step.kind === 'inverse', graph);
}

/**
 * Nodes reachable from `start` by one or more steps of `step` (forward), or zero or more: a
 * breadth-first search over values (store ids where the terms are stored) with one visited set,
 * through `adjacency` once that has loaded the edges, else one lookup per node.
 */
function reachable(evaluator: Evaluator, step: Path, start: Value, includeStart: boolean, graph: ActiveGraph, maxSteps: number, adjacency: Adjacency | undefined): Value[] {
  const from = normalize(evaluator, start);
  // Every node queued, `from` first; `from` is in the result only with zero length or on a cycle.
  const visited = new Set<Value>([from]);
  const frontier: Value[] = [from];
  let startReached = includeStart;
  let head = 0;
  const visit = (next: Value) => {
    evaluator.tick();
    const normalized = normalize(evaluator, next);
    if (visited.has(normalized)) {
      if (normalized === from) startReached = true;
      return;
    }
    visited.add(normalized);
    frontier.push(normalized);
  };
  let steps = 0;
  while (head < frontier.length && steps < maxSteps) {
    steps++;
    const node = frontier[head++];
    if (adjacency?.forEachSuccessor(node, visit)) continue;
    for (const [, next] of pairs(evaluator, step, node, undefined, graph)) visit(next);
  }
  return startReached ? frontier : frontier.slice(1);
}

function* closurePairs(evaluator: Evaluator, path: Extract<Path, { kind: 'zeroOrOne' | 'zeroOrMore' | 'oneOrMore' }>, start: Value | undefined, end: Value | undefined, graph: ActiveGraph): Generator<Pair> {
  const includeZero = path.kind !== 'oneOrMore';
  const maxSteps = path.kind === 'zeroOrOne' ? 1 : Infinity;
  const inverse: Path = { kind: 'inverse', path: path.path };
  // One adjacency for every search of this closure (with neither end bound there is one per node).
  const adjacency = (step: Path) => (maxSteps > 1 ? adjacencyFor(evaluator, step, graph) : undefined);
  if (start !== undefined) {
    for (const node of reachable(evaluator, path.path, start, includeZero, graph, maxSteps, adjacency(path.path))) {
      if (end === undefined || evaluator.sameValue(node, end)) yield [start, node];
    }
    return;
  }
  if (end !== undefined) {
    for (const node of reachable(evaluator, inverse, end, includeZero, graph, maxSteps, adjacency(inverse))) yield [node, end];
    return;
  }
  const forward = adjacency(path.path);
  for (const node of allNodes(evaluator, graph)) {
    for (const other of reachable(evaluator, path.path, node, includeZero, graph, maxSteps, forward)) yield [node, other];
  }
}
