/**
 * Evaluates the algebra over a QuadSource, pulling solutions lazily (generators), so a plain
 * SELECT streams and LIMIT stops the work. Solutions map variables to values: a store id
 * (number) for terms read from the store, or a term key (string) for terms an expression or
 * VALUES made. Terms are decoded only where an expression needs them, and at the edge.
 *
 * Joins: a basic graph pattern or path on the right is evaluated with the left solution
 * substituted (an index nested-loop join); any other right side is evaluated once on its own and
 * joined by a hash on the shared variables, as the bottom-up semantics of §18.5 require.
 * `seed` substitutes bindings into a pattern: that is the spec's EXISTS (§18.6) and the
 * nested-loop join.
 */
import { keyToTerm, plainTermToKey, type Term, type TermKey } from '../rdf/term-key.ts';
import { DEFAULT_GRAPH_ID, type IdPattern } from '../store/indexes.ts';
import type { Expression, Operator, OrderCondition, PatternTerm, TriplePattern } from './algebra.ts';
import { isVariable } from './algebra.ts';
import type { QuadSource } from './quad-source.ts';
import { evaluatePath } from './paths.ts';
import { ExpressionError, applyOperator, callFunction, effectiveBooleanValue, type FunctionContext } from './expression-functions.ts';
import { compareForOrderBy } from './term-order.ts';
import { Accumulator, aggregateInput } from './aggregates.ts';
import { compareComparable, numericFacts, type NumericFacts } from './numeric-facts.ts';
import { IdMultimapBuilder, type IdMultimap } from './id-multimap.ts';
import { QueryTimeoutError, QueryCancelledError, QueryResourceError } from './sparql-errors.ts';

import { Solution, VariableTable, type Value } from './solution.ts';

export { Solution, type Value };

/** The graphs a pattern matches: ids (0 is the default graph); several are merged as a set. */
export type ActiveGraph = readonly number[];

export interface EvaluationOptions {
  source: QuadSource;
  /** The default graph of the query's dataset. */
  defaultGraph: ActiveGraph;
  /** The named graphs GRAPH ranges over (a function: read only if the query has a GRAPH). */
  namedGraphs: readonly number[] | (() => readonly number[]);
  functions: FunctionContext;
  /** performance.now() deadline; undefined: none. */
  deadlineMs?: number;
  /** Polled as the query works: true stops it (the client went away). */
  isCancelled?: () => boolean;
}

const DEADLINE_CHECK_EVERY = 1024;
/** Rows one operator may hold in memory (sort, group, distinct, hash and join tables). */
export const MAX_MATERIALIZED_ROWS = 5_000_000;
/** Matches counted when estimating a pattern with a bound subject or object. */
const ESTIMATE_CAP = 1_000;
/**
 * A nested-loop step opens an index cursor per solution; a scan reads a key. Relative costs,
 * measured on the store: opening and positioning a cursor takes 12-25 µs, a scanned key 0.2-0.3 µs
 * (keys are decoded in place, see quadKeyReader).
 */
const CURSOR_COST = 60;
const SCAN_ROW_COST = 1;

export class Evaluator {
  readonly source: QuadSource;
  private readonly termCache = new Map<number, Term>();
  /** Numeric facts per value (store id or term key); null: not a number. */
  private readonly numericCache = new Map<Value, NumericFacts | null>();
  /** The variable slots of every solution of this evaluation. */
  readonly variables = new VariableTable();
  private readonly emptySolution = new Solution(this.variables);
  /** Join orders, estimates and hash tables, per BGP, set of variables bound on entry and active graphs. */
  private readonly plans = new WeakMap<TriplePattern[], Map<string, BgpPlan>>();
  private steps = 0;

  constructor(private readonly options: EvaluationOptions) {
    this.source = options.source;
  }

  private namedGraphList: readonly number[] | undefined;

  private namedGraphs(): readonly number[] {
    const named = this.options.namedGraphs;
    return (this.namedGraphList ??= typeof named === 'function' ? named() : named);
  }

  /** Counts work and throws once the deadline passed. */
  tick(): void {
    if (++this.steps % DEADLINE_CHECK_EVERY !== 0) return;
    if (this.options.deadlineMs !== undefined && performance.now() > this.options.deadlineMs) throw new QueryTimeoutError('the query ran past its timeout');
    if (this.options.isCancelled?.()) throw new QueryCancelledError('the query was cancelled');
  }

  /** Fails clearly, instead of exhausting the heap, when an operator would hold too many rows. */
  private checkRows(rows: number, what: string): void {
    if (rows > MAX_MATERIALIZED_ROWS) throw new QueryResourceError(`${what} would hold more than ${MAX_MATERIALIZED_ROWS} rows in memory`);
  }

  private materialize(op: Operator, seed: Solution, graph: ActiveGraph, what: string): Solution[] {
    const rows: Solution[] = [];
    for (const solution of this.evaluate(op, seed, graph)) {
      rows.push(solution);
      if (rows.length % 65536 === 0) this.checkRows(rows.length, what);
    }
    return rows;
  }

  // ---- values -------------------------------------------------------------------------------

