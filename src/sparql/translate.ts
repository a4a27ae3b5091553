/**
 * Translates the parser's syntax tree (sparqljs) into our algebra, following SPARQL 1.1
 * §18.2.2: filters of a group apply to the whole group, OPTIONAL becomes LeftJoin (lifting a
 * top-level filter of the optional part into the LeftJoin), BIND extends what precedes it, and
 * the solution modifiers apply in the order group, having, select expressions, order, project,
 * distinct, slice. Blank nodes in patterns become variables no projection shows.
 */
import type * as S from 'sparqljs';
import type { Term as RdfTerm } from '@rdfjs/types';
import { termToKey, type TermKey } from '../rdf/term-key.ts';
import type { Aggregate, DatasetClause, Expression, Operator, Path, PatternTerm, Query, QueryForm, TemplateQuad, TriplePattern } from './algebra.ts';
import { UNIT_TABLE } from './algebra.ts';
import { SparqlSemanticError } from './sparql-errors.ts';

/** Variables standing for query blank nodes start with a character SPARQL names cannot have. */
export const BLANK_VARIABLE_PREFIX = '#';

export function isBlankVariable(name: string): boolean {
  return name.startsWith(BLANK_VARIABLE_PREFIX);
}

class Translator {
  private aggregateCounter = 0;
  private pathCounter = 0;

  patternTerm(term: S.Term | RdfTerm): PatternTerm {
    if (term.termType === 'Variable') return { variable: term.value };
    if (term.termType === 'BlankNode') return { variable: BLANK_VARIABLE_PREFIX + term.value };
    if (term.termType === 'Quad') throw new SparqlSemanticError('quoted triples are not supported');
    return { key: termToKey(term as never) };
  }

  path(path: S.IriTerm | S.PropertyPath): Path {
    if ('termType' in path) return { kind: 'link', iri: termToKey(path) };
    switch (path.pathType) {
      case '^':
        return { kind: 'inverse', path: this.path(path.items[0]) };
      case '/':
        return { kind: 'sequence', items: path.items.map((p) => this.path(p)) };
      case '|':
        return { kind: 'alternative', items: path.items.map((p) => this.path(p)) };
      case '*':
        return { kind: 'zeroOrMore', path: this.path(path.items[0]) };
      case '+':
        return { kind: 'oneOrMore', path: this.path(path.items[0]) };
      case '?':
        return { kind: 'zeroOrOne', path: this.path(path.items[0]) };
      case '!': {
        const forward: TermKey[] = [];
        const inverse: TermKey[] = [];
        const collect = (item: S.IriTerm | S.PropertyPath) => {
          if ('termType' in item) forward.push(termToKey(item));
          else if (item.pathType === '^') inverse.push(termToKey(item.items[0] as S.IriTerm));
          else if (item.pathType === '|') item.items.forEach(collect);
          else throw new SparqlSemanticError('unexpected item in a negated property set');
        };
        path.items.forEach(collect);
        return { kind: 'negated', forward, inverse };
      }
    }
  }

