import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser } from 'n3';
import type { Term } from '../rdf/term-key.ts';
import { XSD, XSD_STRING, RDF_LANG_STRING } from '../rdf/term-key.ts';
import {
  ExpressionError,
  applyOperator,
  callFunction,
  compileXPathRegex,
  effectiveBooleanValue,
  isKnownFunction,
  resolveIri,
  type FunctionContext,
  type Operator,
} from './expression-functions.ts';

// ---------------------------------------------------------------------------------------------
// Term shorthands

const iri = (value: string): Term => ({ termType: 'NamedNode', value });
const bnode = (value: string): Term => ({ termType: 'BlankNode', value });
const str = (value: string): Term => ({ termType: 'Literal', value, language: '', datatype: XSD_STRING });
const lang = (value: string, language: string): Term => ({ termType: 'Literal', value, language, datatype: RDF_LANG_STRING });
const typed = (value: string, type: string): Term => ({ termType: 'Literal', value, language: '', datatype: `${XSD}${type}` });
const int = (value: string | number) => typed(String(value), 'integer');
const decimal = (value: string) => typed(value, 'decimal');
const double = (value: string) => typed(value, 'double');
const float = (value: string) => typed(value, 'float');
const bool = (value: boolean | string) => typed(String(value), 'boolean');
const dateTime = (value: string) => typed(value, 'dateTime');
const TRUE = bool(true);
const FALSE = bool(false);
const custom = (value: string) => ({ termType: 'Literal' as const, value, language: '', datatype: 'http://example.org/dt' });

function context(overrides: Partial<FunctionContext> = {}): FunctionContext {
  let counter = 0;
  return {
    now: new Date('2011-01-10T14:45:13.815Z'),
    random: () => 0.25,
    uuid: () => '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
    freshBlankNode: (label) => bnode(label === undefined ? `fresh${counter++}` : `label-${label}`),
    ...overrides,
  };
}

const call = (name: string, ...args: Term[]) => callFunction(name, args, context());
const op = (operator: Operator, ...args: Term[]) => applyOperator(operator, args);
const isError = (f: () => unknown, why?: string) => assert.throws(f, ExpressionError, why);

// ---------------------------------------------------------------------------------------------
// Effective boolean value (§17.2.2)

test('EBV: booleans, numbers, strings; errors for everything else', () => {
  assert.equal(effectiveBooleanValue(TRUE), true);
  assert.equal(effectiveBooleanValue(bool('1')), true);
  assert.equal(effectiveBooleanValue(FALSE), false);
  assert.equal(effectiveBooleanValue(bool('yes')), false, 'ill-typed boolean is false');
  assert.equal(effectiveBooleanValue(int(0)), false);
  assert.equal(effectiveBooleanValue(int('-0')), false);
  assert.equal(effectiveBooleanValue(int(2)), true);
  assert.equal(effectiveBooleanValue(decimal('0.0')), false);
  assert.equal(effectiveBooleanValue(decimal('0.01')), true);
  assert.equal(effectiveBooleanValue(double('NaN')), false);
  assert.equal(effectiveBooleanValue(double('-0.0E0')), false);
  assert.equal(effectiveBooleanValue(float('INF')), true);
  assert.equal(effectiveBooleanValue(int('abc')), false, 'ill-typed number is false');
  assert.equal(effectiveBooleanValue(typed('300', 'byte')), false, 'out of range is ill-typed');
  assert.equal(effectiveBooleanValue(str('')), false);
  assert.equal(effectiveBooleanValue(str('false')), true);
  assert.equal(effectiveBooleanValue(lang('x', 'en')), true);
  isError(() => effectiveBooleanValue(iri('http://example.org/')));
  isError(() => effectiveBooleanValue(bnode('b')));
  isError(() => effectiveBooleanValue(dateTime('2010-01-01T00:00:00Z')));
  isError(() => effectiveBooleanValue(custom('x')));
});

// ---------------------------------------------------------------------------------------------
// Operators (§17.3)

test('arithmetic: types, canonical results, promotion', () => {
  assert.deepEqual(op('+', int(1), int(2)), int(3));
  assert.deepEqual(op('-', int(1), int(2)), int(-1));
  assert.deepEqual(op('*', int('-3'), int('4')), int(-12));
  assert.deepEqual(op('/', int(1), int(2)), decimal('0.5'));
  assert.deepEqual(op('/', int(4), int(2)), decimal('2.0'));
  assert.deepEqual(op('+', decimal('0.1'), decimal('0.2')), decimal('0.3'));
  assert.deepEqual(op('+', int(1), decimal('1.5')), decimal('2.5'));
  assert.deepEqual(op('*', decimal('1.5'), double('2')), double('3.0E0'));
  assert.deepEqual(op('+', float('1.5'), int(1)), float('2.5E0'));
  assert.deepEqual(op('+', float('1.5'), double('1')), double('2.5E0'));
  assert.deepEqual(op('+', typed('1', 'int'), typed('2', 'byte')), int(3), 'subtypes add as xsd:integer');
  assert.deepEqual(op('+', int('01'), int('+2')), int(3), 'result is canonical');
  assert.deepEqual(op('/', double('1'), int(0)), double('INF'));
  assert.deepEqual(op('/', double('-1'), int(0)), double('-INF'));
  assert.deepEqual(op('/', double('0'), int(0)), double('NaN'));
  assert.deepEqual(op('UMINUS', int(5)), int(-5));
  assert.deepEqual(op('UMINUS', decimal('-1.50')), decimal('1.5'));
  assert.deepEqual(op('UMINUS', double('0')), double('-0.0E0'));
  assert.deepEqual(op('UPLUS', typed('7', 'short')), int(7));
  assert.deepEqual(op('+', int('99999999999999999999'), int(1)), int('100000000000000000000'));
});

test('arithmetic errors: division by zero of exact numbers, non-numbers, ill-typed numbers', () => {
  isError(() => op('/', int(1), int(0)));
  isError(() => op('/', decimal('1.0'), decimal('0.0')));
  isError(() => op('+', int(1), str('1')));
  isError(() => op('+', int(1), int('abc')));
  isError(() => op('*', iri('http://example.org/'), int(1)));
  isError(() => op('-', bool(true), int(1)));
  isError(() => op('UMINUS', str('1')));
  isError(() => op('+', int(1)), 'arity');
  isError(() => op('+', dateTime('2010-01-01T00:00:00Z'), int(1)));
});

test('= and != on numbers compare values across types; NaN equals nothing', () => {
  assert.deepEqual(op('=', int(1), decimal('1.0')), TRUE);
  assert.deepEqual(op('=', int(1), double('1E0')), TRUE);
  assert.deepEqual(op('=', typed('1', 'byte'), int('01')), TRUE);
  assert.deepEqual(op('=', int(1), int(2)), FALSE);
  assert.deepEqual(op('!=', int(1), int(2)), TRUE);
  assert.deepEqual(op('=', double('NaN'), double('NaN')), FALSE);
  assert.deepEqual(op('!=', double('NaN'), double('NaN')), TRUE);
  assert.deepEqual(op('=', double('0'), double('-0')), TRUE);
  assert.deepEqual(op('=', decimal('0.1'), decimal('0.10')), TRUE);
});

test('= on strings, booleans, dateTimes, language strings', () => {
  assert.deepEqual(op('=', str('a'), str('a')), TRUE);
  assert.deepEqual(op('=', str('a'), str('b')), FALSE);
  assert.deepEqual(op('=', bool('1'), TRUE), TRUE);
  assert.deepEqual(op('=', bool('false'), TRUE), FALSE);
  assert.deepEqual(op('=', dateTime('2010-01-01T12:00:00Z'), dateTime('2010-01-01T07:00:00-05:00')), TRUE);
  assert.deepEqual(op('=', dateTime('2010-01-01T12:00:00Z'), dateTime('2010-01-01T12:00:01Z')), FALSE);
  assert.deepEqual(op('=', lang('a', 'en'), lang('a', 'EN')), TRUE);
  assert.deepEqual(op('=', lang('a', 'en'), lang('a', 'fr')), FALSE);
  assert.deepEqual(op('!=', lang('a', 'en'), lang('b', 'en')), TRUE);
  assert.deepEqual(op('=', typed('2010-01-01', 'date'), typed('2010-01-01', 'date')), TRUE);
  assert.deepEqual(op('=', typed('PT1H', 'dayTimeDuration'), typed('PT60M', 'dayTimeDuration')), TRUE);
});