  keyOf(value: Value): TermKey {
    return typeof value === 'number' ? this.source.decode(value) : value;
  }

  termOf(value: Value): Term {
    if (typeof value === 'string') return keyToTerm(value);
    let term = this.termCache.get(value);
    if (!term) {
      term = keyToTerm(this.source.decode(value));
      if (this.termCache.size > 300_000) this.termCache.clear();
      this.termCache.set(value, term);
    }
    return term;
  }

  /** A value's numeric facts (null: not a valid numeric literal), cached: many rows share few values. */
  numericFactsOf(value: Value): NumericFacts | null {
    let facts = this.numericCache.get(value);
    if (facts === undefined) {
      facts = numericFacts(this.termOf(value));
      if (this.numericCache.size > 300_000) this.numericCache.clear();
      this.numericCache.set(value, facts);
    }
    return facts;
  }

  /** A value as a store id, if the term is in the store (undefined: it cannot match anything). */
  idOf(value: Value): number | undefined {
    return typeof value === 'number' ? value : this.source.lookup(value);
  }

  sameValue(a: Value, b: Value): boolean {
    if (typeof a === typeof b) return a === b;
    return this.keyOf(a) === this.keyOf(b);
  }

  /** A solution with nothing bound. */
  empty(): Solution {
    return this.emptySolution;
  }

  compatible(a: Solution, b: Solution): boolean {
    const av = a.values;
    const bv = b.values;
    const n = Math.min(av.length, bv.length);
    for (let slot = 0; slot < n; slot++) {
      const x = av[slot];
      const y = bv[slot];
      if (x !== undefined && y !== undefined && x !== y && !this.sameValue(x, y)) return false;
    }
    return true;
  }

  // ---- operators ----------------------------------------------------------------------------

  *evaluate(op: Operator, seed: Solution, graph: ActiveGraph): Generator<Solution> {
    switch (op.kind) {
      case 'bgp':
        yield* this.bgp(op.patterns, seed, graph);
        return;
      case 'path':
        yield* evaluatePath(this, op, seed, graph);
        return;
      case 'join':
        yield* this.join(op.left, op.right, seed, graph);
        return;
      case 'leftJoin':
        yield* this.leftJoin(op, seed, graph);
        return;
      case 'union':
        yield* this.evaluate(op.left, seed, graph);
        yield* this.evaluate(op.right, seed, graph);
        return;
      case 'minus':
        yield* this.minus(op.left, op.right, seed, graph);
        return;
      case 'filter':
        for (const solution of this.evaluate(op.input, seed, graph)) {
          if (this.test(op.expression, solution, graph)) yield solution;
        }
        return;
      case 'extend':
        for (const solution of this.evaluate(op.input, seed, graph)) {
          const value = this.tryValue(op.expression, solution, graph);
          if (value === undefined) {
            yield solution;
            continue;
          }
          const existing = solution.get(op.variable);
          if (existing !== undefined) {
            // Only reachable through a seed (EXISTS): keep the solution if it agrees.
            if (this.sameValue(existing, value)) yield solution;
            continue;
          }
          const extended = solution.clone().set(op.variable, value);
          const memo = this.blankNodesBySolution.get(solution);
          if (memo) this.blankNodesBySolution.set(extended, memo);
          yield extended;
        }
        return;
      case 'values':
        for (const row of op.rows) {
          const solution = seed.clone();
          let ok = true;
          op.variables.forEach((variable, i) => {
            const key = row[i];
            if (key === undefined || !ok) return;
            const existing = solution.get(variable);
            if (existing !== undefined) ok = this.sameValue(existing, key);
            else solution.set(variable, this.source.lookup(key) ?? key);
          });
          if (ok) yield solution;
        }
        return;
      case 'graph':
        yield* this.graph(op, seed);
        return;
      case 'group':
        yield* this.group(op, seed, graph);
        return;
      case 'orderBy':
        yield* this.orderBy(op.input, op.conditions, op.topK, seed, graph);
        return;
      case 'project':
        for (const solution of this.evaluate(op.input, this.emptySolution, graph)) {
          const projected = new Solution(this.variables);
          for (const variable of op.variables) {
            const value = solution.get(variable);
            if (value !== undefined) projected.set(variable, value);
          }
          // A subquery under a seed (EXISTS) must agree with it.
          if (seed.size > 0) {
            if (!this.compatible(projected, seed)) continue;
            yield merge(seed, projected);
          } else yield projected;
        }
        return;
      case 'distinct': {
        const seen = new Set<string>();
        for (const solution of this.evaluate(op.input, seed, graph)) {
          const key = this.solutionKey(solution);
          if (seen.has(key)) continue;
          seen.add(key);
          if (seen.size % 65536 === 0) this.checkRows(seen.size, 'DISTINCT');
          yield solution;
        }
        return;
      }
      case 'reduced': {
        // REDUCED may drop some duplicates: drop consecutive ones (no memory needed).
        let previous: string | undefined;
        for (const solution of this.evaluate(op.input, seed, graph)) {
          const key = this.solutionKey(solution);
          if (key === previous) continue;
          previous = key;
          yield solution;
        }
        return;
      }
      case 'slice': {
        let index = 0;
        const end = op.limit === undefined ? Infinity : op.offset + op.limit;
        if (end <= op.offset) return;
        for (const solution of this.evaluate(op.input, seed, graph)) {
          if (index >= op.offset) yield solution;
          index++;
          if (index >= end) return;
        }
        return;
      }
    }
  }

