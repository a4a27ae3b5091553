/**
 * The order ORDER BY sorts solutions in (SPARQL 1.1 §15.1): unbound, then blank nodes, then
 * IRIs, then literals. `<` is only a partial order (it is undefined between a number and a
 * string, NaN is unordered, a dateTime without timezone is unordered against one with a
 * timezone less than 14 hours away), and a sort needs a total one. So literals are first grouped
 * by kind of value, ordered by value inside a group (agreeing with `<` wherever `<` holds), and
 * ties between different terms are broken by lexical form, datatype and language. Numbers
 * compare exactly, even a decimal against a double, which keeps the order transitive.
 */
import type { Term } from '../rdf/term-key.ts';
import {
  compareCodePoints,
  dateTimeTimelineSeconds,
  decimalCompare,
  decimalFromBigInt,
  decimalFromDoubleExact,
  literalValue,
  type Decimal,
  type LiteralValue,
  type NumericValue,
} from './xsd-values.ts';

type Literal = Extract<Term, { termType: 'Literal' }>;

/** Rank of a term kind; unbound (undefined) sorts first. */
function termRank(term: Term | undefined): number {
  if (term === undefined) return 0;
  switch (term.termType) {
    case 'BlankNode':
      return 1;
    case 'NamedNode':
      return 2;
    case 'Literal':
      return 3;
  }
}

/** Groups of literals, in the order the groups sort; `other` holds unknown and ill-typed ones. */
const VALUE_GROUP_RANK: Record<LiteralValue['kind'] | 'other', number> = {
  numeric: 0,
  boolean: 1,
  dateTime: 2,
  date: 3,
  time: 4,
  dayTimeDuration: 5,
  string: 6,
  langString: 7,
  invalid: 8,
  other: 8,
};

/** A number on the extended real line: NaN first, then -INF, the finite values, INF. */
type NumberKey = { rank: 0 } | { rank: 1 } | { rank: 2; exact: Decimal } | { rank: 3 };

/** Exact keys of the numbers being sorted, keyed by their (cached, immutable) parsed values. */
const NUMBER_KEYS = new WeakMap<NumericValue, NumberKey>();

function numberKey(n: NumericValue): NumberKey {
  let key = NUMBER_KEYS.get(n);
  if (!key) NUMBER_KEYS.set(n, (key = computeNumberKey(n)));
  return key;
}

function computeNumberKey(n: NumericValue): NumberKey {
  if (n.kind === 'integer') return { rank: 2, exact: decimalFromBigInt(n.value) };
  if (n.kind === 'decimal') return { rank: 2, exact: n.value };
  if (Number.isNaN(n.value)) return { rank: 0 };
  if (n.value === -Infinity) return { rank: 1 };
  if (n.value === Infinity) return { rank: 3 };
  return { rank: 2, exact: decimalFromDoubleExact(n.value) };
}

function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Two numbers in exact order; same-kind pairs skip the (costly) exact decimal conversion. */
function compareNumbers(a: NumericValue, b: NumericValue): number {
  if (a.kind === 'integer' && b.kind === 'integer') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  if (a.kind === 'decimal' && b.kind === 'decimal') return decimalCompare(a.value, b.value);
  if (a.kind === 'integer' && b.kind === 'decimal') return decimalCompare({ unscaled: a.value, scale: 0 }, b.value);
  if (a.kind === 'decimal' && b.kind === 'integer') return decimalCompare(a.value, { unscaled: b.value, scale: 0 });
  if ((a.kind === 'double' || a.kind === 'float') && (b.kind === 'double' || b.kind === 'float')) {
    const aNaN = Number.isNaN(a.value);
    const bNaN = Number.isNaN(b.value);
    if (aNaN || bNaN) return aNaN === bNaN ? 0 : aNaN ? -1 : 1;
    return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  }
  const x = numberKey(a);
  const y = numberKey(b);
  if (x.rank !== y.rank) return sign(x.rank - y.rank);
  return x.rank === 2 && y.rank === 2 ? decimalCompare(x.exact, y.exact) : 0;
}

