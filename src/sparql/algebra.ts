/**
 * The SPARQL algebra (SPARQL 1.1 §18.2) as immutable nodes with a `kind` field. Terms are
 * canonical term keys (rdf/term-key.ts) or variables; the evaluator turns keys into store ids.
 */
import type { TermKey } from '../rdf/term-key.ts';

export interface Variable {
  variable: string;
}
export type PatternTerm = Variable | { key: TermKey };

export function isVariable(term: PatternTerm): term is Variable {
  return 'variable' in term;
}

export type Path =
  | { kind: 'link'; iri: TermKey }
  | { kind: 'inverse'; path: Path }
  | { kind: 'sequence'; items: Path[] }
  | { kind: 'alternative'; items: Path[] }
  | { kind: 'zeroOrMore'; path: Path }
  | { kind: 'oneOrMore'; path: Path }
  | { kind: 'zeroOrOne'; path: Path }
  /** !(a|b|^c|^d): forward IRIs excluded, inverse IRIs excluded. */
  | { kind: 'negated'; forward: TermKey[]; inverse: TermKey[] };

export interface TriplePattern {
  subject: PatternTerm;
  predicate: PatternTerm;
  object: PatternTerm;
}

export type Expression =
  | { kind: 'term'; key: TermKey }
  | { kind: 'variable'; name: string }
  | { kind: 'operator'; operator: string; args: Expression[] }
  | { kind: 'call'; name: string; args: Expression[] }
  | { kind: 'and'; args: [Expression, Expression] }
  | { kind: 'or'; args: [Expression, Expression] }
  | { kind: 'if'; args: [Expression, Expression, Expression] }
  | { kind: 'coalesce'; args: Expression[] }
  | { kind: 'bound'; name: string }
  | { kind: 'in'; negated: boolean; needle: Expression; haystack: Expression[] }
  | { kind: 'exists'; negated: boolean; pattern: Operator }
  /** An aggregate's value, computed by the enclosing Group and read back by name. */
  | { kind: 'aggregateRef'; name: string };

export interface Aggregate {
  /** The internal variable the Group binds the aggregate's value to. */
  name: string;
  function: 'COUNT' | 'SUM' | 'MIN' | 'MAX' | 'AVG' | 'SAMPLE' | 'GROUP_CONCAT';
  distinct: boolean;
  /** undefined: COUNT(*). */
  expression: Expression | undefined;
  separator: string;
}

export interface OrderCondition {
  expression: Expression;
  descending: boolean;
}

export type Operator =
  | { kind: 'bgp'; patterns: TriplePattern[] }
  | { kind: 'path'; subject: PatternTerm; path: Path; object: PatternTerm }
  | { kind: 'join'; left: Operator; right: Operator }
  | { kind: 'leftJoin'; left: Operator; right: Operator; expression: Expression | undefined }
  | { kind: 'union'; left: Operator; right: Operator }
  | { kind: 'minus'; left: Operator; right: Operator }
  | { kind: 'filter'; expression: Expression; input: Operator }
  | { kind: 'extend'; input: Operator; variable: string; expression: Expression }
  | { kind: 'values'; variables: string[]; rows: Array<Array<TermKey | undefined>> }
  | { kind: 'graph'; name: PatternTerm; input: Operator }
  | { kind: 'group'; input: Operator; keys: Array<{ expression: Expression; variable: string | undefined }>; aggregates: Aggregate[] }
  /** `topK`: only the first topK rows are needed (a LIMIT above, with no DISTINCT in between). */
  | { kind: 'orderBy'; input: Operator; conditions: OrderCondition[]; topK?: number }
  | { kind: 'project'; input: Operator; variables: string[] }
  | { kind: 'distinct'; input: Operator }
  | { kind: 'reduced'; input: Operator }
  | { kind: 'slice'; input: Operator; offset: number; limit: number | undefined };

export const UNIT_TABLE: Operator = { kind: 'bgp', patterns: [] };

/** The dataset a query runs against: FROM / FROM NAMED (or the protocol's parameters). */
export interface DatasetClause {
  defaultGraphs: TermKey[];
  namedGraphs: TermKey[];
}

export type QueryForm =
  | { form: 'SELECT'; variables: string[] }
  | { form: 'ASK' }
  | { form: 'CONSTRUCT'; template: TemplateQuad[] }
  | { form: 'DESCRIBE'; terms: PatternTerm[] };

export interface TemplateQuad extends TriplePattern {
  graph: PatternTerm | undefined;
}

export interface Query {
  form: QueryForm;
  pattern: Operator;
  dataset: DatasetClause | undefined;
  baseIri: string | undefined;
}