test('= between non-literals is sameTerm; between unrelated literals it is RDFterm-equal (an error unless the same term)', () => {
  assert.deepEqual(op('=', iri('http://a'), iri('http://a')), TRUE);
  assert.deepEqual(op('=', iri('http://a'), iri('http://b')), FALSE);
  assert.deepEqual(op('!=', iri('http://a'), iri('http://b')), TRUE);
  assert.deepEqual(op('=', bnode('x'), bnode('x')), TRUE);
  assert.deepEqual(op('=', bnode('x'), iri('x')), FALSE);
  assert.deepEqual(op('=', iri('http://a'), str('http://a')), FALSE);
  assert.deepEqual(op('=', custom('x'), custom('x')), TRUE);
  assert.deepEqual(op('=', int('abc'), int('abc')), TRUE, 'the same ill-typed term');
  isError(() => op('=', custom('x'), custom('y')));
  isError(() => op('!=', custom('x'), custom('y')));
  isError(() => op('=', int('abc'), int('abd')));
  isError(() => op('=', int('abc'), int(1)));
  isError(() => op('=', str('1'), int(1)));
  isError(() => op('=', str('a'), lang('a', 'en')));
  isError(() => op('=', dateTime('2010-01-01T00:00:00Z'), typed('2010-01-01', 'date')));
  isError(() => op('=', dateTime('2010-01-01T12:00:00Z'), dateTime('2010-01-01T12:00:00')), 'indeterminate');
});

test('ordering operators: numbers, strings, booleans, dateTimes; errors elsewhere', () => {
  assert.deepEqual(op('<', int(1), decimal('1.5')), TRUE);
  assert.deepEqual(op('<=', int(2), double('2')), TRUE);
  assert.deepEqual(op('>', float('2.5'), int(2)), TRUE);
  assert.deepEqual(op('>=', int(1), int(2)), FALSE);
  assert.deepEqual(op('<', double('NaN'), int(1)), FALSE);
  assert.deepEqual(op('>=', double('NaN'), double('NaN')), FALSE);
  assert.deepEqual(op('<', double('-INF'), int('-99999999999999999999')), TRUE);
  assert.deepEqual(op('<', str('a'), str('b')), TRUE);
  assert.deepEqual(op('<', str('B'), str('a')), TRUE, 'code point order');
  assert.deepEqual(op('<', str('ab'), str('a')), FALSE);
  assert.deepEqual(op('<', str('\uFFFD'), str('\u{1F600}')), TRUE);
  assert.deepEqual(op('<', FALSE, TRUE), TRUE);
  assert.deepEqual(op('>', FALSE, TRUE), FALSE);
  assert.deepEqual(op('<', dateTime('2008-06-20T23:59:00Z'), dateTime('2010-06-21T11:28:01Z')), TRUE);
  assert.deepEqual(op('<', dateTime('2010-01-01T00:00:00'), dateTime('2010-01-02T00:00:00Z')), TRUE, 'more than 14h apart');
  isError(() => op('<', dateTime('2010-01-01T00:00:00'), dateTime('2010-01-01T01:00:00Z')));
  isError(() => op('<', lang('a', 'en'), lang('b', 'en')));
  isError(() => op('<', str('a'), int(1)));
  isError(() => op('<', iri('http://a'), iri('http://b')));
  isError(() => op('<', bnode('a'), bnode('b')));
  isError(() => op('<', int('x'), int(1)));
  isError(() => op('<', custom('a'), custom('b')));
  isError(() => op('<', TRUE, int(1)));
});

test('! negates the effective boolean value', () => {
  assert.deepEqual(op('!', TRUE), FALSE);
  assert.deepEqual(op('!', str('')), TRUE);
  assert.deepEqual(op('!', int(3)), FALSE);
  isError(() => op('!', iri('http://a')));
});

// ---------------------------------------------------------------------------------------------
// Functions on RDF terms (§17.4.2)

test('term tests, STR, LANG, DATATYPE, SAMETERM', () => {
  assert.deepEqual(call('ISIRI', iri('http://a')), TRUE);
  assert.deepEqual(call('ISURI', str('http://a')), FALSE);
  assert.deepEqual(call('ISBLANK', bnode('b')), TRUE);
  assert.deepEqual(call('ISLITERAL', int(1)), TRUE);
  assert.deepEqual(call('ISLITERAL', iri('x')), FALSE);
  assert.deepEqual(call('ISNUMERIC', int(1)), TRUE);
  assert.deepEqual(call('ISNUMERIC', typed('1', 'unsignedShort')), TRUE);
  assert.deepEqual(call('ISNUMERIC', typed('-1', 'unsignedShort')), FALSE);
  assert.deepEqual(call('ISNUMERIC', int('1.5')), FALSE);
  assert.deepEqual(call('ISNUMERIC', str('1')), FALSE);
  assert.deepEqual(call('STR', iri('http://a')), str('http://a'));
  assert.deepEqual(call('STR', lang('chat', 'fr')), str('chat'));
  assert.deepEqual(call('STR', int('01')), str('01'), 'STR keeps the lexical form');
  isError(() => call('STR', bnode('b')));
  assert.deepEqual(call('LANG', lang('chat', 'fr')), str('fr'));
  assert.deepEqual(call('LANG', int(1)), str(''));
  isError(() => call('LANG', iri('http://a')));
  assert.deepEqual(call('DATATYPE', str('x')), iri(XSD_STRING));
  assert.deepEqual(call('DATATYPE', lang('x', 'en')), iri(RDF_LANG_STRING));
  assert.deepEqual(call('DATATYPE', int('abc')), iri(`${XSD}integer`));
  isError(() => call('DATATYPE', iri('http://a')));
  assert.deepEqual(call('SAMETERM', int(1), int(1)), TRUE);
  assert.deepEqual(call('SAMETERM', int(1), int('01')), FALSE);
  assert.deepEqual(call('SAMETERM', lang('a', 'en'), lang('a', 'EN')), TRUE);
  assert.deepEqual(call('SAMETERM', custom('x'), custom('y')), FALSE, 'sameTerm never errors');
  isError(() => call('SAMETERM', int(1)));
});

test('LANGMATCHES: basic filtering, case-insensitive, * matches any tag', () => {
  assert.deepEqual(call('LANGMATCHES', str('en-US'), str('en')), TRUE);
  assert.deepEqual(call('LANGMATCHES', str('EN'), str('en')), TRUE);
  assert.deepEqual(call('LANGMATCHES', str('en'), str('en-US')), FALSE);
  assert.deepEqual(call('LANGMATCHES', str('eng'), str('en')), FALSE);
  assert.deepEqual(call('LANGMATCHES', str('fr'), str('*')), TRUE);
  assert.deepEqual(call('LANGMATCHES', str(''), str('*')), FALSE);
  isError(() => call('LANGMATCHES', lang('en', 'en'), str('en')));
  isError(() => call('LANGMATCHES', str('en'), int(1)));
});

test('IRI/URI: IRIs pass through, strings resolve against the base, others are errors', () => {
  const base = context({ baseIri: 'http://example.org/dir/doc' });
  assert.deepEqual(callFunction('IRI', [str('http://a/b')], context()), iri('http://a/b'));
  assert.deepEqual(callFunction('URI', [iri('http://a/b')], context()), iri('http://a/b'));
  assert.deepEqual(callFunction('IRI', [str('other')], base), iri('http://example.org/dir/other'));
  assert.deepEqual(callFunction('IRI', [str('#frag')], base), iri('http://example.org/dir/doc#frag'));
  assert.deepEqual(callFunction('IRI', [str('')], base), iri('http://example.org/dir/doc'));
  isError(() => callFunction('IRI', [str('relative')], context()), 'no base');
  isError(() => callFunction('IRI', [str('http://a b')], context()), 'space');
  isError(() => callFunction('IRI', [lang('http://a', 'en')], context()));
  isError(() => callFunction('IRI', [int(1)], context()));
  isError(() => callFunction('IRI', [bnode('b')], context()));
});

