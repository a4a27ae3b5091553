import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { XSD, XSD_STRING, RDF_LANG_STRING } from '../rdf/term-key.ts';
import {
  DECIMAL_DIVISION_SCALE_DIGITS,
  canonicalLiteral,
  compareCodePoints,
  dateTimeCompare,
  dateTimeFromDate,
  decimalAdd,
  decimalCeil,
  decimalCompare,
  decimalDivide,
  decimalFloor,
  decimalFromDoubleExact,
  decimalFromFloating,
  decimalMultiply,
  decimalRound,
  decimalSubtract,
  decimalToNumber,
  formatDateTimeCanonical,
  formatDayTimeDurationCanonical,
  formatDecimalCanonical,
  formatFloatingAsString,
  formatFloatingCanonical,
  formatNumericAsString,
  literalValue,
  numericArithmetic,
  numericCompare,
  numericRounding,
  parseBoolean,
  parseDate,
  parseDateTime,
  parseDayTimeDurationSeconds,
  parseDecimal,
  parseDouble,
  parseFloat32,
  parseInteger,
  parseIntegerOfType,
  parseNumeric,
  parseTime,
  type Decimal,
} from './xsd-values.ts';

const dec = (text: string): Decimal => parseDecimal(text)!;

test('integer lexical space: optional sign, digits, surrounding whitespace collapsed', () => {
  assert.equal(parseInteger('42'), 42n);
  assert.equal(parseInteger('+007'), 7n);
  assert.equal(parseInteger('-0'), 0n);
  assert.equal(parseInteger(' 12\n'), 12n);
  assert.equal(parseInteger('123456789012345678901234567890'), 123456789012345678901234567890n);
  for (const bad of ['', '+', '1.0', '1e3', 'abc', '1 2', '0x10', '١٢']) assert.equal(parseInteger(bad), undefined, bad);
});

test('integer subtypes enforce their ranges', () => {
  assert.equal(parseIntegerOfType('127', `${XSD}byte`), 127n);
  assert.equal(parseIntegerOfType('128', `${XSD}byte`), undefined);
  assert.equal(parseIntegerOfType('-129', `${XSD}byte`), undefined);
  assert.equal(parseIntegerOfType('255', `${XSD}unsignedByte`), 255n);
  assert.equal(parseIntegerOfType('-1', `${XSD}unsignedByte`), undefined);
  assert.equal(parseIntegerOfType('0', `${XSD}positiveInteger`), undefined);
  assert.equal(parseIntegerOfType('0', `${XSD}nonNegativeInteger`), 0n);
  assert.equal(parseIntegerOfType('0', `${XSD}negativeInteger`), undefined);
  assert.equal(parseIntegerOfType('-5', `${XSD}nonPositiveInteger`), -5n);
  assert.equal(parseIntegerOfType('2147483647', `${XSD}int`), 2147483647n);
  assert.equal(parseIntegerOfType('2147483648', `${XSD}int`), undefined);
  assert.equal(parseIntegerOfType('9223372036854775807', `${XSD}long`), 9223372036854775807n);
  assert.equal(parseIntegerOfType('9223372036854775808', `${XSD}long`), undefined);
  assert.equal(parseIntegerOfType('18446744073709551615', `${XSD}unsignedLong`), 18446744073709551615n);
  assert.equal(parseIntegerOfType('32768', `${XSD}short`), undefined);
  assert.equal(parseIntegerOfType('65535', `${XSD}unsignedShort`), 65535n);
  assert.equal(parseIntegerOfType('4294967296', `${XSD}unsignedInt`), undefined);
  assert.equal(parseIntegerOfType('1', 'http://example.org/notAnInteger'), undefined);
});