  /** A BGP's triples, with property-path triples as their own operators joined in order. */
  triples(triples: S.Triple[]): Operator {
    let current: Operator | undefined;
    let bgp: TriplePattern[] = [];
    const flush = () => {
      if (bgp.length === 0) return;
      const op: Operator = { kind: 'bgp', patterns: bgp };
      current = current ? { kind: 'join', left: current, right: op } : op;
      bgp = [];
    };
    for (const triple of triples) {
      const subject = this.patternTerm(triple.subject);
      const object = this.patternTerm(triple.object);
      const predicate = triple.predicate;
      if ('termType' in predicate) {
        bgp.push({ subject, predicate: this.patternTerm(predicate), object });
        continue;
      }
      const path = this.path(predicate);
      if (path.kind === 'link') {
        bgp.push({ subject, predicate: { key: path.iri }, object });
        continue;
      }
      if (path.kind === 'inverse' && path.path.kind === 'link') {
        bgp.push({ subject: object, predicate: { key: path.path.iri }, object: subject });
        continue;
      }
      if (path.kind === 'sequence') {
        // A sequence is a join through fresh blank variables (§18.2.2.4); plain links stay in the BGP.
        let from = subject;
        path.items.forEach((item, index) => {
          const to = index === path.items.length - 1 ? object : { variable: `${BLANK_VARIABLE_PREFIX}path${this.pathCounter++}` };
          if (item.kind === 'link') bgp.push({ subject: from, predicate: { key: item.iri }, object: to });
          else if (item.kind === 'inverse' && item.path.kind === 'link') bgp.push({ subject: to, predicate: { key: item.path.iri }, object: from });
          else {
            flush();
            const op = this.pathOperator(from, item, to);
            current = current ? { kind: 'join', left: current, right: op } : op;
          }
          from = to;
        });
        continue;
      }
      flush();
      const op = this.pathOperator(subject, path, object);
      current = current ? { kind: 'join', left: current, right: op } : op;
    }
    flush();
    return current ?? UNIT_TABLE;
  }

  private pathOperator(subject: PatternTerm, path: Path, object: PatternTerm): Operator {
    if (path.kind === 'link') return { kind: 'bgp', patterns: [{ subject, predicate: { key: path.iri }, object }] };
    if (path.kind === 'inverse' && path.path.kind === 'link') return { kind: 'bgp', patterns: [{ subject: object, predicate: { key: path.path.iri }, object: subject }] };
    return { kind: 'path', subject, path, object };
  }

  /** A group graph pattern {...} (§18.2.2.5). */
  group(patterns: S.Pattern[]): Operator {
    let current: Operator = UNIT_TABLE;
    const filters: Expression[] = [];
    const join = (right: Operator) => {
      current = current === UNIT_TABLE ? right : right === UNIT_TABLE ? current : { kind: 'join', left: current, right };
    };
    for (const pattern of patterns) {
      switch (pattern.type) {
        case 'bgp':
          join(this.triples(pattern.triples));
          break;
        case 'filter':
          filters.push(this.expression(pattern.expression));
          break;
        case 'optional': {
          const inner = this.group(pattern.patterns);
          if (inner.kind === 'filter') current = { kind: 'leftJoin', left: current, right: inner.input, expression: inner.expression };
          else current = { kind: 'leftJoin', left: current, right: inner, expression: undefined };
          break;
        }
        case 'minus':
          current = { kind: 'minus', left: current, right: this.group(pattern.patterns) };
          break;
        case 'bind': {
          const variable = pattern.variable.value;
          if (inScope(current).has(variable)) throw new SparqlSemanticError(`BIND assigns ?${variable}, which is already in scope`);
          current = { kind: 'extend', input: current, variable, expression: this.expression(pattern.expression) };
          break;
        }
        case 'union': {
          const branches = pattern.patterns.map((p) => (p.type === 'group' ? this.group(p.patterns) : this.group([p])));
          join(branches.reduce((left, right) => ({ kind: 'union', left, right })));
          break;
        }
        case 'group':
          join(this.group(pattern.patterns));
          break;
        case 'graph':
          join({ kind: 'graph', name: this.patternTerm(pattern.name), input: this.group(pattern.patterns) });
          break;
        case 'values':
          join(this.values(pattern.values));
          break;
        case 'query':
          join(this.subquery(pattern as S.SelectQuery));
          break;
        case 'service':
          throw new SparqlSemanticError('SERVICE (federated query) is not supported');
        default:
          throw new SparqlSemanticError(`unsupported pattern ${(pattern as { type: string }).type}`);
      }
    }
    if (filters.length > 0) {
      const expression = filters.reduce((a, b) => ({ kind: 'and', args: [a, b] }));
      current = { kind: 'filter', expression, input: current };
    }
    return current;
  }

  values(rows: S.ValuePatternRow[]): Operator {
    const variables = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    return {
      kind: 'values',
      variables: variables.map((v) => v.replace(/^\?/, '')),
      rows: rows.map((row) => variables.map((v) => (row[v] ? termToKey(row[v] as never) : undefined))),
    };
  }