  /** A string equal for two solutions exactly when they bind the same variables to the same terms. */
  solutionKey(solution: Solution): string {
    // Slots are shared by all solutions of an evaluation, so slot order is a canonical order.
    const parts: string[] = [];
    const values = solution.values;
    for (let slot = 0; slot < values.length; slot++) {
      const value = values[slot];
      if (value !== undefined) parts.push(`${slot}=${this.hashKeyOf(value)}`);
    }
    return parts.join('\u0000');
  }

  /** Ids of a pattern position under a solution; null: a bound term that is not in the store. */
  private resolve(term: PatternTerm, solution: Solution): number | undefined | null {
    if (isVariable(term)) {
      const value = solution.get(term.variable);
      if (value === undefined) return undefined;
      return this.idOf(value) ?? null;
    }
    return this.source.lookup(term.key) ?? null;
  }

  /** Matches one triple pattern in the active graph(s), extending `solution`. */
  *matchTriple(pattern: TriplePattern, solution: Solution, graph: ActiveGraph): Generator<Solution> {
    const s = this.resolve(pattern.subject, solution);
    const p = this.resolve(pattern.predicate, solution);
    const o = this.resolve(pattern.object, solution);
    if (s === null || p === null || o === null) return;
    const seen = graph.length > 1 ? new Set<string>() : undefined;
    for (const graphId of graph) {
      for (const [qs, qp, qo] of this.source.match({ subject: s, predicate: p, object: o, graph: graphId })) {
        this.tick();
        if (seen) {
          const key = `${qs} ${qp} ${qo}`;
          if (seen.has(key)) continue;
          seen.add(key);
        }
        const extended = this.bindTriple(pattern, solution, qs, qp, qo);
        if (extended) yield extended;
      }
    }
  }

  private bindTriple(pattern: TriplePattern, solution: Solution, s: number, p: number, o: number): Solution | undefined {
    let extended: Solution | undefined;
    for (let position = 0; position < 3; position++) {
      const term = position === 0 ? pattern.subject : position === 1 ? pattern.predicate : pattern.object;
      if (!('variable' in term)) continue;
      const id = position === 0 ? s : position === 1 ? p : o;
      const current = (extended ?? solution).get(term.variable);
      if (current !== undefined) {
        if (!this.sameValue(current, id)) return undefined;
        continue;
      }
      extended ??= solution.clone();
      extended.set(term.variable, id);
    }
    return extended ?? solution;
  }

  private *bgp(patterns: TriplePattern[], seed: Solution, graph: ActiveGraph): Generator<Solution> {
    if (patterns.length === 0) {
      yield seed;
      return;
    }
    // One pattern has no join to order: no estimates to read.
    if (patterns.length === 1) {
      yield* this.matchTriple(patterns[0], seed, graph);
      return;
    }
    const plan = this.plan(patterns, seed, graph);
    const last = plan.steps.length - 1;
    // An explicit stack of per-pattern iterators: nested generators would cost a frame per level per solution.
    const stack: Array<Iterator<Solution>> = [this.bgpStep(plan, 0, seed, graph)];
    while (stack.length > 0) {
      const next = stack[stack.length - 1].next();
      if (next.done) {
        stack.pop();
        continue;
      }
      if (stack.length - 1 === last) yield next.value;
      else stack.push(this.bgpStep(plan, stack.length, next.value, graph));
    }
  }

  private bgpStep(plan: BgpPlan, index: number, solution: Solution, graph: ActiveGraph): Iterator<Solution> {
    const planned = plan.steps[index];
    const hash = planned.hash;
    // Adaptive: look the pattern up per solution until that has cost more than one scan of it.
    if (hash && !hash.table && ++planned.lookups > planned.scanRows * (SCAN_ROW_COST / CURSOR_COST)) {
      if (planned.scanRowsCapped) this.recountScanRows(planned, graph);
      else this.buildHashTable(planned, graph);
    }
    return hash?.table ? this.probe(hash, solution) : this.matchTriple(planned.pattern, solution, graph);
  }