test('decimal lexical space: no exponent, optional digits on either side of the point', () => {
  assert.deepEqual(dec('1.50'), { unscaled: 15n, scale: 1 });
  assert.deepEqual(dec('+33.3300'), { unscaled: 3333n, scale: 2 });
  assert.deepEqual(dec('.5'), { unscaled: 5n, scale: 1 });
  assert.deepEqual(dec('5.'), { unscaled: 5n, scale: 0 });
  assert.deepEqual(dec('-0.0'), { unscaled: 0n, scale: 0 });
  for (const bad of ['', '.', '-', '1e0', '1.2.3', 'INF', 'abc', '1,5']) assert.equal(parseDecimal(bad), undefined, bad);
});

test('double and float lexical spaces', () => {
  assert.equal(parseDouble('1E0'), 1);
  assert.equal(parseDouble('-10.2E3'), -10200);
  assert.equal(parseDouble('.5e-1'), 0.05);
  assert.equal(parseDouble('5.'), 5);
  assert.equal(parseDouble('INF'), Infinity);
  assert.equal(parseDouble('+INF'), Infinity);
  assert.equal(parseDouble('-INF'), -Infinity);
  assert.ok(Number.isNaN(parseDouble('NaN')!));
  for (const bad of ['', 'e1', '1e', 'inf', 'nan', '-NaN', 'Infinity', '0x1', '1,0', '1e1.5']) assert.equal(parseDouble(bad), undefined, bad);
  assert.equal(parseFloat32('0.1'), Math.fround(0.1));
  assert.equal(parseFloat32('1e39'), Infinity, 'beyond float range rounds to INF');
});

test('boolean lexical space', () => {
  assert.equal(parseBoolean('true'), true);
  assert.equal(parseBoolean('1'), true);
  assert.equal(parseBoolean('false'), false);
  assert.equal(parseBoolean('0'), false);
  for (const bad of ['TRUE', 'yes', '', '2', 'True']) assert.equal(parseBoolean(bad), undefined, bad);
});

test('canonical decimals always carry a fractional digit', () => {
  assert.equal(formatDecimalCanonical(dec('1')), '1.0');
  assert.equal(formatDecimalCanonical(dec('+33.3300')), '33.33');
  assert.equal(formatDecimalCanonical(dec('-0.050')), '-0.05');
  assert.equal(formatDecimalCanonical(dec('-0')), '0.0');
  assert.equal(formatDecimalCanonical(dec('-2.5')), '-2.5');
  assert.equal(formatDecimalCanonical(dec('100')), '100.0');
});

test('canonical floats and doubles: shortest mantissa, E exponent', () => {
  assert.equal(formatFloatingCanonical(1.5, 'double'), '1.5E0');
  assert.equal(formatFloatingCanonical(1, 'double'), '1.0E0');
  assert.equal(formatFloatingCanonical(-10200, 'double'), '-1.02E4');
  assert.equal(formatFloatingCanonical(33.33, 'double'), '3.333E1');
  assert.equal(formatFloatingCanonical(0.001, 'double'), '1.0E-3');
  assert.equal(formatFloatingCanonical(0, 'double'), '0.0E0');
  assert.equal(formatFloatingCanonical(-0, 'double'), '-0.0E0');
  assert.equal(formatFloatingCanonical(Infinity, 'double'), 'INF');
  assert.equal(formatFloatingCanonical(-Infinity, 'float'), '-INF');
  assert.equal(formatFloatingCanonical(NaN, 'float'), 'NaN');
  assert.equal(formatFloatingCanonical(Math.fround(0.1), 'float'), '1.0E-1', 'float digits are the shortest that round-trip in 32 bits');
  assert.equal(formatFloatingCanonical(Math.fround(0.1), 'double'), '1.0000000149011612E-1');
  assert.equal(formatFloatingCanonical(1e21, 'double'), '1.0E21');
});