/**
 * What a literal sorts by, computed once per term: its group and, inside the group, a value
 * that compares cheaply (the parsed number, an instant in seconds, the text).
 */
interface SortKey {
  readonly group: number;
  readonly number?: NumericValue;
  /** Booleans: 0/1. Dates and times: 1 for a local (timezone-less) value, which sorts after an equal zoned one. */
  readonly flag?: number;
  readonly seconds?: Decimal;
  readonly text?: string;
}

function computeSortKey(term: Literal): SortKey {
  const value = literalValue(term);
  const group = VALUE_GROUP_RANK[value?.kind ?? 'other'];
  switch (value?.kind) {
    case 'numeric':
      return { group, number: value.value };
    case 'boolean':
      return { group, flag: Number(value.value) };
    case 'dateTime':
    case 'date':
    case 'time':
      // A local value is placed as if it were UTC: consistent with `<` wherever `<` is determinate.
      return { group, seconds: dateTimeTimelineSeconds(value.value), flag: Number(value.value.timezoneMinutes === undefined) };
    case 'dayTimeDuration':
      return { group, seconds: value.seconds };
    case 'string':
    case 'langString':
      return { group, text: value.value };
    default:
      return { group };
  }
}

/**
 * Sort keys of the literals being sorted. A sort compares each term O(log n) times; keyed by the
 * term object (terms are never mutated), so entries go when the solutions do.
 */
const SORT_KEYS = new WeakMap<Literal, SortKey>();

function sortKey(term: Literal): SortKey {
  let key = SORT_KEYS.get(term);
  if (!key) SORT_KEYS.set(term, (key = computeSortKey(term)));
  return key;
}

/** Orders two keys of the same group; 0 means equal values (not necessarily the same term). */
function compareSameGroup(x: SortKey, y: SortKey): number {
  if (x.number && y.number) return compareNumbers(x.number, y.number);
  if (x.seconds && y.seconds) return decimalCompare(x.seconds, y.seconds) || (x.flag ?? 0) - (y.flag ?? 0);
  if (x.text !== undefined && y.text !== undefined) return compareCodePoints(x.text, y.text);
  return (x.flag ?? 0) - (y.flag ?? 0);
}

function compareLiterals(a: Literal, b: Literal): number {
  const x = sortKey(a);
  const y = sortKey(b);
  if (x.group !== y.group) return sign(x.group - y.group);
  const byValue = compareSameGroup(x, y);
  if (byValue !== 0) return byValue;
  return (
    compareCodePoints(a.value, b.value) ||
    compareCodePoints(a.datatype, b.datatype) ||
    compareCodePoints(a.language.toLowerCase(), b.language.toLowerCase())
  );
}

/**
 * A total order on optional terms for ORDER BY ascending: negative if a sorts first, 0 only when
 * both are unbound or termsEqual(a, b). Sort solutions with it, not bare terms: Array.prototype.sort
 * moves undefined elements to the end without calling the comparator.
 */
export function compareForOrderBy(a: Term | undefined, b: Term | undefined): number {
  const rankDifference = termRank(a) - termRank(b);
  if (rankDifference !== 0 || a === undefined || b === undefined) return sign(rankDifference);
  if (a.termType === 'Literal' && b.termType === 'Literal') return compareLiterals(a, b);
  return compareCodePoints(a.value, b.value);
}

/** sameTerm (§17.4.1.8): the same RDF term; language tags compare case-insensitively (RDF 1.1). */
export function termsEqual(a: Term, b: Term): boolean {
  if (a.termType !== b.termType || a.value !== b.value) return false;
  if (a.termType !== 'Literal' || b.termType !== 'Literal') return true;
  return a.datatype === b.datatype && a.language.toLowerCase() === b.language.toLowerCase();
}