  /**
   * The join plan of a BGP: the order of its patterns (greedy: cheapest first, then the cheapest
   * connected to what is bound). Each later pattern is first looked up once per solution (an index
   * nested-loop join); once those lookups have cost more than scanning the pattern whole, it is
   * scanned once into a hash table on the join variables and probed instead (a hash join).
   */
  private plan(patterns: TriplePattern[], seed: Solution, graph: ActiveGraph): BgpPlan {
    // Hash tables and estimates belong to the graphs matched: GRAPH ?g evaluates one BGP per graph.
    // Slots are per evaluation, so the bound slots name the bound variables.
    let boundKey = graph.length === 1 ? `${graph[0]}|` : `${graph.join(',')}|`;
    const seedValues = seed.values;
    for (let slot = 0; slot < seedValues.length; slot++) if (seedValues[slot] !== undefined) boundKey += `${slot},`;
    let byBound = this.plans.get(patterns);
    if (!byBound) this.plans.set(patterns, (byBound = new Map()));
    const cached = byBound.get(boundKey);
    if (cached) return cached;
    const estimates = patterns.map((pattern) => {
      const ids: IdPattern = {};
      const resolve = (term: PatternTerm) => (isVariable(term) ? (seed.has(term.variable) ? this.idOf(seed.get(term.variable)!) ?? -1 : undefined) : this.source.lookup(term.key) ?? -1);
      ids.subject = resolve(pattern.subject);
      ids.predicate = resolve(pattern.predicate);
      ids.object = resolve(pattern.object);
      if (ids.subject === -1 || ids.predicate === -1 || ids.object === -1) return 0;
      return graph.reduce((sum, g) => sum + this.source.estimate({ ...ids, graph: g }, ESTIMATE_CAP), 0);
    });
    const remaining = patterns.map((pattern, i) => ({ pattern, estimate: estimates[i] }));
    const bound = new Set(seed.keys());
    const steps: BgpPlan['steps'] = [];
    while (remaining.length > 0) {
      let best = -1;
      let bestCost = Infinity;
      remaining.forEach(({ pattern, estimate }, i) => {
        const variables = [pattern.subject, pattern.predicate, pattern.object].filter(isVariable).map((v) => v.variable);
        const connected = steps.length === 0 || variables.some((v) => bound.has(v)) || variables.length === 0;
        const unboundCount = variables.filter((v) => !bound.has(v)).length;
        // A bound variable typically divides the matches a lot; unconnected patterns are cross products.
        const cost = (connected ? 1 : 1e6) * (estimate / 10 ** (variables.length - unboundCount) + unboundCount * 1e-3);
        if (cost < bestCost) {
          bestCost = cost;
          best = i;
        }
      });
      const [chosen] = remaining.splice(best, 1);
      const variables = [chosen.pattern.subject, chosen.pattern.predicate, chosen.pattern.object].filter(isVariable).map((v) => v.variable);
      const joinVariables = variables.filter((v) => bound.has(v) && !seed.has(v));
      const hashable = steps.length > 0 && joinVariables.length > 0;
      // A count that reached its cap says little of what a scan would read: recounted when it matters.
      steps.push({ pattern: chosen.pattern, scanRows: chosen.estimate, scanRowsCapped: chosen.estimate >= ESTIMATE_CAP, lookups: 0, hash: hashable ? { joinVariables, outputSlots: [], table: undefined } : undefined });
      for (const v of variables) bound.add(v);
    }
    const plan = { steps };
    byBound.set(boundKey, plan);
    return plan;
  }

  /**
   * The rows a scan of the pattern (constants only: the hash table is built without the solution)
   * reads, counted up to a cap that grows fourfold per call, so a large pattern is neither counted
   * whole up front nor taken as small because its count stopped at a cap. The counting costs at
   * most a constant factor of the lookups made meanwhile.
   */
  private recountScanRows(planned: BgpPlan['steps'][number], graph: ActiveGraph): void {
    const cap = Math.max(ESTIMATE_CAP, planned.scanRows) * 4;
    const ids: IdPattern = {};
    for (const [position, term] of [['subject', planned.pattern.subject], ['predicate', planned.pattern.predicate], ['object', planned.pattern.object]] as const) {
      if (isVariable(term)) continue;
      const id = this.source.lookup(term.key);
      if (id === undefined) {
        planned.scanRows = 0;
        planned.scanRowsCapped = false;
        return;
      }
      ids[position] = id;
    }
    planned.scanRows = graph.reduce((sum, g) => sum + this.source.estimate({ ...ids, graph: g }, cap), 0);
    planned.scanRowsCapped = planned.scanRows >= cap;
  }

  /**
   * Scans the pattern once (without the solution) into a multimap from the first join variable's
   * id to rows of the pattern's other variables; the other join variables are checked at the probe.
   */
  private buildHashTable(planned: BgpPlan['steps'][number], graph: ActiveGraph): void {
    const { hash, pattern } = planned as { hash: HashStep; pattern: TriplePattern };
    const positions = [pattern.subject, pattern.predicate, pattern.object];
    const ids: Array<number | undefined> = [];
    for (const term of positions) {
      const id = isVariable(term) ? undefined : this.source.lookup(term.key);
      if (!isVariable(term) && id === undefined) {
        // A constant that is not in the store: nothing matches.
        hash.table = new IdMultimapBuilder(0).build();
        return;
      }
      ids.push(id);
    }
    // Each variable's first position; a variable in two positions needs the same id in both.
    const firstPosition = new Map<string, number>();
    const repeats: Array<[number, number]> = [];
    positions.forEach((term, position) => {
      if (!isVariable(term)) return;
      const first = firstPosition.get(term.variable);
      if (first === undefined) firstPosition.set(term.variable, position);
      else repeats.push([first, position]);
    });
    const keyVariable = hash.joinVariables[0];
    const keyPosition = firstPosition.get(keyVariable)!;
    const outputs = [...firstPosition].filter(([variable]) => variable !== keyVariable);
    const outputPositions = outputs.map(([, position]) => position);
    const builder = new IdMultimapBuilder(outputPositions.length, planned.scanRows);
    const seen = graph.length > 1 ? new Set<string>() : undefined;
    for (const graphId of graph) {
      quads: for (const quad of this.source.match({ subject: ids[0], predicate: ids[1], object: ids[2], graph: graphId })) {
        this.tick();
        for (const [a, b] of repeats) if (quad[a] !== quad[b]) continue quads;
        if (seen) {
          const key = `${quad[0]} ${quad[1]} ${quad[2]}`;
          if (seen.has(key)) continue;
          seen.add(key);
        }
        const at = builder.add(quad[keyPosition]);
        const values = builder.rowValues;
        for (let i = 0; i < outputPositions.length; i++) values[at + i] = quad[outputPositions[i]];
        if (builder.size % 65536 === 0) this.checkRows(builder.size, 'a hash join');
      }
    }
    hash.outputSlots = outputs.map(([variable]) => this.variables.slot(variable));
    hash.table = builder.build();
  }