test('xsd:string cast of numbers (fn:string): plain notation within [1e-6, 1e6)', () => {
  assert.equal(formatFloatingAsString(1, 'double'), '1');
  assert.equal(formatFloatingAsString(1.25, 'float'), '1.25');
  assert.equal(formatFloatingAsString(-7.875, 'float'), '-7.875');
  assert.equal(formatFloatingAsString(0, 'double'), '0');
  assert.equal(formatFloatingAsString(-0, 'double'), '-0');
  assert.equal(formatFloatingAsString(999999, 'double'), '999999');
  assert.equal(formatFloatingAsString(1e6, 'double'), '1.0E6');
  assert.equal(formatFloatingAsString(0.000001, 'double'), '0.000001');
  assert.equal(formatFloatingAsString(1e-7, 'double'), '1.0E-7');
  assert.equal(formatFloatingAsString(Math.fround(0.1), 'float'), '0.1');
  assert.equal(formatNumericAsString({ kind: 'decimal', value: dec('1.0') }), '1');
  assert.equal(formatNumericAsString({ kind: 'decimal', value: dec('-2.50') }), '-2.5');
  assert.equal(formatNumericAsString({ kind: 'integer', value: -3n }), '-3');
});

test('every double survives canonical formatting and parsing', () => {
  fc.assert(
    fc.property(fc.double(), (x) => {
      const back = parseDouble(formatFloatingCanonical(x, 'double'))!;
      assert.ok(Object.is(back, x), `${x} -> ${formatFloatingCanonical(x, 'double')} -> ${back}`);
    }),
  );
  fc.assert(
    fc.property(fc.float(), (x) => {
      const back = parseFloat32(formatFloatingCanonical(x, 'float'))!;
      assert.ok(Object.is(back, x), `${x}`);
      if (Number.isFinite(x)) assert.ok(Object.is(parseFloat32(formatFloatingAsString(x, 'float')), x));
    }),
  );
});

/** Decimals as exact rationals n / 10^s for ground truth. */
const decimalArbitrary = fc
  .record({ unscaled: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), scale: fc.integer({ min: 0, max: 20 }) })
  .map(({ unscaled, scale }): Decimal => ({ unscaled, scale }));

function exactEquals(a: Decimal, numerator: bigint, scale: number): boolean {
  // a.unscaled / 10^a.scale === numerator / 10^scale
  return a.unscaled * 10n ** BigInt(scale) === numerator * 10n ** BigInt(a.scale);
}

test('decimal add, subtract and multiply are exact (BigInt ground truth)', () => {
  fc.assert(
    fc.property(decimalArbitrary, decimalArbitrary, (a, b) => {
      const scale = a.scale + b.scale;
      const x = a.unscaled * 10n ** BigInt(b.scale);
      const y = b.unscaled * 10n ** BigInt(a.scale);
      assert.ok(exactEquals(decimalAdd(a, b), x + y, scale));
      assert.ok(exactEquals(decimalSubtract(a, b), x - y, scale));
      assert.ok(exactEquals(decimalMultiply(a, b), a.unscaled * b.unscaled, scale));
      assert.equal(decimalCompare(a, b), x < y ? -1 : x > y ? 1 : 0);
      // Results are normalised: no trailing fractional zero.
      const sum = decimalAdd(a, b);
      assert.ok(sum.scale === 0 || sum.unscaled % 10n !== 0n);
    }),
  );
});

test('decimal division is within half a unit of the last kept digit, exact when it terminates', () => {
  fc.assert(
    fc.property(decimalArbitrary, decimalArbitrary, (a, b) => {
      const q = decimalDivide(a, b);
      if (b.unscaled === 0n) return assert.equal(q, undefined);
      assert.ok(q);
      // |q - a/b| <= 1/2 * 10^-S  <=>  |2 * 10^S * (q*b - a)| <= |b|, all scaled to integers.
      const S = BigInt(DECIMAL_DIVISION_SCALE_DIGITS);
      const common = BigInt(q.scale + a.scale + b.scale);
      const qb = q.unscaled * b.unscaled * 10n ** (common - BigInt(q.scale + b.scale));
      const aScaled = a.unscaled * 10n ** (common - BigInt(a.scale));
      const bScaled = b.unscaled * 10n ** (common - BigInt(b.scale));
      const error = qb - aScaled;
      const abs = (n: bigint) => (n < 0n ? -n : n);
      assert.ok(abs(2n * 10n ** S * error) <= abs(bScaled), `${a.unscaled}e-${a.scale} / ${b.unscaled}e-${b.scale}`);
      // A quotient that terminates within S digits is exact.
      if ((aScaled * 10n ** S) % bScaled === 0n) assert.equal(error, 0n);
    }),
  );
  const third = decimalDivide(dec('1'), dec('3'))!;
  assert.equal(formatDecimalCanonical(third), '0.333333333333333333333333');
  assert.equal(formatDecimalCanonical(decimalDivide(dec('2'), dec('3'))!), '0.666666666666666666666667');
  assert.equal(formatDecimalCanonical(decimalDivide(dec('1'), dec('8'))!), '0.125');
  assert.equal(formatDecimalCanonical(decimalDivide(dec('7.5'), dec('-2.5'))!), '-3.0');
});