test('RFC 3986 §5.4 reference resolution examples', () => {
  const base = 'http://a/b/c/d;p?q';
  const examples: [string, string][] = [
    ['g:h', 'g:h'], ['g', 'http://a/b/c/g'], ['./g', 'http://a/b/c/g'], ['g/', 'http://a/b/c/g/'],
    ['/g', 'http://a/g'], ['//g', 'http://g'], ['?y', 'http://a/b/c/d;p?y'], ['g?y', 'http://a/b/c/g?y'],
    ['#s', 'http://a/b/c/d;p?q#s'], ['g#s', 'http://a/b/c/g#s'], ['g?y#s', 'http://a/b/c/g?y#s'],
    [';x', 'http://a/b/c/;x'], ['g;x', 'http://a/b/c/g;x'], ['', 'http://a/b/c/d;p?q'], ['.', 'http://a/b/c/'],
    ['./', 'http://a/b/c/'], ['..', 'http://a/b/'], ['../', 'http://a/b/'], ['../g', 'http://a/b/g'],
    ['../..', 'http://a/'], ['../../', 'http://a/'], ['../../g', 'http://a/g'], ['../../../g', 'http://a/g'],
    ['/./g', 'http://a/g'], ['/../g', 'http://a/g'], ['g.', 'http://a/b/c/g.'], ['.g', 'http://a/b/c/.g'],
    ['g..', 'http://a/b/c/g..'], ['..g', 'http://a/b/c/..g'], ['./../g', 'http://a/b/g'], ['./g/.', 'http://a/b/c/g/'],
    ['g/./h', 'http://a/b/c/g/h'], ['g/../h', 'http://a/b/c/h'], ['g;x=1/./y', 'http://a/b/c/g;x=1/y'], ['g;x=1/../y', 'http://a/b/c/y'],
  ];
  for (const [reference, expected] of examples) assert.equal(resolveIri(reference, base), expected, reference);
  assert.equal(resolveIri('g', 'http://a'), 'http://a/g', 'empty base path with authority');
});

test('BNODE: fresh nodes, and the caller-memoised node for a label', () => {
  const ctx = context();
  const first = callFunction('BNODE', [], ctx);
  const second = callFunction('BNODE', [], ctx);
  assert.equal(first.termType, 'BlankNode');
  assert.notDeepEqual(first, second);
  assert.deepEqual(callFunction('BNODE', [str('x')], ctx), bnode('label-x'));
  isError(() => callFunction('BNODE', [lang('x', 'en')], ctx));
  isError(() => callFunction('BNODE', [int(1)], ctx));
});

test('STRDT and STRLANG build literals from simple strings only', () => {
  assert.deepEqual(call('STRDT', str('123'), iri(`${XSD}integer`)), int(123));
  assert.deepEqual(call('STRDT', str('x'), iri(XSD_STRING)), str('x'));
  assert.deepEqual(call('STRDT', str('iiii'), iri('http://example/romanNumeral')), { termType: 'Literal', value: 'iiii', language: '', datatype: 'http://example/romanNumeral' });
  isError(() => call('STRDT', lang('x', 'en'), iri(`${XSD}string`)));
  isError(() => call('STRDT', str('x'), str(`${XSD}string`)));
  isError(() => call('STRDT', str('x'), iri(RDF_LANG_STRING)));
  assert.deepEqual(call('STRLANG', str('chat'), str('fr')), lang('chat', 'fr'));
  assert.deepEqual(call('STRLANG', typed('chat', 'string'), str('en-GB')), lang('chat', 'en-GB'));
  isError(() => call('STRLANG', lang('chat', 'fr'), str('en')));
  isError(() => call('STRLANG', str('chat'), str('')));
  isError(() => call('STRLANG', str('chat'), str('not a tag')));
  isError(() => call('STRLANG', str('chat'), int(1)));
});

test('UUID, STRUUID, RAND and NOW come from the context', () => {
  assert.deepEqual(call('UUID'), iri('urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8'));
  assert.deepEqual(call('STRUUID'), str('6ba7b810-9dad-11d1-80b4-00c04fd430c8'));
  assert.deepEqual(call('RAND'), double('2.5E-1'));
  assert.deepEqual(call('NOW'), dateTime('2011-01-10T14:45:13.815Z'));
  isError(() => call('NOW', int(1)));
  isError(() => call('RAND', int(1)));
});

// ---------------------------------------------------------------------------------------------
// Numeric functions (§17.4.4)

test('ABS, CEIL, FLOOR, ROUND keep the argument type', () => {
  assert.deepEqual(call('ABS', int(-2)), int(2));
  assert.deepEqual(call('ABS', decimal('-1.5')), decimal('1.5'));
  assert.deepEqual(call('ABS', decimal('-2.0')), decimal('2'), 'fn:* results write integral decimals without .0 (round01, ceil01)');
  assert.deepEqual(call('ABS', double('-1.5')), double('1.5E0'));
  assert.deepEqual(call('ABS', typed('-3', 'int')), int(3));
  assert.deepEqual(call('CEIL', decimal('-1.6')), decimal('-1'));
  assert.deepEqual(call('CEIL', double('1.1')), double('2.0E0'));
  assert.deepEqual(call('FLOOR', decimal('-1.6')), decimal('-2'));
  assert.deepEqual(call('FLOOR', float('1.9')), float('1.0E0'));
  assert.deepEqual(call('ROUND', decimal('2.5')), decimal('3'));
  assert.deepEqual(call('ROUND', decimal('-2.5')), decimal('-2'), 'halves round toward +infinity');
  assert.deepEqual(call('ROUND', decimal('-1.6')), decimal('-2'));
  assert.deepEqual(call('ROUND', decimal('1.1')), decimal('1'));
  assert.deepEqual(call('ROUND', decimal('1.25')), decimal('1'));
  assert.deepEqual(call('ROUND', int(-2)), int(-2));
  assert.deepEqual(call('ROUND', double('-0.5')), double('-0.0E0'));
  assert.deepEqual(call('ROUND', double('NaN')), double('NaN'));
  assert.deepEqual(call('ROUND', double('INF')), double('INF'));
  isError(() => call('ROUND', str('1.5')));
  isError(() => call('ABS', int('x')));
});

// ---------------------------------------------------------------------------------------------
// String functions (§17.4.3)

test('STRLEN counts code points', () => {
  assert.deepEqual(call('STRLEN', str('chat')), int(4));
  assert.deepEqual(call('STRLEN', lang('chat', 'en')), int(4));
  assert.deepEqual(call('STRLEN', str('食べ物')), int(3));
  assert.deepEqual(call('STRLEN', str('\u{1F600}x')), int(2));
  assert.deepEqual(call('STRLEN', str('')), int(0));
  isError(() => call('STRLEN', int(1)));
  isError(() => call('STRLEN', iri('http://a')));
});

test('SUBSTR: 1-based code points, fn:substring rounding, keeps the tag', () => {
  assert.deepEqual(call('SUBSTR', str('foobar'), int(4)), str('bar'));
  assert.deepEqual(call('SUBSTR', str('foobar'), int(4), int(1)), str('b'));
  assert.deepEqual(call('SUBSTR', lang('chat', 'en'), int(2)), lang('hat', 'en'));
  assert.deepEqual(call('SUBSTR', typed('foobar', 'string'), int(4)), typed('bar', 'string'));
  assert.deepEqual(call('SUBSTR', str('\u{1F600}ab'), int(2), int(1)), str('a'));
  assert.deepEqual(call('SUBSTR', str('12345'), int(0), int(3)), str('12'));
  assert.deepEqual(call('SUBSTR', str('12345'), int(5), int(-3)), str(''));
  assert.deepEqual(call('SUBSTR', str('12345'), int(-3), int(5)), str('1'));
  assert.deepEqual(call('SUBSTR', str('12345'), decimal('1.5'), decimal('2.6')), str('234'));
  assert.deepEqual(call('SUBSTR', str('12345'), double('NaN'), int(3)), str(''));
  assert.deepEqual(call('SUBSTR', str('12345'), double('-INF'), double('INF')), str(''));
  assert.deepEqual(call('SUBSTR', str('12345'), double('-INF')), str('12345'));
  assert.deepEqual(call('SUBSTR', str('abc'), int(10)), str(''));
  isError(() => call('SUBSTR', str('abc'), str('1')));
  isError(() => call('SUBSTR', int(123), int(1)));
  isError(() => call('SUBSTR', str('abc')));
});

