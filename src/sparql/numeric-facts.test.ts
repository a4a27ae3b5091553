import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Term } from '../rdf/term-key.ts';
import { applyOperator, effectiveBooleanValue, type Operator } from './expression-functions.ts';
import { compareComparable, numericFacts } from './numeric-facts.ts';

const XSD = 'http://www.w3.org/2001/XMLSchema#';
const literal = (value: string, type: string): Term => ({ termType: 'Literal', value, language: '', datatype: `${XSD}${type}` });
const OPERATORS: Operator[] = ['=', '!=', '<', '>', '<=', '>='];

/** Numeric literals around the edges of the fast path: near 2^53, 15 vs 16 digits, tiny and huge, NaN, INF, -0. */
const digits = fc.stringMatching(/^[0-9]{1,18}$/);
const numericLiteral: fc.Arbitrary<Term> = fc.oneof(
  fc.bigInt({ min: -(2n ** 54n), max: 2n ** 54n }).map((n) => literal(String(n), 'integer')),
  fc.constantFrom(2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n), 2n ** 24n + 1n, 16777216n, 0n, 1n).map((n) => literal(String(n), 'integer')),
  fc.integer({ min: -100, max: 100 }).map((n) => literal(String(n), 'int')),
  fc.tuple(fc.boolean(), digits, digits).map(([negative, whole, fraction]) => literal(`${negative ? '-' : ''}${whole}.${fraction}`, 'decimal')),
  fc.constantFrom('0.1', '0.10000000000000001', '9007199254740993.0', '1.5', '16777217.0', '0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001', '0.0').map((v) => literal(v, 'decimal')),
  fc.double().map((x) => literal(Number.isNaN(x) ? 'NaN' : x === Infinity ? 'INF' : x === -Infinity ? '-INF' : String(x), 'double')),
  fc.constantFrom('NaN', 'INF', '-INF', '-0', '0', '0.1', '9007199254740993', '1e-320', '4.9E-324').map((v) => literal(v, 'double')),
  fc.constantFrom('16777216', '16777217', '0.1', 'NaN').map((v) => literal(v, 'float')),
);

test('comparisons through the comparable doubles agree with the full operators wherever both sides have one', () => {
  fc.assert(
    fc.property(numericLiteral, numericLiteral, fc.constantFrom(...OPERATORS), (a, b, operator) => {
      const x = numericFacts(a);
      const y = numericFacts(b);
      assert.ok(x && y, 'both are numbers');
      if (x.comparable === undefined || y.comparable === undefined) return;
      const expected = effectiveBooleanValue(applyOperator(operator, [a, b]));
      assert.equal(compareComparable(operator, x.comparable, y.comparable), expected, `${a.value}^^${(a as { datatype: string }).datatype} ${operator} ${b.value}^^${(b as { datatype: string }).datatype}`);
    }),
    { numRuns: 20_000 },
  );
});

test('values a double cannot decide have no comparable double', () => {
  assert.equal(numericFacts(literal('9007199254740993', 'integer'))!.comparable, undefined);
  assert.equal(numericFacts(literal('0.10000000000000001', 'decimal'))!.comparable, undefined);
  assert.equal(numericFacts(literal('NaN', 'double'))!.comparable, undefined);
  assert.equal(numericFacts(literal('1', 'float'))!.comparable, undefined);
  assert.equal(numericFacts(literal('abc', 'integer')), null);
  assert.equal(numericFacts(literal('1', 'string')), null);
  assert.equal(numericFacts(literal('12.5', 'decimal'))!.comparable, 12.5);
});