test('floor, ceiling and round of decimals', () => {
  const cases: [string, string, string, string][] = [
    // value, floor, ceil, round (halves toward +infinity)
    ['2.5', '2.0', '3.0', '3.0'],
    ['-2.5', '-3.0', '-2.0', '-2.0'],
    ['-1.6', '-2.0', '-1.0', '-2.0'],
    ['1.1', '1.0', '2.0', '1.0'],
    ['-0.4', '-1.0', '0.0', '0.0'],
    ['7', '7.0', '7.0', '7.0'],
    ['-2.51', '-3.0', '-2.0', '-3.0'],
  ];
  for (const [value, floor, ceil, round] of cases) {
    assert.equal(formatDecimalCanonical(decimalFloor(dec(value))), floor, `floor ${value}`);
    assert.equal(formatDecimalCanonical(decimalCeil(dec(value))), ceil, `ceil ${value}`);
    assert.equal(formatDecimalCanonical(decimalRound(dec(value))), round, `round ${value}`);
  }
});

test('double to decimal: exact binary value, or shortest digits for casts', () => {
  assert.equal(formatDecimalCanonical(decimalFromDoubleExact(0.1)), '0.1000000000000000055511151231257827021181583404541015625');
  assert.equal(formatDecimalCanonical(decimalFromDoubleExact(-2.5)), '-2.5');
  assert.equal(formatDecimalCanonical(decimalFromDoubleExact(1e21)), '1000000000000000000000.0');
  assert.equal(formatDecimalCanonical(decimalFromFloating(0.1, 'double')!), '0.1');
  assert.equal(formatDecimalCanonical(decimalFromFloating(Math.fround(0.1), 'float')!), '0.1');
  assert.equal(formatDecimalCanonical(decimalFromFloating(1e21, 'double')!), '1000000000000000000000.0');
  assert.equal(formatDecimalCanonical(decimalFromFloating(1.5e-7, 'double')!), '0.00000015');
  assert.equal(decimalFromFloating(Infinity, 'double'), undefined);
  assert.equal(decimalFromFloating(NaN, 'float'), undefined);
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
      assert.equal(decimalToNumber(decimalFromDoubleExact(x)), x === 0 ? 0 : x);
      assert.equal(decimalToNumber(decimalFromFloating(x, 'double')!), x === 0 ? 0 : x);
    }),
  );
});

test('numeric arithmetic promotes integer < decimal < float < double', () => {
  const int = (v: bigint) => ({ kind: 'integer' as const, value: v });
  const decimal = (t: string) => ({ kind: 'decimal' as const, value: dec(t) });
  assert.deepEqual(numericArithmetic('+', int(1n), int(2n)), int(3n));
  assert.deepEqual(numericArithmetic('/', int(6n), int(3n)), { kind: 'decimal', value: { unscaled: 2n, scale: 0 } });
  assert.equal(numericArithmetic('/', int(1n), int(0n)), undefined);
  assert.equal(numericArithmetic('/', decimal('1.5'), decimal('0.0')), undefined);
  assert.deepEqual(numericArithmetic('*', int(2n), decimal('1.5')), { kind: 'decimal', value: { unscaled: 3n, scale: 0 } });
  assert.deepEqual(numericArithmetic('+', decimal('0.1'), { kind: 'float', value: Math.fround(0.2) }), { kind: 'float', value: Math.fround(0.1 + Math.fround(0.2)) });
  assert.deepEqual(numericArithmetic('/', { kind: 'double', value: 1 }, int(0n)), { kind: 'double', value: Infinity });
  assert.deepEqual(numericArithmetic('-', { kind: 'float', value: 1 }, { kind: 'double', value: 0.5 }), { kind: 'double', value: 0.5 });
  assert.equal(numericCompare({ kind: 'double', value: NaN }, int(1n)), undefined);
  assert.equal(numericCompare(decimal('1.0'), int(1n)), 0);
  assert.equal(numericCompare(int(10n ** 30n), int(10n ** 30n + 1n)), -1, 'big integers compare exactly');
});