  subquery(query: S.SelectQuery): Operator {
    return this.select(query).pattern;
  }

  expression(expression: S.Expression, aggregates?: Aggregate[]): Expression {
    if (Array.isArray(expression)) throw new SparqlSemanticError('unexpected expression list');
    if ('termType' in expression) {
      if (expression.termType === 'Variable') return { kind: 'variable', name: expression.value };
      if (expression.termType === 'Quad') throw new SparqlSemanticError('quoted triples are not supported');
      return { kind: 'term', key: termToKey(expression as never) };
    }
    switch (expression.type) {
      case 'aggregate': {
        if (!aggregates) throw new SparqlSemanticError('aggregates are only allowed in SELECT, HAVING and ORDER BY');
        const name = `#agg${this.aggregateCounter++}`;
        const inner = expression.expression as S.Expression | S.Wildcard;
        aggregates.push({
          name,
          function: expression.aggregation.toUpperCase() as Aggregate['function'],
          distinct: Boolean(expression.distinct),
          expression: 'termType' in inner && inner.termType === 'Wildcard' ? undefined : this.expression(inner as S.Expression),
          separator: expression.separator ?? ' ',
        });
        return { kind: 'aggregateRef', name };
      }
      case 'functionCall': {
        const name = typeof expression.function === 'string' ? expression.function : expression.function.value;
        return { kind: 'call', name, args: expression.args.map((a) => this.expression(a, aggregates)) };
      }
      case 'operation':
        return this.operation(expression, aggregates);
      default:
        throw new SparqlSemanticError(`unsupported expression ${(expression as { type: string }).type}`);
    }
  }

  private operation(expression: S.OperationExpression, aggregates?: Aggregate[]): Expression {
    const op = expression.operator.toLowerCase();
    const args = expression.args;
    const sub = (i: number) => this.expression(args[i] as S.Expression, aggregates);
    switch (op) {
      case '&&':
        return { kind: 'and', args: [sub(0), sub(1)] };
      case '||':
        return { kind: 'or', args: [sub(0), sub(1)] };
      case 'if':
        return { kind: 'if', args: [sub(0), sub(1), sub(2)] };
      case 'coalesce':
        return { kind: 'coalesce', args: args.map((_, i) => sub(i)) };
      case 'bound': {
        const v = args[0] as S.VariableTerm;
        if (v.termType !== 'Variable') throw new SparqlSemanticError('BOUND needs a variable');
        return { kind: 'bound', name: v.value };
      }
      case 'in':
      case 'notin':
        return { kind: 'in', negated: op === 'notin', needle: sub(0), haystack: (args[1] as S.Expression[]).map((e) => this.expression(e, aggregates)) };
      case 'exists':
      case 'notexists': {
        const pattern = args[0] as S.Pattern;
        const group = pattern.type === 'group' ? this.group(pattern.patterns) : this.group([pattern]);
        return { kind: 'exists', negated: op === 'notexists', pattern: group };
      }
      case '=': case '!=': case '<': case '>': case '<=': case '>=': case '+': case '-': case '*': case '/': case '!':
        return { kind: 'operator', operator: op, args: args.map((_, i) => sub(i)) };
      case 'uminus':
        return { kind: 'operator', operator: 'UMINUS', args: [sub(0)] };
      case 'uplus':
        return { kind: 'operator', operator: 'UPLUS', args: [sub(0)] };
      default:
        return { kind: 'call', name: op.toUpperCase(), args: args.map((_, i) => sub(i)) };
    }
  }

