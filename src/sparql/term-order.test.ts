import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Term } from '../rdf/term-key.ts';
import { XSD, XSD_STRING, RDF_LANG_STRING } from '../rdf/term-key.ts';
import { compareForOrderBy, termsEqual } from './term-order.ts';
import { applyOperator, ExpressionError } from './expression-functions.ts';

const iri = (value: string): Term => ({ termType: 'NamedNode', value });
const bnode = (value: string): Term => ({ termType: 'BlankNode', value });
const str = (value: string): Term => ({ termType: 'Literal', value, language: '', datatype: XSD_STRING });
const lang = (value: string, language: string): Term => ({ termType: 'Literal', value, language, datatype: RDF_LANG_STRING });
const typed = (value: string, type: string): Term => ({
  termType: 'Literal',
  value,
  language: '',
  datatype: type.includes(':') ? type : `${XSD}${type}`,
});

/** Array.prototype.sort moves undefined to the end without asking the comparator: wrap like solutions. */
function sortTerms(terms: (Term | undefined)[]): (Term | undefined)[] {
  return terms
    .map((term) => ({ term }))
    .sort((x, y) => compareForOrderBy(x.term, y.term))
    .map(({ term }) => term);
}

/** Sorts and checks the result is exactly `expected` (so the test also fixes the tie-breaks). */
function assertSorted(expected: (Term | undefined)[]) {
  const shuffled = [...expected].reverse();
  shuffled.push(shuffled.shift()!);
  assert.deepEqual(sortTerms(shuffled), expected);
}

test('unbound < blank nodes < IRIs < literals', () => {
  assertSorted([undefined, bnode('a'), bnode('b'), iri('http://a'), iri('http://b'), str('a')]);
  assert.equal(compareForOrderBy(undefined, undefined), 0);
  assert.ok(compareForOrderBy(iri('z'), str('a')) < 0);
});

test('numbers sort by value across types, NaN first, exactly even for big or close values', () => {
  assertSorted([
    typed('NaN', 'double'),
    typed('-INF', 'float'),
    typed('-100000000000000000001', 'integer'),
    typed('-1', 'integer'),
    typed('0.1', 'decimal'),
    typed('0.1', 'double'), // the double 0.1 is 0.1000000000000000055..., a little more
    typed('0.1000000000000000055511151231257828', 'decimal'),
    typed('1', 'byte'),
    typed('2.5E0', 'double'),
    typed('10', 'integer'),
    typed('INF', 'double'),
  ]);
});

test('equal numbers with different terms tie-break by lexical form, then datatype', () => {
  assertSorted([typed('01', 'integer'), typed('1', 'decimal'), typed('1', 'integer'), typed('1.0', 'decimal'), typed('1E0', 'double')]);
});

test('literal groups: numbers, booleans, dateTimes, dates, times, durations, strings, tagged, others', () => {
  assertSorted([
    typed('5', 'integer'),
    typed('false', 'boolean'),
    typed('1', 'boolean'),
    typed('true', 'boolean'),
    typed('2010-01-01T00:00:00Z', 'dateTime'),
    typed('2010-01-01', 'date'),
    typed('10:00:00', 'time'),
    typed('PT1H', 'dayTimeDuration'),
    str('1'),
    str('a'),
    lang('a', 'en'),
    lang('b', 'de'),
    typed('abc', 'integer'),
    typed('x', 'http://example.org/dt'),
  ]);
});

test('strings by code point; tagged strings by text then tag', () => {
  assertSorted([str(''), str('B'), str('a'), str('ab'), str('\uFFFD'), str('\u{1F600}')]);
  assertSorted([lang('a', 'de'), lang('a', 'en'), lang('b', 'aa')]);
});

test('dateTimes by instant; a local time is placed as UTC, after an equal zoned one', () => {
  assertSorted([
    typed('2008-06-20T23:59:00Z', 'dateTime'),
    typed('2010-01-01T07:00:00-05:00', 'dateTime'),
    typed('2010-01-01T12:00:00Z', 'dateTime'),
    typed('2010-01-01T12:00:00', 'dateTime'),
    typed('2010-01-01T12:00:00.5', 'dateTime'),
  ]);
});