test('rounding functions keep the numeric type', () => {
  assert.deepEqual(numericRounding('ABS', { kind: 'integer', value: -3n }), { kind: 'integer', value: 3n });
  assert.deepEqual(numericRounding('ROUND', { kind: 'double', value: -2.5 }), { kind: 'double', value: -2 });
  assert.deepEqual(numericRounding('ROUND', { kind: 'double', value: 2.5 }), { kind: 'double', value: 3 });
  assert.ok(Object.is(numericRounding('ROUND', { kind: 'double', value: -0.4 }).value, -0));
  assert.deepEqual(numericRounding('CEIL', { kind: 'float', value: 1.25 }), { kind: 'float', value: 2 });
  assert.deepEqual(numericRounding('FLOOR', { kind: 'decimal', value: dec('-1.5') }), { kind: 'decimal', value: { unscaled: -2n, scale: 0 } });
});

test('dateTime lexical space and canonical form', () => {
  const v = parseDateTime('2010-12-21T15:38:02-08:00')!;
  assert.deepEqual(v, { year: 2010, month: 12, day: 21, hour: 15, minute: 38, second: { unscaled: 2n, scale: 0 }, timezoneMinutes: -480 });
  assert.equal(parseDateTime('2011-02-01T01:02:03')!.timezoneMinutes, undefined);
  assert.equal(formatDateTimeCanonical(parseDateTime('2011-01-10T14:45:13.8150+00:00')!), '2011-01-10T14:45:13.815Z');
  assert.equal(formatDateTimeCanonical(parseDateTime('1999-12-31T24:00:00Z')!), '2000-01-01T00:00:00Z', 'hour 24 is the next day');
  assert.equal(formatDateTimeCanonical(parseDateTime('-0044-03-15T12:00:00')!), '-0044-03-15T12:00:00');
  assert.equal(formatDateTimeCanonical(parseDateTime('12345-01-01T00:00:00.5+14:00')!), '12345-01-01T00:00:00.5+14:00');
  assert.ok(parseDateTime('2000-02-29T00:00:00'));
  for (const bad of [
    '2001-02-29T00:00:00',
    '1900-02-29T00:00:00',
    '2010-13-01T00:00:00',
    '2010-00-01T00:00:00',
    '2010-01-32T00:00:00',
    '2010-01-01T24:00:01',
    '2010-01-01T25:00:00',
    '2010-01-01T10:60:00',
    '2010-01-01T10:00:60',
    '2010-01-01T10:00:00+14:01',
    '2010-01-01T10:00:00+15:00',
    '2010-01-01',
    '10-01-01T00:00:00',
    '02010-01-01T00:00:00',
    '2010-01-01T10:00',
    '2010-01-01T10:00:00.',
    '-0000-01-01T00:00:00',
  ]) {
    assert.equal(parseDateTime(bad), undefined, bad);
  }
});