  select(query: S.SelectQuery): { pattern: Operator; variables: string[] } {
    let pattern = this.group(query.where ?? []);
    if (query.values) pattern = { kind: 'join', left: pattern, right: this.values(query.values) };
    const aggregates: Aggregate[] = [];
    const projections: Array<{ variable: string; expression: Expression | undefined }> = [];
    const wildcard = query.variables.length === 1 && 'termType' in query.variables[0] && query.variables[0].termType === 'Wildcard';
    if (!wildcard) {
      for (const item of query.variables as S.Variable[]) {
        if ('termType' in item) projections.push({ variable: item.value, expression: undefined });
        else projections.push({ variable: item.variable.value, expression: this.expression(item.expression, aggregates) });
      }
    }
    const having = (query.having ?? []).map((h) => this.expression(h, aggregates));
    const order = (query.order ?? []).map((o) => ({ expression: this.expression(o.expression, aggregates), descending: Boolean(o.descending) }));
    const grouped = (query.group ?? []).length > 0 || aggregates.length > 0;
    if (grouped) {
      const keys = (query.group ?? []).map((g) => ({ expression: this.expression(g.expression), variable: g.variable?.value }));
      pattern = { kind: 'group', input: pattern, keys, aggregates };
      const groupVariables = new Set(keys.map((k) => k.variable ?? (k.expression.kind === 'variable' ? k.expression.name : undefined)).filter(Boolean) as string[]);
      for (const p of projections) {
        if (!p.expression && !groupVariables.has(p.variable)) throw new SparqlSemanticError(`?${p.variable} is projected but neither grouped nor aggregated`);
        if (p.expression) checkGrouped(p.expression, groupVariables, projections);
      }
      if (wildcard) throw new SparqlSemanticError('SELECT * cannot be used with GROUP BY');
    }
    for (const condition of having) pattern = { kind: 'filter', expression: condition, input: pattern };
    const bound = inScope(pattern);
    for (const p of projections) {
      if (!p.expression) continue;
      if (bound.has(p.variable)) throw new SparqlSemanticError(`?${p.variable} is assigned by SELECT but already in scope`);
      pattern = { kind: 'extend', input: pattern, variable: p.variable, expression: p.expression };
      bound.add(p.variable);
    }
    if (order.length > 0) pattern = { kind: 'orderBy', input: pattern, conditions: order };
    const variables = wildcard ? [...inScope(pattern)].filter((v) => !isBlankVariable(v)) : projections.map((p) => p.variable);
    pattern = { kind: 'project', input: pattern, variables };
    if (query.distinct) pattern = { kind: 'distinct', input: pattern };
    else if (query.reduced) pattern = { kind: 'reduced', input: pattern };
    if (query.offset !== undefined || query.limit !== undefined) {
      // ORDER BY under a LIMIT only needs its first offset+limit rows (unless DISTINCT may drop some).
      if (query.limit !== undefined && pattern.kind === 'project' && pattern.input.kind === 'orderBy') {
        pattern = { ...pattern, input: { ...pattern.input, topK: (query.offset ?? 0) + query.limit } };
      }
      pattern = { kind: 'slice', input: pattern, offset: query.offset ?? 0, limit: query.limit };
    }
    return { pattern, variables };
  }

  template(triples: S.Triple[], graph: PatternTerm | undefined): TemplateQuad[] {
    return triples.map((t) => {
      if (!('termType' in t.predicate)) throw new SparqlSemanticError('property paths are not allowed in templates');
      return { subject: this.patternTerm(t.subject), predicate: this.patternTerm(t.predicate), object: this.patternTerm(t.object), graph };
    });
  }

  quads(quads: S.Quads[]): TemplateQuad[] {
    return quads.flatMap((q) => this.template(q.triples, q.type === 'graph' ? this.patternTerm(q.name) : undefined));
  }
}