  /** Hash-join probe: the pattern's matches (scanned once, without the solution) compatible with it. */
  private *probe(hash: HashStep, solution: Solution): Generator<Solution> {
    const keyValue = solution.get(hash.joinVariables[0])!;
    const key = typeof keyValue === 'number' ? keyValue : this.source.lookup(keyValue);
    const table = hash.table!;
    const group = key === undefined ? -1 : table.group(key);
    if (group < 0) return;
    const { offsets, values: rows, width } = table;
    const slots = hash.outputSlots;
    const values = solution.values;
    rows: for (let row = offsets[group]; row < offsets[group + 1]; row++) {
      this.tick();
      let extended: Solution | undefined;
      for (let i = 0; i < width; i++) {
        const value = rows[row * width + i];
        const current = values[slots[i]];
        if (current === undefined) (extended ??= solution.clone()).values[slots[i]] = value;
        else if (current !== value && !this.sameValue(current, value)) continue rows;
      }
      yield extended ?? solution;
    }
  }

  /** A value as the store id of its term when the term is stored, else its key: equal terms, equal values. */
  canonicalValue(value: Value): Value {
    return typeof value === 'number' ? value : (this.source.lookup(value) ?? value);
  }

  /** Values as hash keys: store ids as numbers, other terms by their key (looked up to an id if stored). */
  hashKeyOf(value: Value): string {
    if (typeof value === 'number') return String(value);
    const id = this.source.lookup(value);
    return id === undefined ? value : String(id);
  }

  private isSubstitutable(op: Operator): boolean {
    return op.kind === 'bgp' || op.kind === 'path';
  }

  private *join(left: Operator, right: Operator, seed: Solution, graph: ActiveGraph): Generator<Solution> {
    if (this.isSubstitutable(right)) {
      for (const solution of this.evaluate(left, seed, graph)) yield* this.evaluate(right, solution, graph);
      return;
    }
    const rights = this.materialize(right, seed, graph, 'a join');
    for (const solution of this.evaluate(left, seed, graph)) {
      for (const other of rights) {
        this.tick();
        if (this.compatible(solution, other)) yield merge(solution, other);
      }
    }
  }

  private *leftJoin(op: Extract<Operator, { kind: 'leftJoin' }>, seed: Solution, graph: ActiveGraph): Generator<Solution> {
    const substitutable = this.isSubstitutable(op.right);
    const rights = substitutable ? undefined : this.materialize(op.right, seed, graph, 'OPTIONAL');
    for (const solution of this.evaluate(op.left, seed, graph)) {
      let matched = false;
      const candidates = substitutable ? this.evaluate(op.right, solution, graph) : rights!.filter((r) => this.compatible(solution, r)).map((r) => merge(solution, r));
      for (const merged of candidates) {
        this.tick();
        if (op.expression && !this.test(op.expression, merged, graph)) continue;
        matched = true;
        yield merged;
      }
      if (!matched) yield solution;
    }
  }

  private *minus(left: Operator, right: Operator, seed: Solution, graph: ActiveGraph): Generator<Solution> {
    const rights = this.materialize(right, seed, graph, 'MINUS');
    for (const solution of this.evaluate(left, seed, graph)) {
      const excluded = rights.some((other) => {
        let shared = false;
        for (const [name, value] of other) {
          const mine = solution.get(name);
          if (mine === undefined || seed.has(name)) continue;
          if (!this.sameValue(mine, value)) return false;
          shared = true;
        }
        return shared;
      });
      if (!excluded) yield solution;
    }
  }

  private *graph(op: Extract<Operator, { kind: 'graph' }>, seed: Solution): Generator<Solution> {
    if (!isVariable(op.name)) {
      const id = this.source.lookup(op.name.key);
      if (id === undefined || !this.namedGraphs().includes(id)) return;
      yield* this.evaluate(op.input, seed, [id]);
      return;
    }
    const variable = op.name.variable;
    const fixed = seed.get(variable);
    const graphs = fixed !== undefined ? [this.idOf(fixed)].filter((id): id is number => id !== undefined && this.namedGraphs().includes(id)) : this.namedGraphs();
    for (const graphId of graphs) {
      for (const solution of this.evaluate(op.input, seed, [graphId])) {
        const current = solution.get(variable);
        if (current !== undefined) {
          if (this.sameValue(current, graphId)) yield solution;
          continue;
        }
        yield solution.clone().set(variable, graphId);
      }
    }
  }