test('UCASE, LCASE keep the tag; ENCODE_FOR_URI gives a simple literal', () => {
  assert.deepEqual(call('UCASE', str('foo')), str('FOO'));
  assert.deepEqual(call('UCASE', lang('foo', 'en')), lang('FOO', 'en'));
  assert.deepEqual(call('LCASE', lang('BAR', 'en')), lang('bar', 'en'));
  assert.deepEqual(call('LCASE', typed('BAR', 'string')), typed('bar', 'string'));
  assert.deepEqual(call('UCASE', str('straße')), str('STRASSE'));
  isError(() => call('UCASE', int(1)));
  assert.deepEqual(call('ENCODE_FOR_URI', str('Los Angeles')), str('Los%20Angeles'));
  assert.deepEqual(call('ENCODE_FOR_URI', lang('Los Angeles', 'en')), str('Los%20Angeles'));
  assert.deepEqual(call('ENCODE_FOR_URI', str("a-_.~!*'()/?#é😀")), str('a-_.~%21%2A%27%28%29%2F%3F%23%C3%A9%F0%9F%98%80'));
  isError(() => call('ENCODE_FOR_URI', iri('http://a')));
});

test('CONCAT keeps a tag only when every argument has it', () => {
  assert.deepEqual(call('CONCAT', str('foo'), str('bar')), str('foobar'));
  assert.deepEqual(call('CONCAT', lang('foo', 'en'), lang('bar', 'en')), lang('foobar', 'en'));
  assert.deepEqual(call('CONCAT', lang('foo', 'en'), str('bar')), str('foobar'));
  assert.deepEqual(call('CONCAT', lang('foo', 'en'), lang('bar', 'fr')), str('foobar'));
  assert.deepEqual(call('CONCAT', typed('foo', 'string'), typed('bar', 'string')), typed('foobar', 'string'));
  assert.deepEqual(call('CONCAT'), str(''));
  assert.deepEqual(call('CONCAT', lang('x', 'en')), lang('x', 'en'));
  isError(() => call('CONCAT', str('a'), int(1)));
  isError(() => call('CONCAT', iri('http://a')));
});

test('argument compatibility of CONTAINS, STRSTARTS, STRENDS (§17.4.3.1.2)', () => {
  assert.deepEqual(call('CONTAINS', str('foobar'), str('bar')), TRUE);
  assert.deepEqual(call('CONTAINS', lang('foobar', 'en'), str('bar')), TRUE);
  assert.deepEqual(call('CONTAINS', lang('foobar', 'en'), lang('bar', 'en')), TRUE);
  assert.deepEqual(call('CONTAINS', str('foobar'), str('')), TRUE);
  assert.deepEqual(call('CONTAINS', str('foobar'), str('baz')), FALSE);
  isError(() => call('CONTAINS', str('foobar'), lang('bar', 'en')), 'simple first, tagged second');
  isError(() => call('CONTAINS', lang('foobar', 'en'), lang('bar', 'fr')));
  isError(() => call('CONTAINS', str('1'), int(1)));
  assert.deepEqual(call('STRSTARTS', str('foobar'), str('foo')), TRUE);
  assert.deepEqual(call('STRSTARTS', lang('foobar', 'en'), typed('bar', 'string')), FALSE);
  assert.deepEqual(call('STRENDS', str('foobar'), str('bar')), TRUE);
  assert.deepEqual(call('STRENDS', typed('foobar', 'string'), str('foo')), FALSE);
  isError(() => call('STRENDS', iri('http://a'), str('a')));
});

test('STRBEFORE and STRAFTER with the spec examples', () => {
  assert.deepEqual(call('STRBEFORE', str('abc'), str('b')), str('a'));
  assert.deepEqual(call('STRBEFORE', lang('abc', 'en'), str('bc')), lang('a', 'en'));
  assert.deepEqual(call('STRBEFORE', lang('abc', 'en'), str('')), lang('', 'en'));
  assert.deepEqual(call('STRBEFORE', lang('abc', 'en'), lang('b', 'en')), lang('a', 'en'));
  assert.deepEqual(call('STRBEFORE', lang('abc', 'en'), str('z')), str(''));
  assert.deepEqual(call('STRBEFORE', typed('abc', 'string'), str('c')), typed('ab', 'string'));
  assert.deepEqual(call('STRBEFORE', str('abc'), str('xyz')), str(''));
  isError(() => call('STRBEFORE', lang('abc', 'en'), lang('b', 'cy')));
  isError(() => call('STRBEFORE', str('abc'), lang('b', 'en')));
  assert.deepEqual(call('STRAFTER', str('abc'), str('b')), str('c'));
  assert.deepEqual(call('STRAFTER', lang('abc', 'en'), str('ab')), lang('c', 'en'));
  assert.deepEqual(call('STRAFTER', lang('abc', 'en'), str('')), lang('abc', 'en'));
  assert.deepEqual(call('STRAFTER', lang('abc', 'en'), str('z')), str(''));
  assert.deepEqual(call('STRAFTER', str('abcabc'), str('b')), str('cabc'), 'first occurrence');
  assert.deepEqual(call('STRAFTER', str('abc'), str('xyz')), str(''));
  isError(() => call('STRAFTER', lang('abc', 'en'), lang('b', 'cy')));
});

test('hash functions: lower-case hex of UTF-8, simple strings only', () => {
  assert.deepEqual(call('MD5', str('abc')), str('900150983cd24fb0d6963f7d28e17f72'));
  assert.deepEqual(call('SHA1', str('abc')), str('a9993e364706816aba3e25717850c26c9cd0d89d'));
  assert.deepEqual(call('SHA256', str('abc')), str('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'));
  assert.deepEqual(call('SHA384', typed('abc', 'string')), str(createHash('sha384').update('abc').digest('hex')));
  assert.deepEqual(call('SHA512', str('')), str(createHash('sha512').update('').digest('hex')));
  assert.deepEqual(call('MD5', str('食べ物')), str(createHash('md5').update(Buffer.from('食べ物', 'utf8')).digest('hex')));
  isError(() => call('MD5', lang('abc', 'en')));
  isError(() => call('SHA1', int(1)));
  isError(() => call('SHA256', iri('http://a')));
});

test('REGEX: XPath flags and syntax on string literals', () => {
  assert.deepEqual(call('REGEX', str('Alice'), str('^ali'), str('i')), TRUE);
  assert.deepEqual(call('REGEX', str('Alice'), str('^ali')), FALSE);
  assert.deepEqual(call('REGEX', lang('chat', 'fr'), str('h.t')), TRUE);
  assert.deepEqual(call('REGEX', str('a\nb'), str('a.b')), FALSE);
  assert.deepEqual(call('REGEX', str('a\nb'), str('a.b'), str('s')), TRUE);
  assert.deepEqual(call('REGEX', str('a\u2028b'), str('a.b')), TRUE, 'XPath . excludes only \\n and \\r');
  assert.deepEqual(call('REGEX', str('x\ny'), str('^y$')), FALSE);
  assert.deepEqual(call('REGEX', str('x\ny'), str('^y$'), str('m')), TRUE);
  assert.deepEqual(call('REGEX', str('abc'), str('a b c'), str('x')), TRUE);
  assert.deepEqual(call('REGEX', str('a b'), str('a[ ]b'), str('x')), TRUE, 'x keeps whitespace in classes');
  assert.deepEqual(call('REGEX', str('a.c'), str('.'), str('q')), TRUE);
  assert.deepEqual(call('REGEX', str('abc'), str('a.c'), str('q')), FALSE);
  assert.deepEqual(call('REGEX', str('A.C'), str('a.c'), str('qi')), TRUE);
  assert.deepEqual(call('REGEX', str('٣'), str('^\\d$')), TRUE, '\\d is any Unicode digit');
  assert.deepEqual(call('REGEX', str('é'), str('^\\w$')), TRUE);
  assert.deepEqual(call('REGEX', str('!'), str('^\\w$')), FALSE);
  assert.deepEqual(call('REGEX', str('\u{1F600}'), str('^.$')), TRUE, 'code points, not UTF-16 units');
  assert.deepEqual(call('REGEX', str('x'), str('[a-z-[aeiou]]')), TRUE);
  assert.deepEqual(call('REGEX', str('e'), str('^[a-z-[aeiou]]$')), FALSE, 'class subtraction');
  assert.deepEqual(call('REGEX', str('A'), str('^[\\w-[a-z]]$')), TRUE);
  assert.deepEqual(call('REGEX', str('a'), str('^[\\w-[a-z]]$')), FALSE);
  assert.deepEqual(call('REGEX', str('_'), str('^\\w$')), FALSE, 'XPath \\w excludes punctuation, even _');
  assert.deepEqual(call('REGEX', str('a'), str('^[^\\w]$')), FALSE);
  assert.deepEqual(call('REGEX', str('!'), str('^[^\\w]$')), TRUE);
  assert.deepEqual(call('REGEX', str('a-'), str('^[a-]+$')), TRUE);
  assert.deepEqual(call('REGEX', str('Ä'), str('^\\p{Lu}$')), TRUE);
  assert.deepEqual(call('REGEX', str('abab'), str('^(ab)\\1$')), TRUE);
  assert.deepEqual(call('REGEX', str('xml:name'), str('^\\i\\c*$')), TRUE);
  assert.deepEqual(call('REGEX', str('1abc'), str('^\\i')), FALSE);
  assert.deepEqual(call('REGEX', str('aaa'), str('^a{2,3}$')), TRUE);
  assert.deepEqual(call('REGEX', str('a/b'), str('a/b')), TRUE);
  isError(() => call('REGEX', int(1), str('1')), 'text must be a string literal');
  isError(() => call('REGEX', str('a'), lang('a', 'en')), 'pattern must be simple');
  isError(() => call('REGEX', str('a'), str('a'), str('g')), 'unknown flag');
  isError(() => call('REGEX', str('a'), str('(')), 'syntax');
  isError(() => call('REGEX', str('a'), str('a{')));
  isError(() => call('REGEX', str('a'), str('(?=a)')), 'lookahead is not XPath');
  isError(() => call('REGEX', str('a'), str('\\b')), '\\b is not XPath');
  isError(() => call('REGEX', str('a'), str('\\p{IsBasicLatin}')), 'block escapes are not supported');
  isError(() => call('REGEX', str('a'), str('[z-a]')));
});