/** Variables in scope of an operator (§18.2.1), for SELECT * and the BIND/AS scoping rules. */
export function inScope(op: Operator, out = new Set<string>()): Set<string> {
  const add = (t: PatternTerm) => {
    if ('variable' in t) out.add(t.variable);
  };
  switch (op.kind) {
    case 'bgp':
      for (const p of op.patterns) [p.subject, p.predicate, p.object].forEach(add);
      break;
    case 'path':
      add(op.subject);
      add(op.object);
      break;
    case 'join':
    case 'leftJoin':
    case 'union':
      inScope(op.left, out);
      inScope(op.right, out);
      break;
    case 'minus':
      inScope(op.left, out);
      break;
    case 'filter':
    case 'orderBy':
    case 'distinct':
    case 'reduced':
    case 'slice':
      inScope(op.input, out);
      break;
    case 'extend':
      inScope(op.input, out);
      out.add(op.variable);
      break;
    case 'values':
      op.variables.forEach((v) => out.add(v));
      break;
    case 'graph':
      add(op.name);
      inScope(op.input, out);
      break;
    case 'group':
      for (const key of op.keys) {
        if (key.variable) out.add(key.variable);
        else if (key.expression.kind === 'variable') out.add(key.expression.name);
      }
      break;
    case 'project':
      op.variables.forEach((v) => out.add(v));
      break;
  }
  return out;
}

/** In a grouped query, a projected expression may use only group keys, aggregates and earlier projections. */
function checkGrouped(expression: Expression, groupVariables: Set<string>, projections: Array<{ variable: string }>): void {
  const visit = (e: Expression) => {
    switch (e.kind) {
      case 'variable':
        if (!groupVariables.has(e.name) && !projections.some((p) => p.variable === e.name)) {
          throw new SparqlSemanticError(`?${e.name} is used in a grouped SELECT expression but not grouped`);
        }
        break;
      case 'aggregateRef':
      case 'term':
        break;
      case 'bound':
        visit({ kind: 'variable', name: e.name });
        break;
      case 'in':
        visit(e.needle);
        e.haystack.forEach(visit);
        break;
      case 'exists':
        break;
      default:
        (e.args as Expression[]).forEach(visit);
    }
  };
  visit(expression);
}

function datasetOf(from: { default: S.IriTerm[]; named: S.IriTerm[] } | undefined): DatasetClause | undefined {
  if (!from || (from.default.length === 0 && from.named.length === 0)) return undefined;
  return { defaultGraphs: from.default.map((g) => termToKey(g)), namedGraphs: from.named.map((g) => termToKey(g)) };
}

export function translateQuery(query: S.Query, baseIri: string | undefined): Query {
  const translator = new Translator();
  const dataset = datasetOf(query.from);
  let form: QueryForm;
  let pattern: Operator;
  switch (query.queryType) {
    case 'SELECT': {
      const select = translator.select(query);
      form = { form: 'SELECT', variables: select.variables };
      pattern = select.pattern;
      break;
    }
    case 'ASK':
      form = { form: 'ASK' };
      pattern = translator.select({ ...query, queryType: 'SELECT', variables: [{ termType: 'Wildcard', value: '*' } as never] } as S.SelectQuery).pattern;
      break;
    case 'CONSTRUCT': {
      // CONSTRUCT WHERE { ... }: the template is the pattern itself.
      const template = query.template ?? (query.where ?? []).flatMap((p) => (p.type === 'bgp' ? p.triples : []));
      form = { form: 'CONSTRUCT', template: translator.template(template, undefined) };
      pattern = translator.select({ ...query, queryType: 'SELECT', variables: [{ termType: 'Wildcard', value: '*' } as never] } as S.SelectQuery).pattern;
      break;
    }
    case 'DESCRIBE': {
      const wildcard = query.variables.length === 1 && (query.variables[0] as { termType: string }).termType === 'Wildcard';
      const select = translator.select({ ...query, queryType: 'SELECT', variables: [{ termType: 'Wildcard', value: '*' } as never] } as S.SelectQuery);
      form = {
        form: 'DESCRIBE',
        terms: wildcard ? select.variables.map((v) => ({ variable: v })) : (query.variables as Array<S.VariableTerm | S.IriTerm>).map((t) => translator.patternTerm(t)),
      };
      pattern = query.where ? select.pattern : UNIT_TABLE;
      break;
    }
  }
  return { form, pattern, dataset, baseIri: query.base ?? baseIri };
}

export { Translator };