  /**
   * GROUP BY with streaming aggregation: each group keeps one accumulator per aggregate (plus a
   * set of seen values for DISTINCT), not its solutions.
   */
  private *group(op: Extract<Operator, { kind: 'group' }>, seed: Solution, graph: ActiveGraph): Generator<Solution> {
    type Group = { keys: Array<Value | undefined>; accumulators: Accumulator[]; seen: Array<Set<string> | undefined> };
    // One GROUP BY key: groups by its value (a store id where the term is stored); several: by a string of them.
    const groups = new Map<Value, Group>();
    const aggregates = op.aggregates;
    const inputs = aggregates.map(aggregateInput);
    const newGroup = (keys: Array<Value | undefined>): Group => ({
      keys,
      accumulators: aggregates.map((a) => new Accumulator(a)),
      seen: aggregates.map((a) => (a.distinct ? new Set<string>() : undefined)),
    });
    for (const solution of this.evaluate(op.input, seed, graph)) {
      let groupKey: Value;
      let keys: Array<Value | undefined> | undefined;
      let single: Value | undefined;
      if (op.keys.length === 1) {
        // The common case, without an array per row.
        single = this.tryValue(op.keys[0].expression, solution, graph);
        groupKey = single === undefined ? '' : this.canonicalValue(single);
      } else {
        keys = op.keys.map((k) => this.tryValue(k.expression, solution, graph));
        groupKey = keys.map((v) => (v === undefined ? '' : `\u0001${this.hashKeyOf(v)}`)).join('\u0000');
      }
      let group = groups.get(groupKey);
      if (!group) {
        groups.set(groupKey, (group = newGroup(keys ?? [single])));
        if (groups.size % 65536 === 0) this.checkRows(groups.size, 'GROUP BY');
      }
      for (let i = 0; i < aggregates.length; i++) {
        const aggregate = aggregates[i];
        const accumulator = group.accumulators[i];
        // COUNT(*) counts solutions; COUNT(DISTINCT *) distinct solutions.
        const value = aggregate.expression === undefined ? 1 : this.tryValue(aggregate.expression, solution, graph);
        const seen = group.seen[i];
        if (seen) {
          const key = aggregate.expression === undefined ? this.solutionKey(solution) : value === undefined ? '\u0000' : this.hashKeyOf(value);
          if (seen.has(key)) continue;
          seen.add(key);
        }
        const input = inputs[i];
        if (input === 'numeric') accumulator.addNumeric(value === undefined ? undefined : this.numericFactsOf(value));
        else accumulator.add(value === undefined ? undefined : input === 'term' ? this.termOf(value) : COUNTED);
      }
    }
    // Aggregating over no solution without GROUP BY gives one group (COUNT(*) = 0).
    if (groups.size === 0 && op.keys.length === 0) groups.set('', newGroup([]));
    for (const { keys, accumulators } of groups.values()) {
      const result = new Solution(this.variables);
      op.keys.forEach((key, i) => {
        const value = keys[i];
        const name = key.variable ?? (key.expression.kind === 'variable' ? key.expression.name : undefined);
        if (name !== undefined && value !== undefined) result.set(name, value);
      });
      op.aggregates.forEach((aggregate, i) => {
        const term = accumulators[i].result();
        if (term !== undefined) result.set(aggregate.name, plainTermToKey(term));
      });
      yield result;
    }
  }

