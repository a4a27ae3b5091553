/**
 * XSD values as SPARQL 1.1 sees them (spec §17.1, XML Schema 1.1 Part 2, XPath F&O 3.1): the
 * lexical spaces we recognise, the value each lexical form denotes, and the canonical lexical
 * form we write for computed values. A literal whose datatype we know but whose lexical form is
 * not in its lexical space ("abc"^^xsd:integer) is still a valid RDF term: it parses to
 * `{ kind: 'invalid' }`, which arithmetic and comparison treat as a type error.
 *
 * xsd:integer and xsd:decimal are exact: a decimal is a BigInt scaled by a power of ten, never a
 * JS float, so `0.1 + 0.2 = 0.3` holds. xsd:float values are JS numbers rounded with
 * Math.fround after every operation; xsd:double values are plain JS numbers.
 *
 * Computed values are written the way the W3C SPARQL 1.1 suite expects them, which the project
 * checks term for term: integers "3", doubles and floats "1.5E0" / "3.21E4" (XSD canonical),
 * decimals "2.0" from arithmetic and casts but "3" from fn:round and friends (the suite mixes
 * XSD 1.0 and 1.1 canonical decimals; see formatDecimalCanonical and formatDecimalPlain).
 */
import type { Term } from '../rdf/term-key.ts';
import { XSD, XSD_STRING, RDF_LANG_STRING } from '../rdf/term-key.ts';

export const XSD_INTEGER = `${XSD}integer`;
export const XSD_DECIMAL = `${XSD}decimal`;
export const XSD_FLOAT = `${XSD}float`;
export const XSD_DOUBLE = `${XSD}double`;
export const XSD_BOOLEAN = `${XSD}boolean`;
export const XSD_DATE_TIME = `${XSD}dateTime`;
export const XSD_DATE = `${XSD}date`;
export const XSD_TIME = `${XSD}time`;
export const XSD_DAY_TIME_DURATION = `${XSD}dayTimeDuration`;

/**
 * The types derived from xsd:integer by restricting its range (XSD 1.1 §3.4.13-3.4.25), with
 * inclusive bounds. Arithmetic on them yields plain xsd:integer (XPath F&O §4.2).
 */
export const INTEGER_SUBTYPE_RANGES: ReadonlyMap<string, { min?: bigint; max?: bigint }> = new Map([
  [`${XSD}nonPositiveInteger`, { max: 0n }],
  [`${XSD}negativeInteger`, { max: -1n }],
  [`${XSD}long`, { min: -(2n ** 63n), max: 2n ** 63n - 1n }],
  [`${XSD}int`, { min: -(2n ** 31n), max: 2n ** 31n - 1n }],
  [`${XSD}short`, { min: -(2n ** 15n), max: 2n ** 15n - 1n }],
  [`${XSD}byte`, { min: -128n, max: 127n }],
  [`${XSD}nonNegativeInteger`, { min: 0n }],
  [`${XSD}unsignedLong`, { min: 0n, max: 2n ** 64n - 1n }],
  [`${XSD}unsignedInt`, { min: 0n, max: 2n ** 32n - 1n }],
  [`${XSD}unsignedShort`, { min: 0n, max: 2n ** 16n - 1n }],
  [`${XSD}unsignedByte`, { min: 0n, max: 255n }],
  [`${XSD}positiveInteger`, { min: 1n }],
]);

/** Numeric type promotion order of XPath (§B.1): integer < decimal < float < double. */
export type NumericKind = 'integer' | 'decimal' | 'float' | 'double';
const NUMERIC_RANK: Record<NumericKind, number> = { integer: 0, decimal: 1, float: 2, double: 3 };

export function isNumericDatatype(datatype: string): boolean {
  return (
    datatype === XSD_INTEGER ||
    datatype === XSD_DECIMAL ||
    datatype === XSD_FLOAT ||
    datatype === XSD_DOUBLE ||
    INTEGER_SUBTYPE_RANGES.has(datatype)
  );
}

// ---------------------------------------------------------------------------------------------
// Exact decimals

/** An exact decimal: `unscaled / 10^scale`, scale >= 0. Not necessarily normalised. */
export interface Decimal {
  readonly unscaled: bigint;
  readonly scale: number;
}

/**
 * Fractional digits kept when a decimal quotient does not terminate (XPath leaves the precision
 * to the implementation; 24 digits is what Apache Jena uses, so results agree with it).
 */
export const DECIMAL_DIVISION_SCALE_DIGITS = 24;

