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
import type { Aggregate, Expression, Operator, OrderCondition, PatternTerm, TriplePattern } from './algebra.ts';
import { isVariable } from './algebra.ts';
import type { QuadSource } from './quad-source.ts';
import { evaluatePath } from './paths.ts';
import { ExpressionError, applyOperator, callFunction, effectiveBooleanValue, type FunctionContext } from './expression-functions.ts';
import { compareForOrderBy } from './term-order.ts';
import { computeAggregate } from './aggregates.ts';
import { QueryTimeoutError, QueryCancelledError } from './sparql-errors.ts';

export type Value = number | string;
export type Solution = Map<string, Value>;

/** The graphs a pattern matches: ids (0 is the default graph); several are merged as a set. */
export type ActiveGraph = readonly number[];

export interface EvaluationOptions {
  source: QuadSource;
  /** The default graph of the query's dataset. */
  defaultGraph: ActiveGraph;
  /** The named graphs GRAPH ranges over. */
  namedGraphs: readonly number[];
  functions: FunctionContext;
  /** performance.now() deadline; undefined: none. */
  deadlineMs?: number;
  /** Polled as the query works: true stops it (the client went away). */
  isCancelled?: () => boolean;
}

const DEADLINE_CHECK_EVERY = 1024;
const ESTIMATE_CAP = 10_000;

export class Evaluator {
  readonly source: QuadSource;
  private readonly termCache = new Map<number, Term>();
  private steps = 0;

  constructor(private readonly options: EvaluationOptions) {
    this.source = options.source;
  }