test('the regex translator agrees with JS on plain patterns it passes through', () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom('a', 'b', 'ab', '|', '*', '+', '?', '(a)', '[ab]', '[^a]', 'a{1,2}', '^', '$'), { maxLength: 6 }).map((p) => p.join('')),
      fc.stringMatching(/^[ab\n]{0,6}$/),
      (pattern, text) => {
        let js: RegExp;
        try {
          js = new RegExp(pattern, 'u');
        } catch {
          return;
        }
        assert.equal(compileXPathRegex(pattern, '').test(text), js.test(text), `${pattern} on ${JSON.stringify(text)}`);
      },
    ),
  );
});

test('REPLACE: groups, escapes, flags, tags, and the empty-match error', () => {
  assert.deepEqual(call('REPLACE', str('abcd'), str('b'), str('Z')), str('aZcd'));
  assert.deepEqual(call('REPLACE', str('abab'), str('B'), str('Z'), str('i')), str('aZaZ'));
  assert.deepEqual(call('REPLACE', str('abcd'), str('b(.)'), str('[$1]')), str('a[c]d'));
  assert.deepEqual(call('REPLACE', str('abcd'), str('(b)(c)'), str('$2$1$0')), str('acbbcd'));
  assert.deepEqual(call('REPLACE', str('abc'), str('b'), str('\\$1')), str('a$1c'));
  assert.deepEqual(call('REPLACE', str('abc'), str('b'), str('\\\\')), str('a\\c'));
  assert.deepEqual(call('REPLACE', str('abc'), str('(b)'), str('$12')), str('ab2c'), '$12 is group 1 then "2" when there is no group 12');
  assert.deepEqual(call('REPLACE', str('abc'), str('(b)'), str('$2')), str('ac'), 'a missing group is empty');
  assert.deepEqual(call('REPLACE', lang('abcd', 'en'), str('b'), str('Z')), lang('aZcd', 'en'));
  assert.deepEqual(call('REPLACE', str('a.b.c'), str('.'), str('$'), str('q')), str('a$b$c'), 'q: literal pattern and replacement');
  assert.deepEqual(call('REPLACE', str('AAAA'), str('A+'), str('b')), str('b'));
  assert.deepEqual(call('REPLACE', str('darted'), str('^(.*?)d(.*)$'), str('$1c$2')), str('carted'));
  isError(() => call('REPLACE', str('abc'), str('x*'), str('-')), 'pattern matches the empty string');
  isError(() => call('REPLACE', str('abc'), str('b'), str('$')));
  isError(() => call('REPLACE', str('abc'), str('b'), str('\\x')));
  isError(() => call('REPLACE', str('abc'), str('b'), lang('x', 'en')));
  isError(() => call('REPLACE', int(1), str('1'), str('2')));
  isError(() => call('REPLACE', str('abc'), str('b'), str('x'), str('z')));
});

// ---------------------------------------------------------------------------------------------
// Date and time functions (§17.4.5)

test('YEAR .. SECONDS, TIMEZONE and TZ on dateTimes', () => {
  const d = dateTime('2011-01-10T14:45:13.815-05:00');
  assert.deepEqual(call('YEAR', d), int(2011));
  assert.deepEqual(call('MONTH', d), int(1));
  assert.deepEqual(call('DAY', d), int(10));
  assert.deepEqual(call('HOURS', d), int(14));
  assert.deepEqual(call('MINUTES', d), int(45));
  assert.deepEqual(call('SECONDS', d), decimal('13.815'));
  assert.deepEqual(call('SECONDS', dateTime('2010-06-21T11:28:01Z')), decimal('1'), 'as seconds-01 expects');
  assert.deepEqual(call('TIMEZONE', d), typed('-PT5H', 'dayTimeDuration'));
  assert.deepEqual(call('TIMEZONE', dateTime('2010-06-21T11:28:01Z')), typed('PT0S', 'dayTimeDuration'));
  assert.deepEqual(call('TIMEZONE', dateTime('2010-06-21T11:28:01+05:30')), typed('PT5H30M', 'dayTimeDuration'));
  isError(() => call('TIMEZONE', dateTime('2011-02-01T01:02:03')));
  assert.deepEqual(call('TZ', d), str('-05:00'));
  assert.deepEqual(call('TZ', dateTime('2010-06-21T11:28:01Z')), str('Z'));
  assert.deepEqual(call('TZ', dateTime('2011-02-01T01:02:03')), str(''));
  assert.deepEqual(call('YEAR', dateTime('-0044-03-15T00:00:00')), int(-44));
  assert.deepEqual(call('DAY', dateTime('1999-12-31T24:00:00')), int(1), '24:00 is the next day');
  isError(() => call('YEAR', typed('2010-01-01', 'date')), 'dateTime only');
  isError(() => call('YEAR', str('2010-01-01T00:00:00Z')));
  isError(() => call('HOURS', dateTime('not a date')));
  isError(() => call('TZ', iri('http://a')));
});

// ---------------------------------------------------------------------------------------------
// Casts (§17.5)

const cast = (type: string, term: Term) => callFunction(`${XSD}${type}`, [term], context());

test('casts from strings parse the target lexical space', () => {
  assert.deepEqual(cast('integer', str('13')), int(13));
  assert.deepEqual(cast('integer', str(' 13 ')), int(13));
  isError(() => cast('integer', str('1.5')));
  isError(() => cast('integer', str('1E0')));
  assert.deepEqual(cast('decimal', str('+33.3300')), decimal('33.33'));
  assert.deepEqual(cast('decimal', str('1')), decimal('1.0'));
  isError(() => cast('decimal', str('-10.2E3')));
  assert.deepEqual(cast('double', str('-10.2E3')), double('-1.02E4'));
  assert.deepEqual(cast('double', str('0')), double('0.0E0'));
  assert.deepEqual(cast('float', str('+33.3300')), float('3.333E1'));
  isError(() => cast('double', str('string')));
  assert.deepEqual(cast('boolean', str('true')), TRUE);
  assert.deepEqual(cast('boolean', str('0')), FALSE);
  isError(() => cast('boolean', str('yes')));
  assert.deepEqual(cast('dateTime', str('2002-10-10T17:00:00+00:00')), dateTime('2002-10-10T17:00:00Z'));
  isError(() => cast('dateTime', str('2002-10-10')));
  assert.deepEqual(cast('string', str('x')), str('x'));
  assert.deepEqual(cast('int', str('2147483647')), typed('2147483647', 'int'));
  isError(() => cast('int', str('2147483648')));
  assert.deepEqual(cast('nonNegativeInteger', str('0')), typed('0', 'nonNegativeInteger'));
  isError(() => cast('positiveInteger', str('0')));
  isError(() => cast('integer', lang('1', 'en')), 'language-tagged strings do not cast');
  isError(() => cast('string', lang('1', 'en')));
});