/** Powers of ten for the scales that occur in practice, so comparisons do not recompute them. */
const POWERS_OF_TEN: bigint[] = Array.from({ length: 64 }, (_, exponent) => 10n ** BigInt(exponent));

function pow10(exponent: number): bigint {
  return exponent < POWERS_OF_TEN.length ? POWERS_OF_TEN[exponent] : 10n ** BigInt(exponent);
}

export function decimalFromBigInt(value: bigint): Decimal {
  return { unscaled: value, scale: 0 };
}

/** Drops trailing fractional zeros, so equal values have equal representations. */
export function normalizeDecimal(d: Decimal): Decimal {
  let { unscaled, scale } = d;
  while (scale > 0 && unscaled % 10n === 0n) {
    unscaled /= 10n;
    scale--;
  }
  return { unscaled, scale };
}

function alignDecimals(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.unscaled * pow10(scale - a.scale), b.unscaled * pow10(scale - b.scale), scale];
}

export function decimalAdd(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = alignDecimals(a, b);
  return normalizeDecimal({ unscaled: x + y, scale });
}

export function decimalSubtract(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = alignDecimals(a, b);
  return normalizeDecimal({ unscaled: x - y, scale });
}

export function decimalMultiply(a: Decimal, b: Decimal): Decimal {
  return normalizeDecimal({ unscaled: a.unscaled * b.unscaled, scale: a.scale + b.scale });
}

export function decimalNegate(a: Decimal): Decimal {
  return { unscaled: -a.unscaled, scale: a.scale };
}

/** BigInt division rounded to nearest, ties to even (BigInt `/` truncates toward zero). */
function divideRoundHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator < 0n) return divideRoundHalfEven(-numerator, -denominator);
  const quotient = numerator / denominator;
  const remainder = numerator % denominator;
  if (remainder === 0n) return quotient;
  const twiceRemainder = 2n * (remainder < 0n ? -remainder : remainder);
  const away = numerator < 0n ? -1n : 1n;
  if (twiceRemainder > denominator) return quotient + away;
  if (twiceRemainder < denominator) return quotient;
  return quotient % 2n === 0n ? quotient : quotient + away;
}

/**
 * `a / b`, exact when the quotient has at most DECIMAL_DIVISION_SCALE_DIGITS fractional digits,
 * otherwise rounded half-even to that many. Returns undefined for division by zero (the caller
 * turns that into err:FOAR0001).
 */
export function decimalDivide(a: Decimal, b: Decimal): Decimal | undefined {
  if (b.unscaled === 0n) return undefined;
  // a/b = (a.unscaled * 10^b.scale) / (b.unscaled * 10^a.scale)
  const numerator = a.unscaled * pow10(b.scale) * pow10(DECIMAL_DIVISION_SCALE_DIGITS);
  const denominator = b.unscaled * pow10(a.scale);
  return normalizeDecimal({ unscaled: divideRoundHalfEven(numerator, denominator), scale: DECIMAL_DIVISION_SCALE_DIGITS });
}