  /**
   * ORDER BY: sort keys are computed once per row (numbers get a numeric fast path, see
   * sortKey); with `topK`, a bounded binary heap keeps only the best rows (O(n log k)).
   */
  private *orderBy(input: Operator, conditions: OrderCondition[], topK: number | undefined, seed: Solution, graph: ActiveGraph): Generator<Solution> {
    type Row = { solution: Solution; keys: Array<SortKey | undefined>; sequence: number };
    const compare = (a: Row, b: Row): number => {
      for (let i = 0; i < conditions.length; i++) {
        const order = compareSortKeys(a.keys[i], b.keys[i]);
        if (order !== 0) return conditions[i].descending ? -order : order;
      }
      return a.sequence - b.sequence;
    };
    const rowOf = (solution: Solution, sequence: number): Row => ({
      solution,
      sequence,
      keys: conditions.map((c) => {
        const value = this.tryValue(c.expression, solution, graph);
        return value === undefined ? undefined : sortKey(this.termOf(value));
      }),
    });
    let sequence = 0;
    if (topK === undefined) {
      const rows: Row[] = [];
      for (const solution of this.evaluate(input, seed, graph)) {
        rows.push(rowOf(solution, sequence++));
        if (rows.length % 65536 === 0) this.checkRows(rows.length, 'ORDER BY');
      }
      rows.sort(compare);
      for (const row of rows) yield row.solution;
      return;
    }
    if (topK <= 0) return;
    // A max-heap of the best topK rows seen: the worst of them is at the root.
    const heap: Row[] = [];
    const siftUp = (i: number) => {
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (compare(heap[i], heap[parent]) <= 0) return;
        [heap[i], heap[parent]] = [heap[parent], heap[i]];
        i = parent;
      }
    };
    const siftDown = (i: number) => {
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let largest = i;
        if (left < heap.length && compare(heap[left], heap[largest]) > 0) largest = left;
        if (right < heap.length && compare(heap[right], heap[largest]) > 0) largest = right;
        if (largest === i) return;
        [heap[i], heap[largest]] = [heap[largest], heap[i]];
        i = largest;
      }
    };
    for (const solution of this.evaluate(input, seed, graph)) {
      const row = rowOf(solution, sequence++);
      if (heap.length < topK) {
        heap.push(row);
        siftUp(heap.length - 1);
      } else if (compare(row, heap[0]) < 0) {
        heap[0] = row;
        siftDown(0);
      }
    }
    heap.sort(compare);
    for (const row of heap) yield row.solution;
  }

  // ---- expressions --------------------------------------------------------------------------

  /** BNODE(): a fresh node per call; BNODE(str): the same node for the same string within one solution (§17.4.2.9). */
  private readonly blankNodesBySolution = new WeakMap<Solution, Map<string, Term>>();
  private readonly constants = new WeakMap<Expression, Term>();

  private blankNode(args: Term[], solution: Solution): Term {
    if (args.length === 0) return this.options.functions.freshBlankNode();
    const label = args[0];
    if (label.termType !== 'Literal' || label.language !== '' || label.datatype !== 'http://www.w3.org/2001/XMLSchema#string') {
      throw new ExpressionError('BNODE needs a simple literal or xsd:string');
    }
    let memo = this.blankNodesBySolution.get(solution);
    if (!memo) this.blankNodesBySolution.set(solution, (memo = new Map()));
    let node = memo.get(label.value);
    if (!node) memo.set(label.value, (node = this.options.functions.freshBlankNode()));
    return node;
  }

  /** FILTER semantics: an error is false. */
  test(expression: Expression, solution: Solution, graph: ActiveGraph): boolean {
    try {
      return this.truth(expression, solution, graph);
    } catch (error) {
      if (error instanceof ExpressionError) return false;
      throw error;
    }
  }

  /** BIND / projection semantics: an error leaves the variable unbound. */
  tryValue(expression: Expression, solution: Solution, graph: ActiveGraph): Value | undefined {
    if (expression.kind === 'variable') return solution.get(expression.name);
    if (expression.kind === 'aggregateRef') return solution.get(expression.name);
    try {
      return plainTermToKey(this.expression(expression, solution, graph));
    } catch (error) {
      if (error instanceof ExpressionError) return undefined;
      throw error;
    }
  }

  /**
   * && and || (§17.2): an error on one side is hidden when the other side decides the result
   * (false for &&, true for ||); otherwise the error stands.
   */
  private logical(kind: 'and' | 'or', args: [Expression, Expression], solution: Solution, graph: ActiveGraph): boolean {
    const decisive = kind === 'or';
    let leftError: unknown;
    let left = !decisive;
    try {
      left = this.truth(args[0], solution, graph);
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      leftError = error;
    }
    if (!leftError && left === decisive) return decisive;
    const right = this.truth(args[1], solution, graph);
    if (leftError) {
      if (right === decisive) return decisive;
      throw leftError;
    }
    return right;
  }

  /** The effective boolean value of an expression (throws ExpressionError for an error). */
  private truth(e: Expression, solution: Solution, graph: ActiveGraph): boolean {
    if (e.kind === 'operator') {
      const fast = this.numericComparison(e, solution);
      if (fast !== undefined) return fast;
    } else if (e.kind === 'and' || e.kind === 'or') return this.logical(e.kind, e.args, solution, graph);
    return effectiveBooleanValue(this.expression(e, solution, graph));
  }

  /**
   * A comparison of two numbers that doubles decide exactly (numeric-facts.ts), without building
   * terms; undefined when it is not one (another operator, a non-number, or a value such as a
   * float or a long decimal that the full path must compare).
   */
  private numericComparison(e: Extract<Expression, { kind: 'operator' }>, solution: Solution): boolean | undefined {
    if (e.args.length !== 2 || !COMPARISONS.has(e.operator)) return undefined;
    const left = this.comparableOperand(e.args[0], solution);
    if (left === undefined) return undefined;
    const right = this.comparableOperand(e.args[1], solution);
    if (right === undefined) return undefined;
    return compareComparable(e.operator, left, right);
  }

  private comparableOperand(e: Expression, solution: Solution): number | undefined {
    let value: Value | undefined;
    if (e.kind === 'variable') value = solution.get(e.name);
    else if (e.kind === 'term') value = e.key;
    if (value === undefined) return undefined;
    return this.numericFactsOf(value)?.comparable;
  }

  expression(e: Expression, solution: Solution, graph: ActiveGraph): Term {
    switch (e.kind) {
      case 'term': {
        // One term object per constant, so values parsed from it are cached (xsd-values.ts).
        let term = this.constants.get(e);
        if (!term) this.constants.set(e, (term = keyToTerm(e.key)));
        return term;
      }
      case 'variable':
      case 'aggregateRef': {
        const value = solution.get(e.name);
        if (value === undefined) throw new ExpressionError(`?${e.name} is unbound`);
        return this.termOf(value);
      }
      case 'bound':
        return booleanTerm(solution.has(e.name));
      case 'and':
      case 'or':
        return booleanTerm(this.logical(e.kind, e.args, solution, graph));
      case 'if':
        return effectiveBooleanValue(this.expression(e.args[0], solution, graph))
          ? this.expression(e.args[1], solution, graph)
          : this.expression(e.args[2], solution, graph);
      case 'coalesce':
        for (const arg of e.args) {
          try {
            return this.expression(arg, solution, graph);
          } catch (error) {
            if (!(error instanceof ExpressionError)) throw error;
          }
        }
        throw new ExpressionError('COALESCE: every argument is an error');
      case 'in': {
        const needle = this.expression(e.needle, solution, graph);
        let sawError: unknown;
        for (const candidate of e.haystack) {
          try {
            const equal = effectiveBooleanValue(applyOperator('=', [needle, this.expression(candidate, solution, graph)]));
            if (equal) return booleanTerm(!e.negated);
          } catch (error) {
            if (!(error instanceof ExpressionError)) throw error;
            sawError = error;
          }
        }
        if (sawError) throw sawError;
        return booleanTerm(e.negated);
      }
      case 'exists': {
        const found = !this.evaluate(e.pattern, solution, graph).next().done;
        return booleanTerm(e.negated ? !found : found);
      }
      case 'operator': {
        const fast = this.numericComparison(e, solution);
        if (fast !== undefined) return booleanTerm(fast);
        return applyOperator(e.operator as never, e.args.map((a) => this.expression(a, solution, graph)));
      }
      case 'call':
        if (e.name === 'BNODE') return this.blankNode(e.args.map((a) => this.expression(a, solution, graph)), solution);
        return callFunction(e.name, e.args.map((a) => this.expression(a, solution, graph)), this.options.functions);
    }
  }
}