test('casts between numbers and booleans', () => {
  assert.deepEqual(cast('integer', decimal('-2.5')), int(-2), 'truncation');
  assert.deepEqual(cast('integer', float('-7.875')), int(-7));
  assert.deepEqual(cast('integer', double('1E0')), int(1));
  assert.deepEqual(cast('integer', double('1e20')), int('100000000000000000000'));
  isError(() => cast('integer', double('INF')));
  isError(() => cast('integer', double('NaN')));
  isError(() => cast('byte', int(200)));
  assert.deepEqual(cast('short', decimal('-1.9')), typed('-1', 'short'));
  assert.deepEqual(cast('decimal', int(1)), decimal('1.0'));
  assert.deepEqual(cast('decimal', float('1.25')), decimal('1.25'));
  assert.deepEqual(cast('decimal', double('1.1')), decimal('1.1'));
  assert.deepEqual(cast('decimal', float('0.1')), decimal('0.1'));
  isError(() => cast('decimal', double('INF')));
  assert.deepEqual(cast('double', int(1)), double('1.0E0'));
  assert.deepEqual(cast('double', decimal('-1.0')), double('-1.0E0'));
  assert.deepEqual(cast('double', float('0.1')), double('1.0000000149011612E-1'));
  assert.deepEqual(cast('float', double('0.1')), float('1.0E-1'));
  assert.deepEqual(cast('float', double('1e300')), float('INF'));
  assert.deepEqual(cast('double', TRUE), double('1.0E0'));
  assert.deepEqual(cast('decimal', FALSE), decimal('0.0'));
  assert.deepEqual(cast('integer', bool('1')), int(1));
  assert.deepEqual(cast('boolean', int(0)), FALSE);
  assert.deepEqual(cast('boolean', decimal('-1.0')), TRUE);
  assert.deepEqual(cast('boolean', double('NaN')), FALSE);
  assert.deepEqual(cast('boolean', float('1.25')), TRUE);
  assert.deepEqual(cast('boolean', bool('0')), FALSE);
  assert.deepEqual(cast('integer', int('007')), int(7), 'same-type casts canonicalise');
  isError(() => cast('dateTime', int(1)));
  isError(() => cast('dateTime', TRUE));
  isError(() => cast('integer', int('abc')), 'ill-typed sources do not cast');
});

test('casts to xsd:string use the XPath string forms', () => {
  assert.deepEqual(cast('string', iri('http://example.org/z')), str('http://example.org/z'));
  assert.deepEqual(cast('string', decimal('1.0')), str('1'));
  assert.deepEqual(cast('string', decimal('-2.50')), str('-2.5'));
  assert.deepEqual(cast('string', double('0E1')), str('0'));
  assert.deepEqual(cast('string', double('1E0')), str('1'));
  assert.deepEqual(cast('string', double('1E7')), str('1.0E7'));
  assert.deepEqual(cast('string', float('-7.875')), str('-7.875'));
  assert.deepEqual(cast('string', int('-01')), str('-1'));
  assert.deepEqual(cast('string', bool('0')), str('false'));
  assert.deepEqual(cast('string', dateTime('2002-10-10T17:00:00.500+00:00')), str('2002-10-10T17:00:00.5Z'));
  assert.deepEqual(cast('string', typed('2002-10-10', 'date')), str('2002-10-10'));
  assert.deepEqual(cast('string', custom('opaque')), str('opaque'));
  isError(() => cast('string', bnode('b')));
  assert.deepEqual(cast('dateTime', dateTime('2002-10-10T17:00:00.0Z')), dateTime('2002-10-10T17:00:00Z'));
  isError(() => cast('integer', iri('http://a')));
  isError(() => cast('integer', bnode('b')));
  isError(() => cast('double', custom('1')));
  isError(() => callFunction(`${XSD}integer`, [int(1), int(2)], context()), 'arity');
});

test('unknown functions and wrong arities are expression errors', () => {
  isError(() => callFunction('http://example.org/fn', [], context()));
  isError(() => callFunction(`${XSD}date`, [str('2010-01-01')], context()), 'not one of the §17.5 casts');
  isError(() => callFunction('NOSUCH', [], context()));
  isError(() => callFunction('toString', [], context()), 'no prototype lookups');
  isError(() => call('STRLEN'));
  isError(() => call('STRLEN', str('a'), str('b')));
  isError(() => call('REGEX', str('a')));
  assert.equal(isKnownFunction('STRLEN'), true);
  assert.equal(isKnownFunction(`${XSD}unsignedByte`), true);
  assert.equal(isKnownFunction('COALESCE'), false, 'lazy forms belong to the evaluator');
});

// ---------------------------------------------------------------------------------------------
// W3C SPARQL 1.1 function tests whose query is one function over the objects of one predicate
// (`SELECT ?s (F(?v, constants) AS ?x) WHERE { ?s :p ?v }`), evaluated here without a query
// engine: every data triple gives one row, projected onto the variables of the expected .srx.
// Terms must be the same, as in the project's strict conformance run, except where noted.

const SPARQL11_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/rdf-tests/sparql/sparql11');
const FUNCTIONS_DIR = join(SPARQL11_DIR, 'functions');
const EX = 'http://example.org/';

function xmlUnescape(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (_m, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
  );
}

type Row = Record<string, Term | undefined>;

function readSrx(file: string, directory = FUNCTIONS_DIR): { variables: string[]; rows: Row[] } {
  const xml = readFileSync(join(directory, file), 'utf8');
  const variables = [...xml.matchAll(/<variable name="([^"]+)"/g)].map((m) => m[1]);
  const rows = [...xml.matchAll(/<result>([\s\S]*?)<\/result>/g)].map((result) => {
    const row: Row = {};
    for (const [, name, body] of result[1].matchAll(/<binding name="([^"]+)">\s*([\s\S]*?)\s*<\/binding>/g)) {
      const uri = /^<uri>([\s\S]*)<\/uri>$/.exec(body);
      const blank = /^<bnode>([\s\S]*)<\/bnode>$/.exec(body);
      const lit = /^<literal(?:\s+xml:lang="([^"]*)")?(?:\s+datatype="([^"]*)")?\s*(?:\/>|>([\s\S]*)<\/literal>)$/.exec(body);
      if (uri) row[name] = iri(xmlUnescape(uri[1]));
      else if (blank) row[name] = bnode(blank[1]);
      else if (lit) {
        const value = xmlUnescape(lit[3] ?? '');
        row[name] = lit[1] ? lang(value, lit[1]) : { termType: 'Literal', value, language: '', datatype: lit[2] ?? XSD_STRING };
      } else throw new Error(`unreadable binding ${body}`);
    }
    return row;
  });
  return { variables, rows };
}

function readTriples(file: string, directory = FUNCTIONS_DIR): { subject: Term; predicate: Term; object: Term }[] {
  const toTerm = (t: { termType: string; value: string; language?: string; datatype?: { value: string } }): Term =>
    t.termType === 'Literal'
      ? { termType: 'Literal', value: t.value, language: t.language ?? '', datatype: t.language ? RDF_LANG_STRING : t.datatype!.value }
      : t.termType === 'BlankNode'
        ? bnode(t.value)
        : iri(t.value);
  return new Parser({ baseIRI: EX }).parse(readFileSync(join(directory, file), 'utf8')).map((q) => ({
    subject: toTerm(q.subject),
    predicate: toTerm(q.predicate),
    object: toTerm(q.object),
  }));
}

/**
 * The harness's strict rule (../shared/sparql-conformance): the same RDF term, ignoring only the
 * case of language tags (and xsd:string vs simple literal, which Term already merges).
 */
function sameTerm(a: Term | undefined, b: Term | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.termType !== b.termType || a.value !== b.value) return false;
  return a.termType !== 'Literal' || (b.termType === 'Literal' && a.datatype === b.datatype && a.language.toLowerCase() === b.language.toLowerCase());
}