export function decimalCompare(a: Decimal, b: Decimal): -1 | 0 | 1 {
  if (a.scale === b.scale) return a.unscaled < b.unscaled ? -1 : a.unscaled > b.unscaled ? 1 : 0;
  const [x, y] = alignDecimals(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Largest integer <= d. */
export function decimalFloor(d: Decimal): Decimal {
  const divisor = pow10(d.scale);
  let quotient = d.unscaled / divisor;
  if (d.unscaled < 0n && d.unscaled % divisor !== 0n) quotient -= 1n;
  return decimalFromBigInt(quotient);
}

export function decimalCeil(d: Decimal): Decimal {
  return decimalNegate(decimalFloor(decimalNegate(d)));
}

/** fn:round: the nearest integer, halves rounded toward positive infinity. */
export function decimalRound(d: Decimal): Decimal {
  return decimalFloor(decimalAdd(d, { unscaled: 5n, scale: 1 }));
}

/** Truncation toward zero, as casting to xsd:integer does. */
export function decimalTruncate(d: Decimal): bigint {
  return d.unscaled / pow10(d.scale);
}

/** The nearest double (parsing the decimal string rounds correctly). */
export function decimalToNumber(d: Decimal): number {
  return Number(formatDecimalPlain(d));
}

/**
 * The exact value of a finite double as a decimal: every finite binary fraction has a finite
 * decimal expansion. Used where an ordering must be exact to stay transitive.
 */
export function decimalFromDoubleExact(x: number): Decimal {
  if (!Number.isFinite(x)) throw new RangeError(`${x} has no decimal value`);
  if (Number.isInteger(x)) return decimalFromBigInt(BigInt(x));
  // x = mantissa * 2^-k with integer mantissa; then x = mantissa * 5^k / 10^k.
  let mantissa = x;
  let k = 0;
  while (!Number.isInteger(mantissa)) {
    mantissa *= 2; // exact: doubling a double never rounds (no overflow for non-integers)
    k++;
  }
  return normalizeDecimal({ unscaled: BigInt(mantissa) * 5n ** BigInt(k), scale: k });
}

/**
 * A float or double cast to xsd:decimal: the decimal of its shortest round-trip digits, so
 * 1.1e0 becomes 1.1, not 1.100000000000000088817841970012523. undefined for INF and NaN.
 */
export function decimalFromFloating(x: number, kind: 'float' | 'double'): Decimal | undefined {
  if (!Number.isFinite(x)) return undefined;
  if (x === 0) return decimalFromBigInt(0n);
  const { negative, digits, exponent } = shortestExponential(x, kind);
  const scale = Math.max(0, digits.length - 1 - exponent);
  const unscaled = BigInt(digits) * pow10(Math.max(0, exponent - (digits.length - 1)));
  return normalizeDecimal({ unscaled: negative ? -unscaled : unscaled, scale });
}

/**
 * XSD 1.1 canonical decimal: no trailing zeros and no point for integral values ("3", "1.5").
 * The W3C suite expects this form from fn:round, fn:ceiling, fn:floor and SECONDS (round01,
 * ceil01, floor01, seconds-01) and in the xsd:string cast of a decimal.
 */
export function formatDecimalPlain(d: Decimal): string {
  const n = normalizeDecimal(d);
  const negative = n.unscaled < 0n;
  const digits = (negative ? -n.unscaled : n.unscaled).toString();
  if (n.scale === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(n.scale + 1, '0');
  const whole = padded.slice(0, padded.length - n.scale);
  const fraction = padded.slice(padded.length - n.scale);
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/**
 * XSD 1.0 canonical decimal: always a point and at least one fractional digit ("2.0", "1.5").
 * The W3C suite expects this form from arithmetic, aggregates and casts (plus-1, coalesce01,
 * agg-sum-02, agg-avg-02, agg-err-02, cast-decimal), so it is the default for computed values.
 */
export function formatDecimalCanonical(d: Decimal): string {
  const plain = formatDecimalPlain(d);
  return plain.includes('.') ? plain : `${plain}.0`;
}

// ---------------------------------------------------------------------------------------------
// Strings

/** Unicode code point order: the order of xsd:string (fn:compare with the default collation). */
export function compareCodePoints(a: string, b: string): -1 | 0 | 1 {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order differs from code point order only when a surrogate meets U+E000..U+FFFF.
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Lexical spaces

/** XSD `whiteSpace="collapse"` types accept and ignore leading and trailing whitespace. */
function collapse(lexical: string): string {
  return lexical.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');
}

const INTEGER_LEXICAL = /^[+-]?[0-9]+$/;
const DECIMAL_LEXICAL = /^([+-]?)([0-9]*)(?:\.([0-9]*))?$/;
const DOUBLE_LEXICAL = /^(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN)$/;

export function parseInteger(lexical: string): bigint | undefined {
  const text = collapse(lexical);
  return INTEGER_LEXICAL.test(text) ? BigInt(text) : undefined;
}

/** xsd:integer or one of its range-restricted subtypes. */
export function parseIntegerOfType(lexical: string, datatype: string): bigint | undefined {
  const value = parseInteger(lexical);
  if (value === undefined || datatype === XSD_INTEGER) return value;
  const range = INTEGER_SUBTYPE_RANGES.get(datatype);
  if (!range) return undefined;
  if (range.min !== undefined && value < range.min) return undefined;
  if (range.max !== undefined && value > range.max) return undefined;
  return value;
}

export function parseDecimal(lexical: string): Decimal | undefined {
  const match = DECIMAL_LEXICAL.exec(collapse(lexical));
  if (!match) return undefined;
  const [, sign, whole, fraction = ''] = match;
  if (whole === '' && fraction === '') return undefined;
  const unscaled = BigInt((whole || '0') + fraction);
  return normalizeDecimal({ unscaled: sign === '-' ? -unscaled : unscaled, scale: fraction.length });
}

export function parseDouble(lexical: string): number | undefined {
  const text = collapse(lexical);
  if (!DOUBLE_LEXICAL.test(text)) return undefined;
  if (text.endsWith('INF')) return text.startsWith('-') ? -Infinity : Infinity;
  return Number(text); // also handles "NaN"
}

export function parseFloat32(lexical: string): number | undefined {
  const value = parseDouble(lexical);
  return value === undefined ? undefined : Math.fround(value);
}

export function parseBoolean(lexical: string): boolean | undefined {
  switch (collapse(lexical)) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Numbers

export type NumericValue =
  | { kind: 'integer'; value: bigint }
  | { kind: 'decimal'; value: Decimal }
  | { kind: 'float'; value: number }
  | { kind: 'double'; value: number };

export function parseNumeric(lexical: string, datatype: string): NumericValue | undefined {
  switch (datatype) {
    case XSD_DECIMAL: {
      const value = parseDecimal(lexical);
      return value && { kind: 'decimal', value };
    }
    case XSD_FLOAT: {
      const value = parseFloat32(lexical);
      return value === undefined ? undefined : { kind: 'float', value };
    }
    case XSD_DOUBLE: {
      const value = parseDouble(lexical);
      return value === undefined ? undefined : { kind: 'double', value };
    }
    default: {
      const value = parseIntegerOfType(lexical, datatype);
      return value === undefined ? undefined : { kind: 'integer', value };
    }
  }
}

export function numericDatatype(kind: NumericKind): string {
  return { integer: XSD_INTEGER, decimal: XSD_DECIMAL, float: XSD_FLOAT, double: XSD_DOUBLE }[kind];
}

function toDecimal(n: NumericValue): Decimal {
  if (n.kind === 'integer') return decimalFromBigInt(n.value);
  if (n.kind === 'decimal') return n.value;
  throw new TypeError('a float or double is not promoted to decimal');
}

export function numericToNumber(n: NumericValue): number {
  if (n.kind === 'integer') return Number(n.value);
  if (n.kind === 'decimal') return decimalToNumber(n.value);
  return n.value;
}

/** Promotes both operands to the wider of their types (XPath §B.1 type promotion). */
export function promoteNumerics(a: NumericValue, b: NumericValue): [NumericValue, NumericValue] {
  const kind = NUMERIC_RANK[a.kind] >= NUMERIC_RANK[b.kind] ? a.kind : b.kind;
  return [promoteTo(a, kind), promoteTo(b, kind)];
}

function promoteTo(n: NumericValue, kind: NumericKind): NumericValue {
  if (n.kind === kind) return n;
  switch (kind) {
    case 'integer':
      throw new TypeError(`cannot promote ${n.kind} to integer`);
    case 'decimal':
      return { kind: 'decimal', value: toDecimal(n) };
    case 'float':
      return { kind: 'float', value: Math.fround(numericToNumber(n)) };
    case 'double':
      return { kind: 'double', value: numericToNumber(n) };
  }
}

export type ArithmeticOperator = '+' | '-' | '*' | '/';

/**
 * op:numeric-add/subtract/multiply/divide. Returns undefined for an integer or decimal division
 * by zero (err:FOAR0001); float and double divisions follow IEEE 754 (INF, NaN).
 * integer / integer is a decimal (XPath §4.2.4).
 */
export function numericArithmetic(op: ArithmeticOperator, left: NumericValue, right: NumericValue): NumericValue | undefined {
  let [a, b] = promoteNumerics(left, right);
  if (op === '/' && a.kind === 'integer') {
    a = promoteTo(a, 'decimal');
    b = promoteTo(b, 'decimal');
  }
  if (a.kind === 'integer' && b.kind === 'integer') {
    switch (op) {
      case '+':
        return { kind: 'integer', value: a.value + b.value };
      case '-':
        return { kind: 'integer', value: a.value - b.value };
      case '*':
        return { kind: 'integer', value: a.value * b.value };
      case '/':
        throw new TypeError('unreachable: integer division is decimal');
    }
  }
  if (a.kind === 'decimal' && b.kind === 'decimal') {
    switch (op) {
      case '+':
        return { kind: 'decimal', value: decimalAdd(a.value, b.value) };
      case '-':
        return { kind: 'decimal', value: decimalSubtract(a.value, b.value) };
      case '*':
        return { kind: 'decimal', value: decimalMultiply(a.value, b.value) };
      case '/': {
        const value = decimalDivide(a.value, b.value);
        return value && { kind: 'decimal', value };
      }
    }
  }
  const x = numericToNumber(a);
  const y = numericToNumber(b);
  const result = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : x / y;
  return a.kind === 'float' ? { kind: 'float', value: Math.fround(result) } : { kind: 'double', value: result };
}

export function numericNegate(n: NumericValue): NumericValue {
  switch (n.kind) {
    case 'integer':
      return { kind: 'integer', value: -n.value };
    case 'decimal':
      return { kind: 'decimal', value: decimalNegate(n.value) };
    default:
      return { kind: n.kind, value: -n.value };
  }
}

/**
 * op:numeric-less-than / equal after promotion. undefined when either side is NaN, where every
 * comparison is false.
 */
export function numericCompare(left: NumericValue, right: NumericValue): -1 | 0 | 1 | undefined {
  const [a, b] = promoteNumerics(left, right);
  if (a.kind === 'integer' && b.kind === 'integer') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  if (a.kind === 'decimal' && b.kind === 'decimal') return decimalCompare(a.value, b.value);
  const x = numericToNumber(a);
  const y = numericToNumber(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return undefined;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** fn:abs, fn:ceiling, fn:floor, fn:round: the result keeps the argument's primitive type. */
export function numericRounding(fn: 'ABS' | 'CEIL' | 'FLOOR' | 'ROUND', n: NumericValue): NumericValue {
  switch (n.kind) {
    case 'integer':
      return fn === 'ABS' && n.value < 0n ? { kind: 'integer', value: -n.value } : n;
    case 'decimal': {
      const d = n.value;
      const value =
        fn === 'ABS' ? (d.unscaled < 0n ? decimalNegate(d) : d) : fn === 'CEIL' ? decimalCeil(d) : fn === 'FLOOR' ? decimalFloor(d) : decimalRound(d);
      return { kind: 'decimal', value };
    }
    default: {
      const x = n.value;
      // Math.round rounds halves toward +infinity, exactly fn:round; it keeps -0 for -0.5 <= x < 0.
      const value = fn === 'ABS' ? Math.abs(x) : fn === 'CEIL' ? Math.ceil(x) : fn === 'FLOOR' ? Math.floor(x) : Math.round(x);
      return { kind: n.kind, value: n.kind === 'float' ? Math.fround(value) : value };
    }
  }
}

/** Shortest mantissa digits and decimal exponent that read back as `x` in its own precision. */
function shortestExponential(x: number, kind: 'float' | 'double'): { negative: boolean; digits: string; exponent: number } {
  let text = x.toExponential();
  if (kind === 'float') {
    for (let precision = 1; precision <= 9; precision++) {
      const candidate = x.toExponential(precision - 1);
      if (Math.fround(Number(candidate)) === x) {
        text = candidate;
        break;
      }
    }
  }
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text)!;
  const digits = (match[2] + (match[3] ?? '')).replace(/0+$/, '') || '0';
  return { negative: match[1] === '-', digits, exponent: Number(match[4]) };
}

/** XSD canonical float/double: "1.5E0", "1.0E0", "-1.02E4", "0.0E0", "INF", "NaN". */
export function formatFloatingCanonical(x: number, kind: 'float' | 'double'): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'INF';
  if (x === -Infinity) return '-INF';
  if (x === 0) return Object.is(x, -0) ? '-0.0E0' : '0.0E0';
  const { negative, digits, exponent } = shortestExponential(x, kind);
  const mantissa = digits.length === 1 ? `${digits}.0` : `${digits[0]}.${digits.slice(1)}`;
  return `${negative ? '-' : ''}${mantissa}E${exponent}`;
}

/**
 * The xsd:string cast of a float/double (XPath F&O §19.1.2.2): plain decimal notation without
 * trailing zeros for 1e-6 <= |x| < 1e6 ("1", "1.25", "-0"), canonical E notation otherwise.
 */
export function formatFloatingAsString(x: number, kind: 'float' | 'double'): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const magnitude = Math.abs(x);
  if (!Number.isFinite(x) || magnitude < 1e-6 || magnitude >= 1e6) return formatFloatingCanonical(x, kind);
  return formatDecimalPlain(decimalFromFloating(x, kind)!);
}

export function formatNumericCanonical(n: NumericValue): string {
  switch (n.kind) {
    case 'integer':
      return n.value.toString();
    case 'decimal':
      return formatDecimalCanonical(n.value);
    default:
      return formatFloatingCanonical(n.value, n.kind);
  }
}

/** The xsd:string cast of a number (fn:string): integral decimals lose their ".0". */
export function formatNumericAsString(n: NumericValue): string {
  switch (n.kind) {
    case 'integer':
      return n.value.toString();
    case 'decimal':
      return formatDecimalPlain(n.value);
    default:
      return formatFloatingAsString(n.value, n.kind);
  }
}

// ---------------------------------------------------------------------------------------------
// Dates and times

/**
 * A point (or, without timezone, a local point) in time. `hour` is 0..23: the end-of-day form
 * 24:00:00 is normalised to 00:00:00 of the next day when parsed, as XSD 1.1 defines its value.
 */
export interface DateTimeValue {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: Decimal;
  /** Offset from UTC in minutes (-840..840), or undefined when the value has no timezone. */
  readonly timezoneMinutes: number | undefined;
}

const TIMEZONE = '(Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?';
const DATE_TIME_LEXICAL = new RegExp(`^(-?(?:[1-9][0-9]{4,}|[0-9]{4}))-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2}(?:\\.[0-9]+)?)${TIMEZONE}$`);
const DATE_LEXICAL = new RegExp(`^(-?(?:[1-9][0-9]{4,}|[0-9]{4}))-([0-9]{2})-([0-9]{2})${TIMEZONE}$`);
const TIME_LEXICAL = new RegExp(`^([0-9]{2}):([0-9]{2}):([0-9]{2}(?:\\.[0-9]+)?)${TIMEZONE}$`);

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

function parseTimezone(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text === 'Z') return 0;
  const minutes = Number(text.slice(1, 3)) * 60 + Number(text.slice(4, 6));
  return text[0] === '-' ? -minutes : minutes;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (year 0 = 1 BCE, as in XSD 1.1). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function buildDateTime(
  yearText: string,
  monthText: string,
  dayText: string,
  hour: number,
  minute: number,
  secondText: string,
  timezoneText: string | undefined,
): DateTimeValue | undefined {
  if (yearText === '-0000') return undefined; // year zero has no negative form (XSD 1.1 §3.3.7.2)
  const year = Number(yearText);
  const month = Number(monthText);
  let day = Number(dayText);
  if (!Number.isSafeInteger(year) || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const second = parseDecimal(secondText)!;
  if (minute > 59 || decimalCompare(second, decimalFromBigInt(60n)) >= 0) return undefined;
  let normalizedYear = year;
  let normalizedMonth = month;
  if (hour === 24) {
    if (minute !== 0 || second.unscaled !== 0n) return undefined;
    ({ year: normalizedYear, month: normalizedMonth, day } = civilFromDays(daysFromCivil(year, month, day) + 1));
    hour = 0;
  } else if (hour > 23) {
    return undefined;
  }
  return { year: normalizedYear, month: normalizedMonth, day, hour, minute, second, timezoneMinutes: parseTimezone(timezoneText) };
}

export function parseDateTime(lexical: string): DateTimeValue | undefined {
  const m = DATE_TIME_LEXICAL.exec(collapse(lexical));
  if (!m) return undefined;
  return buildDateTime(m[1], m[2], m[3], Number(m[4]), Number(m[5]), m[6], m[7]);
}

/** An xsd:date as the dateTime of its first instant. */
export function parseDate(lexical: string): DateTimeValue | undefined {
  const m = DATE_LEXICAL.exec(collapse(lexical));
  if (!m) return undefined;
  return buildDateTime(m[1], m[2], m[3], 0, 0, '0', m[4]);
}

/** An xsd:time on the reference date 1972-12-31 that XPath (§10.4) uses to compare times. */
export function parseTime(lexical: string): DateTimeValue | undefined {
  const m = TIME_LEXICAL.exec(collapse(lexical));
  if (!m) return undefined;
  const value = buildDateTime('1972', '12', '31', Number(m[1]), Number(m[2]), m[3], m[4]);
  // 24:00:00 is the start of the same day for a time (XSD 1.1 §3.3.8): keep the reference date.
  return value && { ...value, year: 1972, month: 12, day: 31 };
}

/** Seconds since 1970-01-01T00:00:00Z, reading a value without timezone as UTC. */
export function dateTimeTimelineSeconds(v: DateTimeValue): Decimal {
  const days = daysFromCivil(v.year, v.month, v.day);
  const wholeSeconds = BigInt(days) * 86400n + BigInt(v.hour * 3600 + v.minute * 60 - (v.timezoneMinutes ?? 0) * 60);
  return decimalAdd(decimalFromBigInt(wholeSeconds), v.second);
}

/** 14 hours: the widest timezone offset, which bounds where a local time can lie (XSD §3.2.7.4). */
const MAX_TIMEZONE_SECONDS: Decimal = decimalFromBigInt(14n * 3600n);

/**
 * The XSD order of dateTimes. Values both with or both without timezone always compare; a value
 * with timezone and one without compare only if they are more than 14 hours apart, otherwise the
 * result is indeterminate (undefined), which SPARQL reports as a type error.
 */
export function dateTimeCompare(a: DateTimeValue, b: DateTimeValue): -1 | 0 | 1 | undefined {
  const x = dateTimeTimelineSeconds(a);
  const y = dateTimeTimelineSeconds(b);
  if ((a.timezoneMinutes === undefined) === (b.timezoneMinutes === undefined)) return decimalCompare(x, y);
  if (a.timezoneMinutes === undefined) {
    const reversed = dateTimeCompare(b, a);
    return reversed === undefined ? undefined : ((-reversed) as -1 | 0 | 1);
  }
  // a has a timezone, b is local: b lies somewhere in [y - 14h, y + 14h].
  if (decimalCompare(x, decimalSubtract(y, MAX_TIMEZONE_SECONDS)) < 0) return -1;
  if (decimalCompare(x, decimalAdd(y, MAX_TIMEZONE_SECONDS)) > 0) return 1;
  return undefined;
}

function pad2(n: number): string {
  return n.toString().padStart(2, '0');
}

function formatYear(year: number): string {
  return year < 0 ? `-${String(-year).padStart(4, '0')}` : String(year).padStart(4, '0');
}

function formatTimezone(minutes: number | undefined): string {
  if (minutes === undefined) return '';
  if (minutes === 0) return 'Z';
  const magnitude = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad2(Math.floor(magnitude / 60))}:${pad2(magnitude % 60)}`;
}

/** Timezone as fn:timezone-from-dateTime writes it in TZ(): "Z", "-08:00", "" when absent. */
export function formatTimezoneLexical(minutes: number | undefined): string {
  return formatTimezone(minutes);
}

function formatSeconds(second: Decimal): string {
  const plain = formatDecimalPlain(second);
  const [whole, fraction] = plain.split('.');
  return fraction === undefined ? whole.padStart(2, '0') : `${whole.padStart(2, '0')}.${fraction}`;
}

/** XSD canonical dateTime: "+00:00" written "Z", no trailing fractional zeros, hour 24 normalised. */
export function formatDateTimeCanonical(v: DateTimeValue): string {
  return `${formatYear(v.year)}-${pad2(v.month)}-${pad2(v.day)}T${pad2(v.hour)}:${pad2(v.minute)}:${formatSeconds(v.second)}${formatTimezone(v.timezoneMinutes)}`;
}

export function formatDateCanonical(v: DateTimeValue): string {
  return `${formatYear(v.year)}-${pad2(v.month)}-${pad2(v.day)}${formatTimezone(v.timezoneMinutes)}`;
}

export function formatTimeCanonical(v: DateTimeValue): string {
  return `${pad2(v.hour)}:${pad2(v.minute)}:${formatSeconds(v.second)}${formatTimezone(v.timezoneMinutes)}`;
}

/** The dateTime of a JS Date, in UTC with millisecond precision. */
export function dateTimeFromDate(date: Date): DateTimeValue {
  const millis = date.getTime();
  if (!Number.isFinite(millis)) throw new RangeError('invalid Date');
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: normalizeDecimal({ unscaled: BigInt(date.getUTCSeconds() * 1000 + date.getUTCMilliseconds()), scale: 3 }),
    timezoneMinutes: 0,
  };
}

// ---------------------------------------------------------------------------------------------
// xsd:dayTimeDuration

const DAY_TIME_DURATION_LEXICAL = /^(-?)P(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?$/;

/** A dayTimeDuration as its length in seconds. */
export function parseDayTimeDurationSeconds(lexical: string): Decimal | undefined {
  const text = collapse(lexical);
  const m = DAY_TIME_DURATION_LEXICAL.exec(text);
  if (!m || text.endsWith('T') || text.endsWith('P')) return undefined;
  const [, sign, days, hours, minutes, seconds] = m;
  if (days === undefined && hours === undefined && minutes === undefined && seconds === undefined) return undefined;
  const whole = BigInt(days ?? 0) * 86400n + BigInt(hours ?? 0) * 3600n + BigInt(minutes ?? 0) * 60n;
  const total = decimalAdd(decimalFromBigInt(whole), seconds === undefined ? decimalFromBigInt(0n) : parseDecimal(seconds)!);
  return sign === '-' ? decimalNegate(total) : total;
}

/** XPath canonical dayTimeDuration: "PT0S", "-PT8H", "P1DT2H30M", "PT1.5S". */
export function formatDayTimeDurationCanonical(totalSeconds: Decimal): string {
  const negative = totalSeconds.unscaled < 0n;
  const magnitude = negative ? decimalNegate(totalSeconds) : totalSeconds;
  if (magnitude.unscaled === 0n) return 'PT0S';
  const whole = decimalTruncate(magnitude);
  const fraction = decimalSubtract(magnitude, decimalFromBigInt(whole));
  const days = whole / 86400n;
  const hours = (whole % 86400n) / 3600n;
  const minutes = (whole % 3600n) / 60n;
  const seconds = decimalAdd(decimalFromBigInt(whole % 60n), fraction);
  let time = '';
  if (hours) time += `${hours}H`;
  if (minutes) time += `${minutes}M`;
  if (seconds.unscaled !== 0n) time += `${formatDecimalPlain(seconds)}S`;
  return `${negative ? '-' : ''}P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// The value of a literal

/**
 * What a literal denotes, for the operators of SPARQL §17.3. `invalid` is a known datatype with
 * a lexical form outside its lexical space; undefined (from literalValue) an unknown datatype.
 */
export type LiteralValue =
  | { kind: 'numeric'; value: NumericValue }
  | { kind: 'string'; value: string }
  | { kind: 'langString'; value: string; language: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'dateTime'; value: DateTimeValue }
  | { kind: 'date'; value: DateTimeValue }
  | { kind: 'time'; value: DateTimeValue }
  | { kind: 'dayTimeDuration'; seconds: Decimal }
  | { kind: 'invalid' };

/** Parsed values per term object: the evaluator reuses one object per stored term and constant. */
const PARSED = new WeakMap<object, LiteralValue | undefined>();

export function literalValue(term: Extract<Term, { termType: 'Literal' }>): LiteralValue | undefined {
  if (PARSED.has(term)) return PARSED.get(term);
  const value = parseLiteralValue(term);
  PARSED.set(term, value);
  return value;
}

function parseLiteralValue(term: Extract<Term, { termType: 'Literal' }>): LiteralValue | undefined {
  const { value: lexical, datatype } = term;
  if (datatype === XSD_STRING) return { kind: 'string', value: lexical };
  if (datatype === RDF_LANG_STRING) return { kind: 'langString', value: lexical, language: term.language.toLowerCase() };
  if (isNumericDatatype(datatype)) {
    const value = parseNumeric(lexical, datatype);
    return value ? { kind: 'numeric', value } : { kind: 'invalid' };
  }
  const invalid = { kind: 'invalid' } as const;
  switch (datatype) {
    case XSD_BOOLEAN: {
      const value = parseBoolean(lexical);
      return value === undefined ? invalid : { kind: 'boolean', value };
    }
    case XSD_DATE_TIME: {
      const value = parseDateTime(lexical);
      return value ? { kind: 'dateTime', value } : invalid;
    }
    case XSD_DATE: {
      const value = parseDate(lexical);
      return value ? { kind: 'date', value } : invalid;
    }
    case XSD_TIME: {
      const value = parseTime(lexical);
      return value ? { kind: 'time', value } : invalid;
    }
    case XSD_DAY_TIME_DURATION: {
      const seconds = parseDayTimeDurationSeconds(lexical);
      return seconds ? { kind: 'dayTimeDuration', seconds } : invalid;
    }
    default:
      return undefined;
  }
}

/**
 * The literal with its value written in canonical form, datatype kept: "2E-1"^^xsd:double becomes
 * "2.0E-1", "01"^^xsd:int "1", "1"^^xsd:boolean "true". Other terms, unknown datatypes and
 * ill-typed literals come back unchanged. For results that are values rather than input terms,
 * such as MIN and MAX, where the W3C suite expects the canonical form (agg-min-02).
 */
export function canonicalLiteral(term: Term): Term {
  if (term.termType !== 'Literal') return term;
  const value = literalValue(term);
  let lexical: string;
  switch (value?.kind) {
    case 'numeric':
      lexical = formatNumericCanonical(value.value);
      break;
    case 'boolean':
      lexical = String(value.value);
      break;
    case 'dateTime':
      lexical = formatDateTimeCanonical(value.value);
      break;
    case 'date':
      lexical = formatDateCanonical(value.value);
      break;
    case 'time':
      lexical = formatTimeCanonical(value.value);
      break;
    case 'dayTimeDuration':
      lexical = formatDayTimeDurationCanonical(value.seconds);
      break;
    default:
      return term;
  }
  return lexical === term.value ? term : { ...term, value: lexical };
}