test('dateTime order: timezones normalised; local vs zoned only beyond 14 hours', () => {
  const dt = (s: string) => parseDateTime(s)!;
  assert.equal(dateTimeCompare(dt('2010-01-01T12:00:00Z'), dt('2010-01-01T07:00:00-05:00')), 0);
  assert.equal(dateTimeCompare(dt('2010-01-01T12:00:00Z'), dt('2010-01-01T12:00:01Z')), -1);
  assert.equal(dateTimeCompare(dt('2010-01-01T12:00:00'), dt('2010-01-01T11:00:00')), 1);
  assert.equal(dateTimeCompare(dt('2010-01-01T12:00:00Z'), dt('2010-01-01T12:00:00')), undefined);
  assert.equal(dateTimeCompare(dt('2010-01-01T12:00:00'), dt('2010-01-02T03:00:00Z')), -1, '15 hours apart');
  assert.equal(dateTimeCompare(dt('2010-01-02T03:00:00Z'), dt('2010-01-01T12:00:00')), 1);
  assert.equal(dateTimeCompare(dt('2010-01-01T12:00:00'), dt('2010-01-02T01:00:00Z')), undefined, '13 hours apart');
  assert.equal(dateTimeCompare(dt('-0001-12-31T23:59:59Z'), dt('0000-01-01T00:00:00Z')), -1);
});

test('date, time and dayTimeDuration values', () => {
  assert.equal(dateTimeCompare(parseDate('2010-01-01Z')!, parseDate('2010-01-02Z')!), -1);
  assert.equal(parseDate('2010-02-30'), undefined);
  assert.equal(dateTimeCompare(parseTime('10:00:00Z')!, parseTime('11:00:00+01:00')!), 0);
  assert.equal(dateTimeCompare(parseTime('24:00:00')!, parseTime('00:00:00')!), 0);
  assert.equal(parseTime('25:00:00'), undefined);
  assert.deepEqual(parseDayTimeDurationSeconds('-PT8H'), { unscaled: -28800n, scale: 0 });
  assert.deepEqual(parseDayTimeDurationSeconds('P1DT1.5S'), { unscaled: 864015n, scale: 1 });
  for (const bad of ['P', 'PT', 'P1Y', '-P', 'P1DT', 'PT1.S', 'P1H']) assert.equal(parseDayTimeDurationSeconds(bad), undefined, bad);
  assert.equal(formatDayTimeDurationCanonical({ unscaled: 0n, scale: 0 }), 'PT0S');
  assert.equal(formatDayTimeDurationCanonical({ unscaled: -28800n, scale: 0 }), '-PT8H');
  assert.equal(formatDayTimeDurationCanonical({ unscaled: 19800n, scale: 0 }), 'PT5H30M');
  assert.equal(formatDayTimeDurationCanonical({ unscaled: 937815n, scale: 1 }), 'P1DT2H3M1.5S');
});

test('dateTimeFromDate is UTC with milliseconds', () => {
  assert.equal(formatDateTimeCanonical(dateTimeFromDate(new Date('2020-01-02T03:04:05.600Z'))), '2020-01-02T03:04:05.6Z');
  assert.equal(formatDateTimeCanonical(dateTimeFromDate(new Date('2020-01-02T03:04:05Z'))), '2020-01-02T03:04:05Z');
});

test('literalValue classifies literals; ill-typed known datatypes are invalid, unknown ones undefined', () => {
  const lit = (value: string, datatype: string, language = '') => ({ termType: 'Literal' as const, value, datatype, language });
  assert.deepEqual(literalValue(lit('x', XSD_STRING)), { kind: 'string', value: 'x' });
  assert.deepEqual(literalValue(lit('x', RDF_LANG_STRING, 'EN')), { kind: 'langString', value: 'x', language: 'en' });
  assert.deepEqual(literalValue(lit('01', `${XSD}int`)), { kind: 'numeric', value: { kind: 'integer', value: 1n } });
  assert.deepEqual(literalValue(lit('abc', `${XSD}integer`)), { kind: 'invalid' });
  assert.deepEqual(literalValue(lit('300', `${XSD}byte`)), { kind: 'invalid' });
  assert.deepEqual(literalValue(lit('maybe', `${XSD}boolean`)), { kind: 'invalid' });
  assert.deepEqual(literalValue(lit('2010-01-01', `${XSD}dateTime`)), { kind: 'invalid' });
  assert.equal(literalValue(lit('x', 'http://example.org/dt')), undefined);
  assert.equal(literalValue(lit('P1Y', `${XSD}duration`)), undefined, 'xsd:duration is not modelled');
  assert.deepEqual(parseNumeric('1.5', `${XSD}float`), { kind: 'float', value: 1.5 });
});