/** Numbers of one datatype with equal values, else sameTerm. */
function sameValue(a: Term | undefined, b: Term | undefined): boolean {
  if (a?.termType === 'Literal' && b?.termType === 'Literal' && a.datatype === b.datatype && a.datatype !== XSD_STRING && a.datatype !== RDF_LANG_STRING) {
    try {
      if (applyOperator('=', [a, b]).value === 'true') return true;
    } catch {
      // not comparable: fall through to sameTerm
    }
  }
  return sameTerm(a, b);
}

interface W3cCase {
  srx: string;
  /** Directory under sparql11/, `functions` unless given. */
  directory?: string;
  data: string;
  /** Local name of the predicate under ex:, or undefined for any predicate. */
  predicate?: string;
  /** Local name of the only subject the query asks about. */
  subject?: string;
  inputVariable: string;
  /** Projected variable -> the expression over the object, as a function. */
  outputs: Record<string, (value: Term) => Term>;
  /**
   * Compare numbers by value. Only for the cast tests, whose expected lexical forms follow no
   * single rule: xsd:decimal(0) is "0" but xsd:decimal(1) is "1.0"; xsd:double("0.0") is "0E0"
   * but xsd:double(0E1) is "0.0", xsd:double("1") is "1" but xsd:double(1) is "1.0".
   */
  byValue?: boolean;
  /** A FILTER over the object: rows where it is an error or false are dropped. */
  filter?: (value: Term) => Term;
}

const fn = (name: string, ...rest: Term[]) => (value: Term) => callFunction(name, [value, ...rest], context());
const W3C_CASES: W3cCase[] = [
  ...(['ceil01:CEIL:ceil', 'floor01:FLOOR:floor', 'round01:ROUND:round'] as const).map((spec): W3cCase => {
    const [file, name, variable] = spec.split(':');
    return { srx: `${file}.srx`, data: 'data.ttl', predicate: 'num', inputVariable: 'num', outputs: { [variable]: fn(name) } };
  }),
  ...['year-01:YEAR', 'month-01:MONTH', 'day-01:DAY', 'hours-01:HOURS', 'minutes-01:MINUTES', 'seconds-01:SECONDS', 'timezone-01:TIMEZONE', 'tz-01:TZ'].map((spec): W3cCase => {
    const [file, name] = spec.split(':');
    return { srx: `${file}.srx`, data: 'data.ttl', predicate: 'date', inputVariable: 'date', outputs: { x: fn(name) } };
  }),
  ...[['', 'data.ttl'], ['-non-bmp', 'data5.ttl']].flatMap(([suffix, data]): W3cCase[] => [
    { srx: `substring01${suffix}.srx`, data, predicate: 'str', inputVariable: 'str', outputs: { substr: fn('SUBSTR', int(1), int(1)) } },
    { srx: `substring02${suffix}.srx`, data, predicate: 'str', inputVariable: 'str', outputs: { substr: fn('SUBSTR', int(2)) } },
    { srx: `ucase01${suffix}.srx`, data, predicate: 'str', inputVariable: 'str', outputs: { ustr: fn('UCASE') } },
    { srx: `lcase01${suffix}.srx`, data, predicate: 'str', inputVariable: 'str', outputs: { lstr: fn('LCASE') } },
    { srx: `encode01${suffix}.srx`, data, predicate: 'str', inputVariable: 'str', outputs: { encoded: fn('ENCODE_FOR_URI') } },
    { srx: `length01${suffix}.srx`, data, predicate: 'str', inputVariable: 'str', outputs: { len: fn('STRLEN') } },
  ]),
  { srx: 'strbefore01a.srx', data: 'data2.ttl', predicate: 'str', inputVariable: 'str', outputs: { prefix: fn('STRBEFORE', str('s')) } },
  { srx: 'strafter01a.srx', data: 'data2.ttl', predicate: 'str', inputVariable: 'str', outputs: { suffix: fn('STRAFTER', str('e')) } },
  { srx: 'replace01.srx', data: 'data3.ttl', predicate: 'str', inputVariable: 'str', outputs: { new: fn('REPLACE', str('[^a-z0-9]'), str('-')) } },
  { srx: 'replace02.srx', data: 'data3.ttl', predicate: 'str', subject: 's8', inputVariable: 'str', outputs: { new: fn('REPLACE', str('ana'), str('*')) } },
  { srx: 'replace03.srx', data: 'data3.ttl', predicate: 'str', subject: 's9', inputVariable: 'str', outputs: { new: fn('REPLACE', str('(ab)|(a)'), str('[1=$1][2=$2]')) } },
  { srx: 'strdt03-rdf11.srx', data: 'data.ttl', inputVariable: 'o', outputs: { str1: fn('STRDT', iri(XSD_STRING)) } },
  { srx: 'strlang03-rdf11.srx', data: 'data.ttl', inputVariable: 'o', outputs: { str1: fn('STRLANG', str('en-US')) } },
  ...['boolean:bool', 'decimal:decimal', 'double:double', 'float:float', 'integer:int', 'string:string'].map((spec): W3cCase => {
    const [type, file] = spec.split(':');
    return { srx: `cast-${file}.srx`, directory: 'cast', byValue: true, data: 'data.ttl', predicate: 'p', inputVariable: 'v', outputs: { [type]: (v: Term) => callFunction(`${XSD}${type}`, [v], context()) } };
  }),
  {
    srx: 'strbefore02.srx', data: 'data4.ttl', predicate: 'str', inputVariable: 'str',
    outputs: {
      bb: fn('STRBEFORE', str('b')), bbc: fn('STRBEFORE', str('bc')), bbcy: fn('STRBEFORE', lang('b', 'cy')), b: fn('STRBEFORE', str('')),
      ben: fn('STRBEFORE', lang('', 'en')), bbx: fn('STRBEFORE', typed('b', 'string')), bxyzx: fn('STRBEFORE', typed('xyz', 'string')),
    },
  },
  {
    srx: 'strafter02.srx', data: 'data4.ttl', predicate: 'str', inputVariable: 'str',
    outputs: {
      ab: fn('STRAFTER', str('b')), aab: fn('STRAFTER', str('ab')), abcy: fn('STRAFTER', lang('b', 'cy')), a: fn('STRAFTER', str('')),
      aen: fn('STRAFTER', lang('', 'en')), abx: fn('STRAFTER', typed('b', 'string')), axyzx: fn('STRAFTER', typed('xyz', 'string')),
    },
  },
  { srx: 'isnumeric01.srx', data: 'data.ttl', inputVariable: 'num', outputs: {}, filter: fn('ISNUMERIC') },
  { srx: 'abs01.srx', data: 'data.ttl', predicate: 'num', inputVariable: 'num', outputs: {}, filter: (v) => op('>=', call('ABS', v), int(2)) },
  { srx: 'contains01.srx', data: 'data.ttl', predicate: 'str', inputVariable: 'str', outputs: {}, filter: fn('CONTAINS', str('a')) },
  { srx: 'starts01.srx', data: 'data.ttl', inputVariable: 'str', outputs: {}, filter: (v) => call('STRSTARTS', call('STR', v), str('1')) },
  { srx: 'ends01.srx', data: 'data.ttl', inputVariable: 'str', outputs: {}, filter: fn('STRENDS', str('bc')) },
  ...['md5-01:MD5:data.ttl:s1', 'md5-02:MD5:data.ttl:s4', 'sha1-01:SHA1:data.ttl:s1', 'sha1-02:SHA1:hash-unicode.ttl:s8', 'sha256-01:SHA256:data.ttl:s1',
    'sha256-02:SHA256:hash-unicode.ttl:s8', 'sha384-01:SHA384:data.ttl:s1', 'sha384-02:SHA384:hash-unicode.ttl:s8', 'sha512-01:SHA512:data.ttl:s1',
    'sha512-02:SHA512:hash-unicode.ttl:s8'].map((spec): W3cCase => {
    const [file, name, data, subject] = spec.split(':');
    return { srx: `${file}.srx`, data, predicate: 'str', subject, inputVariable: 'l', outputs: { hash: fn(name) } };
  }),
];