test('termsEqual is sameTerm, with case-insensitive language tags', () => {
  assert.ok(termsEqual(iri('http://a'), iri('http://a')));
  assert.ok(!termsEqual(iri('http://a'), bnode('http://a')));
  assert.ok(!termsEqual(iri('x'), str('x')));
  assert.ok(termsEqual(lang('a', 'en-GB'), lang('a', 'en-gb')));
  assert.ok(!termsEqual(typed('1', 'integer'), typed('01', 'integer')));
  assert.ok(!termsEqual(typed('1', 'integer'), typed('1', 'decimal')));
  assert.ok(termsEqual(str('x'), typed('x', 'string')));
});

// ---------------------------------------------------------------------------------------------
// Total order properties over a mix of every kind of term

const lexicalPool = ['0', '1', '01', '-1', '1.0', '0.1', '1E0', '-0', 'NaN', 'INF', '-INF', 'true', 'false', 'abc', '', 'a', 'B', '\u{1F600}',
  '2010-01-01T12:00:00Z', '2010-01-01T12:00:00', '2010-01-01T07:00:00-05:00', '2010-01-02T01:00:00Z', '2010-01-01', '12:00:00', 'PT1H', '-PT0S'];
const datatypePool = ['integer', 'decimal', 'double', 'float', 'byte', 'boolean', 'string', 'dateTime', 'date', 'time', 'dayTimeDuration', 'http://example.org/dt'];

const anyTerm: fc.Arbitrary<Term | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('a', 'b', 'A').map(bnode),
  fc.constantFrom('http://a', 'http://b', 'urn:x').map(iri),
  fc.tuple(fc.constantFrom(...lexicalPool), fc.constantFrom(...datatypePool)).map(([value, type]) => typed(value, type)),
  fc.tuple(fc.constantFrom(...lexicalPool), fc.constantFrom('en', 'EN', 'de')).map(([value, tag]) => lang(value, tag)),
  fc.double().map((x) => typed(String(x), 'double')),
  fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map((n) => typed(n.toString(), 'integer')),
  fc.tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 0, max: 20 })).map(([n, scale]) => {
    const digits = (n < 0n ? -n : n).toString().padStart(scale + 1, '0');
    return typed(`${n < 0n ? '-' : ''}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale) || '0'}`, 'decimal');
  }),
);

const sign = (n: number) => Math.sign(n);

test('compareForOrderBy is antisymmetric and 0 exactly for the same term', () => {
  fc.assert(
    fc.property(anyTerm, anyTerm, (a, b) => {
      assert.equal(sign(compareForOrderBy(a, b)), -sign(compareForOrderBy(b, a)) || 0);
      const same = a === undefined || b === undefined ? a === b : termsEqual(a, b);
      assert.equal(compareForOrderBy(a, b) === 0, same);
    }),
    { numRuns: 5000 },
  );
});

test('compareForOrderBy is transitive', () => {
  fc.assert(
    fc.property(anyTerm, anyTerm, anyTerm, (a, b, c) => {
      const ab = compareForOrderBy(a, b);
      const bc = compareForOrderBy(b, c);
      if (ab <= 0 && bc <= 0) assert.ok(compareForOrderBy(a, c) <= 0);
      if (ab < 0 && bc <= 0) assert.ok(compareForOrderBy(a, c) < 0);
    }),
    { numRuns: 20000 },
  );
});

test('sorting any sample twice, from two different starting orders, gives the same result', () => {
  fc.assert(
    fc.property(fc.array(anyTerm, { maxLength: 40 }), (terms) => {
      const once = sortTerms(terms);
      const twice = sortTerms([...terms].reverse());
      assert.deepEqual(once, twice.map((t, i) => (compareForOrderBy(t, once[i]) === 0 ? once[i] : t)));
      for (let i = 1; i < once.length; i++) assert.ok(compareForOrderBy(once[i - 1], once[i]) <= 0);
    }),
  );
});

test('the order agrees with the < operator wherever < is defined and true', () => {
  fc.assert(
    fc.property(anyTerm, anyTerm, (a, b) => {
      if (a === undefined || b === undefined) return;
      let less: boolean;
      try {
        less = applyOperator('<', [a, b]).value === 'true';
      } catch (error) {
        if (error instanceof ExpressionError) return;
        throw error;
      }
      if (less) assert.ok(compareForOrderBy(a, b) < 0, `${JSON.stringify(a)} < ${JSON.stringify(b)}`);
    }),
    { numRuns: 5000 },
  );
});