test('code point order puts astral characters after U+E000-U+FFFF', () => {
  assert.equal(compareCodePoints('a', 'b'), -1);
  assert.equal(compareCodePoints('ab', 'a'), 1);
  assert.equal(compareCodePoints('', ''), 0);
  assert.equal(compareCodePoints('\u{1F600}', '\uFFFD'), 1, 'UTF-16 order would say -1');
  assert.equal(compareCodePoints('\uFFFD', '\u{1F600}'), -1);
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
      const expected = (() => {
        const x = Array.from(a, (c) => c.codePointAt(0)!);
        const y = Array.from(b, (c) => c.codePointAt(0)!);
        for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
        return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
      })();
      assert.equal(compareCodePoints(a, b), expected);
    }),
  );
});

test('decimal parse and canonical format round-trip; floor/ceil/round match BigInt ground truth', () => {
  const floorDiv = (n: bigint, d: bigint) => (n >= 0n ? n / d : -((-n + d - 1n) / d));
  fc.assert(
    fc.property(decimalArbitrary, (d) => {
      const text = formatDecimalCanonical(d);
      assert.match(text, /^-?[0-9]+\.[0-9]+$/);
      assert.equal(decimalCompare(parseDecimal(text)!, d), 0);
      const unit = 10n ** BigInt(d.scale);
      assert.ok(exactEquals(decimalFloor(d), floorDiv(d.unscaled, unit), 0));
      assert.ok(exactEquals(decimalCeil(d), -floorDiv(-d.unscaled, unit), 0));
      // round(x) = floor(x + 1/2) = floor((2n + unit) / (2 * unit))
      assert.ok(exactEquals(decimalRound(d), floorDiv(2n * d.unscaled + unit, 2n * unit), 0));
    }),
  );
});

test('canonicalLiteral rewrites known values, keeps datatypes, leaves everything else alone', () => {
  const lit = (value: string, datatype: string, language = '') => ({ termType: 'Literal' as const, value, datatype, language });
  assert.deepEqual(canonicalLiteral(lit('2E-1', `${XSD}double`)), lit('2.0E-1', `${XSD}double`));
  assert.deepEqual(canonicalLiteral(lit('1.0E2', `${XSD}double`)), lit('1.0E2', `${XSD}double`));
  assert.deepEqual(canonicalLiteral(lit('01', `${XSD}int`)), lit('1', `${XSD}int`));
  assert.deepEqual(canonicalLiteral(lit('+1.50', `${XSD}decimal`)), lit('1.5', `${XSD}decimal`));
  assert.deepEqual(canonicalLiteral(lit('1', `${XSD}decimal`)), lit('1.0', `${XSD}decimal`));
  assert.deepEqual(canonicalLiteral(lit('0', `${XSD}boolean`)), lit('false', `${XSD}boolean`));
  assert.deepEqual(canonicalLiteral(lit('2010-01-01T10:00:00.50+00:00', `${XSD}dateTime`)), lit('2010-01-01T10:00:00.5Z', `${XSD}dateTime`));
  assert.deepEqual(canonicalLiteral(lit('PT60M', `${XSD}dayTimeDuration`)), lit('PT1H', `${XSD}dayTimeDuration`));
  for (const unchanged of [lit('abc', `${XSD}integer`), lit(' x ', XSD_STRING), lit('x', RDF_LANG_STRING, 'EN'), lit('01', 'http://example.org/dt')]) {
    assert.equal(canonicalLiteral(unchanged), unchanged);
  }
  const iri = { termType: 'NamedNode' as const, value: 'http://a' };
  assert.equal(canonicalLiteral(iri), iri);
});