const XSD_BOOLEAN = 'http://www.w3.org/2001/XMLSchema#boolean';
const COMPARISONS = new Set(['=', '!=', '<', '>', '<=', '>=']);

const TRUE_TERM: Term = { termType: 'Literal', value: 'true', language: '', datatype: XSD_BOOLEAN };
const FALSE_TERM: Term = { termType: 'Literal', value: 'false', language: '', datatype: XSD_BOOLEAN };

/** Shared objects: the parsed value of each is cached once (xsd-values.ts). */
function booleanTerm(value: boolean): Term {
  return value ? TRUE_TERM : FALSE_TERM;
}

/** An ORDER BY key: the term, plus its numeric value when it is a valid number (compared fast). */
interface SortKey {
  term: Term;
  number: number | undefined;
}

const NUMERIC_DATATYPE = /^http:\/\/www\.w3\.org\/2001\/XMLSchema#(integer|decimal|double|float|long|int|short|byte|nonNegativeInteger|positiveInteger|negativeInteger|nonPositiveInteger|unsignedLong|unsignedInt|unsignedShort|unsignedByte)$/;

function sortKey(term: Term): SortKey {
  if (term.termType === 'Literal' && NUMERIC_DATATYPE.test(term.datatype)) {
    const number = Number(term.value);
    // Only values a double holds exactly compare correctly this way; others use the full order.
    if (Number.isFinite(number) && Math.abs(number) < 2 ** 53 && /^[+-]?\d{1,15}(\.\d{0,6})?$/.test(term.value.trim())) return { term, number };
  }
  return { term, number: undefined };
}

function compareSortKeys(a: SortKey | undefined, b: SortKey | undefined): number {
  if (a?.number !== undefined && b?.number !== undefined && a.number !== b.number) return a.number < b.number ? -1 : 1;
  return compareForOrderBy(a?.term, b?.term);
}

interface HashStep {
  joinVariables: string[];
  /** Slots of the pattern's variables other than the first join variable: what each row binds, in this order. */
  outputSlots: number[];
  /** From the first join variable's id to rows for outputSlots. Built once the lookups have cost more than a scan. */
  table: IdMultimap | undefined;
}

interface BgpPlan {
  steps: Array<{
    pattern: TriplePattern;
    /** What scanning the pattern reads (at least, while capped), against the lookups made so far. */
    scanRows: number;
    scanRowsCapped: boolean;
    lookups: number;
    hash: HashStep | undefined;
  }>;
}

/** Stands for any present value where only presence matters. */
const COUNTED: Term = { termType: 'NamedNode', value: 'urn:counted' };

export function merge(a: Solution, b: Solution): Solution {
  const merged = a.values.slice();
  const other = b.values;
  for (let slot = 0; slot < other.length; slot++) if (merged[slot] === undefined && other[slot] !== undefined) merged[slot] = other[slot];
  return new Solution(a.table, merged);
}

export { DEFAULT_GRAPH_ID };
