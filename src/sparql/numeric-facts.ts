/**
 * What the evaluator keeps per numeric literal so that comparisons and sums over many rows do not
 * go through terms: the exact value (xsd-values.ts), and a JS double that decides every SPARQL
 * numeric comparison (§17.3, with XPath type promotion) exactly, when one does.
 *
 * Why the double is exact where it is given (`comparable`):
 * - integers of magnitude <= 2^53 are doubles exactly;
 * - decimals of at most 15 significant digits: rounding to the nearest double is monotone, and two
 *   different such decimals (or such a decimal and a different integer above) never round to the
 *   same double (doubles carry 15.95 decimal digits), so order and equality are kept. The double is
 *   the one decimal-to-double promotion gives (decimalToNumber), so mixed comparisons agree too
 *   (only within the normal doubles: a subnormal has fewer digits);
 * - doubles are themselves, except NaN (its comparisons are all false: the full path handles it);
 * - floats are left out: comparing one with an integer promotes the integer to float, which may
 *   round it (2^24 + 1 equals 2^24 as floats), so the double would not decide it.
 */
import type { Term } from '../rdf/term-key.ts';
import { decimalToNumber, literalValue, type NumericValue } from './xsd-values.ts';

export interface NumericFacts {
  value: NumericValue;
  /** A double that orders this value exactly against every other comparable one; undefined: none. */
  comparable: number | undefined;
}

const MAX_EXACT_INTEGER = 2n ** 53n;
const MAX_COMPARABLE_DECIMAL_UNSCALED = 10n ** 15n;
const MIN_NORMAL_DOUBLE = 2 ** -1022;

/** The facts of a term, or null when it is not a valid numeric literal. */
export function numericFacts(term: Term): NumericFacts | null {
  if (term.termType !== 'Literal') return null;
  const value = literalValue(term);
  if (value?.kind !== 'numeric') return null;
  return { value: value.value, comparable: comparableNumber(value.value) };
}

function comparableNumber(n: NumericValue): number | undefined {
  switch (n.kind) {
    case 'integer':
      return n.value <= MAX_EXACT_INTEGER && n.value >= -MAX_EXACT_INTEGER ? Number(n.value) : undefined;
    case 'decimal': {
      const unscaled = n.value.unscaled;
      // A non-normalised decimal ("1.500") may have more digits than its value needs: that only makes this stricter.
      if (unscaled >= MAX_COMPARABLE_DECIMAL_UNSCALED || unscaled <= -MAX_COMPARABLE_DECIMAL_UNSCALED) return undefined;
      const x = decimalToNumber(n.value);
      // Far outside the normal doubles, precision is lost (subnormals) or everything is 0 or infinite.
      return x === 0 ? (unscaled === 0n ? 0 : undefined) : Math.abs(x) >= MIN_NORMAL_DOUBLE && Number.isFinite(x) ? x : undefined;
    }
    case 'double':
      return Number.isNaN(n.value) ? undefined : n.value;
    case 'float':
      return undefined;
  }
}

/** A comparison operator applied to two comparable doubles (the operators of §17.3 on numbers). */
export function compareComparable(operator: string, a: number, b: number): boolean | undefined {
  switch (operator) {
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    default:
      return undefined;
  }
}