  /** Counts work and throws once the deadline passed. */
  tick(): void {
    if (++this.steps % DEADLINE_CHECK_EVERY !== 0) return;
    if (this.options.deadlineMs !== undefined && performance.now() > this.options.deadlineMs) throw new QueryTimeoutError('the query ran past its timeout');
    if (this.options.isCancelled?.()) throw new QueryCancelledError('the query was cancelled');
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
      if (this.termCache.size > 100_000) this.termCache.clear();
      this.termCache.set(value, term);
    }
    return term;
  }

  /** A value as a store id, if the term is in the store (undefined: it cannot match anything). */
  idOf(value: Value): number | undefined {
    return typeof value === 'number' ? value : this.source.lookup(value);
  }

  sameValue(a: Value, b: Value): boolean {
    if (typeof a === typeof b) return a === b;
    return this.keyOf(a) === this.keyOf(b);
  }

  compatible(a: Solution, b: Solution): boolean {
    const [small, large] = a.size <= b.size ? [a, b] : [b, a];
    for (const [name, value] of small) {
      const other = large.get(name);
      if (other !== undefined && !this.sameValue(value, other)) return false;
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
          const extended = new Map(solution);
          extended.set(op.variable, value);
          const memo = this.blankNodesBySolution.get(solution);
          if (memo) this.blankNodesBySolution.set(extended, memo);
          yield extended;
        }
        return;
      case 'values':
        for (const row of op.rows) {
          const solution = new Map(seed);
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
        yield* this.orderBy(op.input, op.conditions, seed, graph);
        return;
      case 'project':
        for (const solution of this.evaluate(op.input, new Map(), graph)) {
          const projected = new Map<string, Value>();
          for (const variable of op.variables) {
            const value = solution.get(variable);
            if (value !== undefined) projected.set(variable, value);
          }
          // A subquery under a seed (EXISTS) must agree with it.
          if (seed.size > 0) {
            if (!this.compatible(projected, seed)) continue;
            yield new Map([...seed, ...projected]);
          } else yield projected;
        }
        return;
      case 'distinct': {
        const seen = new Set<string>();
        for (const solution of this.evaluate(op.input, seed, graph)) {
          const key = this.solutionKey(solution);
          if (seen.has(key)) continue;
          seen.add(key);
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

  solutionKey(solution: Solution): string {
    const parts: string[] = [];
    for (const name of [...solution.keys()].sort()) parts.push(`${name}=${this.keyOf(solution.get(name)!)}`);
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
    const bind = (term: PatternTerm, id: number): boolean => {
      if (!isVariable(term)) return true;
      const current = (extended ?? solution).get(term.variable);
      if (current !== undefined) return this.sameValue(current, id);
      extended ??= new Map(solution);
      extended.set(term.variable, id);
      return true;
    };
    if (!bind(pattern.subject, s) || !bind(pattern.predicate, p) || !bind(pattern.object, o)) return undefined;
    return extended ?? solution;
  }

  private *bgp(patterns: TriplePattern[], seed: Solution, graph: ActiveGraph): Generator<Solution> {
    if (patterns.length === 0) {
      yield seed;
      return;
    }
    const ordered = this.orderPatterns(patterns, seed, graph);
    const step = function* (this: Evaluator, index: number, solution: Solution): Generator<Solution> {
      if (index === ordered.length) {
        yield solution;
        return;
      }
      for (const next of this.matchTriple(ordered[index], solution, graph)) yield* step.call(this, index + 1, next);
    };
    yield* step.call(this, 0, seed);
  }

  /**
   * Greedy join order: start with the pattern that matches fewest quads (counted, capped), then
   * repeatedly take the cheapest pattern connected to the variables bound so far.
   */
  private orderPatterns(patterns: TriplePattern[], seed: Solution, graph: ActiveGraph): TriplePattern[] {
    if (patterns.length === 1) return patterns;
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
    const ordered: TriplePattern[] = [];
    while (remaining.length > 0) {
      let best = -1;
      let bestCost = Infinity;
      remaining.forEach(({ pattern, estimate }, i) => {
        const variables = [pattern.subject, pattern.predicate, pattern.object].filter(isVariable).map((v) => v.variable);
        const connected = ordered.length === 0 || variables.some((v) => bound.has(v)) || variables.length === 0;
        const unboundCount = variables.filter((v) => !bound.has(v)).length;
        // A bound variable typically divides the matches a lot; unconnected patterns are cross products.
        const cost = (connected ? 1 : 1e6) * (estimate / 10 ** (variables.length - unboundCount) + unboundCount * 1e-3);
        if (cost < bestCost) {
          bestCost = cost;
          best = i;
        }
      });
      const [chosen] = remaining.splice(best, 1);
      ordered.push(chosen.pattern);
      for (const term of [chosen.pattern.subject, chosen.pattern.predicate, chosen.pattern.object]) if (isVariable(term)) bound.add(term.variable);
    }
    return ordered;
  }

  private isSubstitutable(op: Operator): boolean {
    return op.kind === 'bgp' || op.kind === 'path';
  }

  private *join(left: Operator, right: Operator, seed: Solution, graph: ActiveGraph): Generator<Solution> {
    if (this.isSubstitutable(right)) {
      for (const solution of this.evaluate(left, seed, graph)) yield* this.evaluate(right, solution, graph);
      return;
    }
    const rights = [...this.evaluate(right, seed, graph)];
    for (const solution of this.evaluate(left, seed, graph)) {
      for (const other of rights) {
        this.tick();
        if (this.compatible(solution, other)) yield merge(solution, other);
      }
    }
  }

  private *leftJoin(op: Extract<Operator, { kind: 'leftJoin' }>, seed: Solution, graph: ActiveGraph): Generator<Solution> {
    const substitutable = this.isSubstitutable(op.right);
    const rights = substitutable ? undefined : [...this.evaluate(op.right, seed, graph)];
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
    const rights = [...this.evaluate(right, seed, graph)];
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
      if (id === undefined || !this.options.namedGraphs.includes(id)) return;
      yield* this.evaluate(op.input, seed, [id]);
      return;
    }
    const variable = op.name.variable;
    const fixed = seed.get(variable);
    const graphs = fixed !== undefined ? [this.idOf(fixed)].filter((id): id is number => id !== undefined && this.options.namedGraphs.includes(id)) : this.options.namedGraphs;
    for (const graphId of graphs) {
      for (const solution of this.evaluate(op.input, seed, [graphId])) {
        const current = solution.get(variable);
        if (current !== undefined) {
          if (this.sameValue(current, graphId)) yield solution;
          continue;
        }
        const extended = new Map(solution);
        extended.set(variable, graphId);
        yield extended;
      }
    }
  }

  private *group(op: Extract<Operator, { kind: 'group' }>, seed: Solution, graph: ActiveGraph): Generator<Solution> {
    const groups = new Map<string, { keys: Array<Value | undefined>; members: Solution[] }>();
    for (const solution of this.evaluate(op.input, seed, graph)) {
      const keys = op.keys.map((k) => this.tryValue(k.expression, solution, graph));
      const groupKey = keys.map((v) => (v === undefined ? '' : `\u0001${this.keyOf(v)}`)).join('\u0000');
      let group = groups.get(groupKey);
      if (!group) groups.set(groupKey, (group = { keys, members: [] }));
      group.members.push(solution);
    }
    // Aggregating over no solution without GROUP BY gives one group (COUNT(*) = 0).
    if (groups.size === 0 && op.keys.length === 0) groups.set('', { keys: [], members: [] });
    for (const { keys, members } of groups.values()) {
      const result = new Map<string, Value>();
      op.keys.forEach((key, i) => {
        const value = keys[i];
        const name = key.variable ?? (key.expression.kind === 'variable' ? key.expression.name : undefined);
        if (name !== undefined && value !== undefined) result.set(name, value);
      });
      for (const aggregate of op.aggregates) {
        const value = this.aggregate(aggregate, members, graph);
        if (value !== undefined) result.set(aggregate.name, value);
      }
      yield result;
    }
  }

  private aggregate(aggregate: Aggregate, members: Solution[], graph: ActiveGraph): Value | undefined {
    let values: Array<Value | undefined>;
    if (aggregate.expression === undefined) values = members.map(() => 1);
    else values = members.map((m) => this.tryValue(aggregate.expression!, m, graph));
    if (aggregate.distinct) {
      const seen = new Set<string>();
      values = values.filter((v) => {
        const key = aggregate.expression === undefined ? '' : v === undefined ? '\u0000' : this.keyOf(v);
        if (aggregate.expression === undefined) return true;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      if (aggregate.expression === undefined) {
        // COUNT(DISTINCT *): distinct solutions.
        const keys = new Set(members.map((m) => this.solutionKey(m)));
        values = [...keys].map(() => 1);
      }
    }
    const term = computeAggregate(aggregate, values.map((v) => (v === undefined ? undefined : this.termOf(v))));
    return term === undefined ? undefined : plainTermToKey(term);
  }

  private *orderBy(input: Operator, conditions: OrderCondition[], seed: Solution, graph: ActiveGraph): Generator<Solution> {
    const rows = [...this.evaluate(input, seed, graph)].map((solution) => ({
      solution,
      keys: conditions.map((c) => {
        const value = this.tryValue(c.expression, solution, graph);
        return value === undefined ? undefined : this.termOf(value);
      }),
    }));
    rows.sort((a, b) => {
      for (let i = 0; i < conditions.length; i++) {
        const order = compareForOrderBy(a.keys[i], b.keys[i]);
        if (order !== 0) return conditions[i].descending ? -order : order;
      }
      return 0;
    });
    for (const row of rows) yield row.solution;
  }

  // ---- expressions --------------------------------------------------------------------------

  /** BNODE(): a fresh node per call; BNODE(str): the same node for the same string within one solution (§17.4.2.9). */
  private readonly blankNodesBySolution = new WeakMap<Solution, Map<string, Term>>();

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
      return effectiveBooleanValue(this.expression(expression, solution, graph));
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

  expression(e: Expression, solution: Solution, graph: ActiveGraph): Term {
    switch (e.kind) {
      case 'term':
        return keyToTerm(e.key);
      case 'variable':
      case 'aggregateRef': {
        const value = solution.get(e.name);
        if (value === undefined) throw new ExpressionError(`?${e.name} is unbound`);
        return this.termOf(value);
      }
      case 'bound':
        return booleanTerm(solution.has(e.name));
      case 'and': {
        // §17.2: an error on one side is hidden if the other side decides the result.
        let leftError: unknown;
        let left = false;
        try {
          left = effectiveBooleanValue(this.expression(e.args[0], solution, graph));
        } catch (error) {
          if (!(error instanceof ExpressionError)) throw error;
          leftError = error;
        }
        if (!leftError && !left) return booleanTerm(false);
        const right = effectiveBooleanValue(this.expression(e.args[1], solution, graph));
        if (leftError) {
          if (!right) return booleanTerm(false);
          throw leftError;
        }
        return booleanTerm(right);
      }
      case 'or': {
        let leftError: unknown;
        let left = false;
        try {
          left = effectiveBooleanValue(this.expression(e.args[0], solution, graph));
        } catch (error) {
          if (!(error instanceof ExpressionError)) throw error;
          leftError = error;
        }
        if (!leftError && left) return booleanTerm(true);
        const right = effectiveBooleanValue(this.expression(e.args[1], solution, graph));
        if (leftError) {
          if (right) return booleanTerm(true);
          throw leftError;
        }
        return booleanTerm(right);
      }
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
      case 'operator':
        return applyOperator(e.operator as never, e.args.map((a) => this.expression(a, solution, graph)));
      case 'call':
        if (e.name === 'BNODE') return this.blankNode(e.args.map((a) => this.expression(a, solution, graph)), solution);
        return callFunction(e.name, e.args.map((a) => this.expression(a, solution, graph)), this.options.functions);
    }
  }
}

const XSD_BOOLEAN = 'http://www.w3.org/2001/XMLSchema#boolean';

function booleanTerm(value: boolean): Term {
  return { termType: 'Literal', value: String(value), language: '', datatype: XSD_BOOLEAN };
}

export function merge(a: Solution, b: Solution): Solution {
  const merged = new Map(a);
  for (const [name, value] of b) if (!merged.has(name)) merged.set(name, value);
  return merged;
}

export { DEFAULT_GRAPH_ID };