for (const testCase of W3C_CASES) {
  const directory = join(SPARQL11_DIR, testCase.directory ?? 'functions');
  test(`W3C ${testCase.directory ?? 'functions'}/${testCase.srx}`, { skip: !existsSync(directory) && 'rdf-tests not found' }, () => {
    const expected = readSrx(testCase.srx, directory);
    assert.ok(expected.rows.length > 0);
    const actual: Row[] = readTriples(testCase.data, directory)
      .filter((t) => testCase.predicate === undefined || t.predicate.value === EX + testCase.predicate)
      .filter((t) => testCase.subject === undefined || t.subject.value === EX + testCase.subject)
      .filter((t) => {
        if (!testCase.filter) return true;
        try {
          return effectiveBooleanValue(testCase.filter(t.object));
        } catch (error) {
          if (!(error instanceof ExpressionError)) throw error;
          return false;
        }
      })
      .map((t) => {
        const row: Row = { s: t.subject, a: t.subject, p: t.predicate, [testCase.inputVariable]: t.object };
        for (const [variable, evaluate] of Object.entries(testCase.outputs)) {
          try {
            row[variable] = evaluate(t.object);
          } catch (error) {
            if (!(error instanceof ExpressionError)) throw error;
          }
        }
        return Object.fromEntries(expected.variables.map((v) => [v, row[v]]));
      });
    const same = testCase.byValue ? sameValue : sameTerm;
    const unmatched = [...actual];
    for (const want of expected.rows) {
      const index = unmatched.findIndex((got) => expected.variables.every((v) => same(got[v], want[v])));
      assert.notEqual(index, -1, `no row matches expected ${JSON.stringify(want)}; left: ${JSON.stringify(unmatched)}`);
      unmatched.splice(index, 1);
    }
    assert.deepEqual(unmatched, [], 'rows the suite does not expect');
  });
}

for (const [srx, useStr] of [['plus-1.srx', false], ['plus-2.srx', true]] as const) {
  test(`W3C functions/${srx} (?x + ?y over pairs)`, { skip: !existsSync(FUNCTIONS_DIR) && 'rdf-tests not found' }, () => {
    const triples = readTriples('data-builtin-3.ttl');
    const objectOf = (subject: Term, predicate: string) => triples.find((t) => t.subject.value === subject.value && t.predicate.value === `http://example/${predicate}`)!.object;
    const subjects = triples.filter((t) => t.predicate.value === 'http://example/p').map((t) => t.subject);
    const actual = subjects.map((s) => {
      const x = objectOf(s, 'p');
      const y = objectOf(s, 'q');
      let sum: Term | undefined;
      try {
        sum = useStr ? op('+', call('STR', x), call('STR', y)) : op('+', x, y);
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
      }
      return { x, y, sum };
    });
    // Blank node labels are the results writer's: compare them by kind only.
    const same = (a: Term | undefined, b: Term | undefined) => (a?.termType === 'BlankNode' ? b?.termType === 'BlankNode' : sameTerm(a, b));
    const unmatched = [...actual];
    for (const want of readSrx(srx).rows) {
      const index = unmatched.findIndex((got) => same(got.x, want.x) && same(got.y, want.y) && same(got.sum, want.sum));
      assert.notEqual(index, -1, `no row matches expected ${JSON.stringify(want)}`);
      unmatched.splice(index, 1);
    }
    assert.deepEqual(unmatched, []);
  });
}

test('decimal and integer operators are exact against BigInt ground truth', () => {
  const decimalText = fc
    .tuple(fc.bigInt({ min: -(10n ** 28n), max: 10n ** 28n }), fc.integer({ min: 0, max: 18 }))
    .map(([n, scale]) => ({ n, scale, text: (n < 0n ? '-' : '') + (n < 0n ? -n : n).toString().padStart(scale + 1, '0').replace(new RegExp(`(\\d{${scale}})$`), scale ? '.$1' : '$1') }));
  const valueOf = (term: Term) => {
    const [whole, fraction = ''] = term.value.replace('-', '').split('.');
    const n = BigInt(whole + fraction);
    return { n: term.value.startsWith('-') ? -n : n, scale: fraction.length };
  };
  const same = (x: { n: bigint; scale: number }, y: { n: bigint; scale: number }) => x.n * 10n ** BigInt(y.scale) === y.n * 10n ** BigInt(x.scale);
  fc.assert(
    fc.property(decimalText, decimalText, (a, b) => {
      const x = decimal(a.text);
      const y = decimal(b.text);
      const align = (p: typeof a, scale: number) => p.n * 10n ** BigInt(scale - p.scale);
      const scale = Math.max(a.scale, b.scale);
      assert.ok(same(valueOf(op('+', x, y)), { n: align(a, scale) + align(b, scale), scale }));
      assert.ok(same(valueOf(op('-', x, y)), { n: align(a, scale) - align(b, scale), scale }));
      assert.ok(same(valueOf(op('*', x, y)), { n: a.n * b.n, scale: a.scale + b.scale }));
      assert.equal(op('<', x, y).value, String(align(a, scale) < align(b, scale)));
      assert.equal(op('=', x, y).value, String(align(a, scale) === align(b, scale)));
      assert.equal((op('+', x, y) as { datatype: string }).datatype, `${XSD}decimal`);
    }),
  );
  fc.assert(
    fc.property(fc.bigInt(), fc.bigInt(), (a, b) => {
      assert.deepEqual(op('+', int(a.toString()), int(b.toString())), int((a + b).toString()));
      assert.deepEqual(op('*', int(a.toString()), int(b.toString())), int((a * b).toString()));
      assert.deepEqual(op('UMINUS', int(a.toString())), int((-a).toString()));
    }),
  );
});

test('every operator and function returns a term or throws ExpressionError, never anything else', () => {
  const lexicals = ['0', '1', '-1.5', '1E0', 'NaN', 'INF', '', 'abc', 'true', '2010-01-01T00:00:00Z', '2010-01-01T00:00:00', '24:00:00', 'P1D', '\u{1F600}', 'a.b*c', '(', '$1', '\\'];
  const types = ['integer', 'decimal', 'double', 'float', 'byte', 'unsignedLong', 'boolean', 'string', 'dateTime', 'date', 'time', 'dayTimeDuration'];
  const term: fc.Arbitrary<Term> = fc.oneof(
    fc.constantFrom(iri('http://a/b'), iri('rel'), bnode('b')),
    fc.tuple(fc.constantFrom(...lexicals), fc.constantFrom(...types)).map(([v, t]) => typed(v, t)),
    fc.tuple(fc.constantFrom(...lexicals), fc.constantFrom('en', 'fr')).map(([v, l]) => lang(v, l)),
    fc.constantFrom(...lexicals).map((v) => custom(v)),
    fc.string({ maxLength: 6 }).map(str),
  );
  const names = [
    'STR', 'LANG', 'LANGMATCHES', 'DATATYPE', 'IRI', 'URI', 'BNODE', 'RAND', 'ABS', 'CEIL', 'FLOOR', 'ROUND', 'CONCAT', 'SUBSTR', 'STRLEN', 'REPLACE',
    'UCASE', 'LCASE', 'ENCODE_FOR_URI', 'CONTAINS', 'STRSTARTS', 'STRENDS', 'STRBEFORE', 'STRAFTER', 'YEAR', 'MONTH', 'DAY', 'HOURS', 'MINUTES', 'SECONDS',
    'TIMEZONE', 'TZ', 'NOW', 'UUID', 'STRUUID', 'MD5', 'SHA1', 'SHA256', 'SHA384', 'SHA512', 'STRLANG', 'STRDT', 'SAMETERM', 'ISIRI', 'ISURI', 'ISBLANK',
    'ISLITERAL', 'ISNUMERIC', 'REGEX', ...types.filter((t) => !['date', 'time', 'dayTimeDuration'].includes(t)).map((t) => `${XSD}${t}`),
  ];
  const operators: Operator[] = ['=', '!=', '<', '>', '<=', '>=', '+', '-', '*', '/', 'UMINUS', 'UPLUS', '!'];
  const wellFormed = (t: Term) => {
    assert.ok(['NamedNode', 'BlankNode', 'Literal'].includes(t.termType));
    if (t.termType === 'Literal') assert.equal(t.language !== '', t.datatype === RDF_LANG_STRING);
  };
  fc.assert(
    fc.property(fc.constantFrom(...names), fc.array(term, { maxLength: 4 }), (name, args) => {
      try {
        wellFormed(callFunction(name, args, context({ baseIri: 'http://base/x' })));
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
      }
    }),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(fc.constantFrom(...operators), fc.array(term, { minLength: 1, maxLength: 2 }), (operator, args) => {
      try {
        wellFormed(applyOperator(operator, args));
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
      }
      try {
        effectiveBooleanValue(args[0]);
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
      }
    }),
    { numRuns: 5000 },
  );
});
