// The fast INSERT/DELETE DATA reader must agree with the full path (sparqljs, then dataOperations)
// on every text it accepts, and accept nothing sparqljs rejects. The full path is the oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fastDataOperations } from './fast-data-update.ts';
import { dataOperations, prepareUpdate, type DataOperation } from './update-engine.ts';

const XSD = 'http://www.w3.org/2001/XMLSchema#';
const RDF_LANG_STRING = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString';

/** The full path's answer, or 'rejected' when sparqljs (or prepareUpdate) refuses the text. */
function fullPath(text: string): DataOperation[] | undefined | 'rejected' {
  let update;
  try {
    update = prepareUpdate(text);
  } catch {
    return 'rejected';
  }
  return dataOperations(update);
}

test('reads GRAPH blocks in the order sparqljs lists them: triples before the first GRAPH come last', () => {
  const text =
    'INSERT DATA { <urn:a> <urn:p> <urn:o> . GRAPH <urn:g> { <urn:b> <urn:p> "1" } <urn:c> <urn:p> "2" GRAPH <urn:h> {} . <urn:d> <urn:p> "3" } ;' +
    ' delete data{graph<urn:g>{<urn:b><urn:p>"1".}};';
  const expected: DataOperation[] = [
    {
      kind: 'insert',
      quads: [
        ['<urn:b>', '<urn:p>', '"1"', '<urn:g>'],
        ['<urn:c>', '<urn:p>', '"2"', null],
        ['<urn:d>', '<urn:p>', '"3"', null],
        ['<urn:a>', '<urn:p>', '<urn:o>', null],
      ],
    },
    { kind: 'delete', quads: [['<urn:b>', '<urn:p>', '"1"', '<urn:g>']] },
  ];
  assert.deepEqual(fullPath(text), expected);
  assert.deepEqual(fastDataOperations(text), expected);
});

test('literal keys are canonical, as the full path makes them', () => {
  const text =
    `INSERT DATA { <urn:s> <urn:p> "a\\"b\\\\c\\td\\ne\\rf" . <urn:s> <urn:p> "x"^^<${XSD}string> . <urn:s> <urn:p> "x"@EN-Us .` +
    ` <urn:s> <urn:p> "01"^^<${XSD}integer> . <urn:s> <urn:p> "x"^^<${RDF_LANG_STRING}> . <urn:s> <urn:p> "it's # not a comment" }`;
  const fast = fastDataOperations(text);
  assert.deepEqual(fast, fullPath(text));
  assert.deepEqual(
    fast?.[0].quads.map((q) => q[2]),
    ['"a\\"b\\\\c\td\\ne\\rf"', '"x"', '"x"@en-us', `"01"^^<${XSD}integer>`, '"x"', '"it\'s # not a comment"'],
  );
});

test('anything outside the subset is left to the full parser', () => {
  const outside = [
    '',
    '  ;',
    'INSERT DATA { <urn:s> <urn:p> "x" } # a comment',
    'PREFIX ex: <http://ex.org/> INSERT DATA { ex:s ex:p "x" }',
    'BASE <http://ex.org/> INSERT DATA { <s> <p> "x" }',
    'INSERT DATA { <s> <urn:p> "x" }',
    'INSERT DATA { _:b <urn:p> "x" }',
    'INSERT DATA { <urn:s> a <urn:C> }',
    'INSERT DATA { <urn:s> <urn:p> 1 }',
    'INSERT DATA { <urn:s> <urn:p> true }',
    "INSERT DATA { <urn:s> <urn:p> 'x' }",
    'INSERT DATA { <urn:s> <urn:p> """x""" }',
    'INSERT DATA { <urn:s> <urn:p> "\\u0041" }',
    'INSERT DATA { <urn:s> <urn:p> "\\b" }',
    'INSERT DATA { <urn:s> <urn:p> "x" ; <urn:q> "y" }',
    'INSERT DATA { <urn:s> <urn:p> "x" , "y" }',
    'INSERT DATA { <urn:s> <urn:p> "x" @en }',
    'INSERT DATA { <urn:s> <urn:p> "x"@en- }',
    'INSERT DATA { <urn:s\\u0041> <urn:p> "x" }',
    'INSERT DATA {\u00a0<urn:s> <urn:p> "x" }',
    'INSERT DATA { <urn:s> <urn:p> "\ud800" }',
    'INSERT DATA { ?s <urn:p> "x" }',
    'INSERT { <urn:s> <urn:p> "x" } WHERE {}',
    'INSERT DATA { <urn:s> <urn:p> "x" } ;;',
    'INSERT DATA { <urn:s> <urn:p> "x" } INSERT DATA {}',
    'INSERTDATA { <urn:s> <urn:p> "x" }',
    'INSERT DATA { <urn:s> <urn:p> "x" . . }',
    'INSERT DATA { . <urn:s> <urn:p> "x" }',
    'INSERT DATA { GRAPH <urn:g> { . } }',
    'INSERT DATA { GRAPH <urn:g> { GRAPH <urn:h> {} } }',
    'SELECT * WHERE {}',
  ];
  for (const text of outside) assert.equal(fastDataOperations(text), undefined, JSON.stringify(text));
});

// ---- Generators for the accepted subset -------------------------------------------------------

const codePoint = (excluded: (c: number) => boolean) =>
  fc
    .integer({ min: 0, max: 0x10ffff })
    .filter((c) => (c < 0xd800 || c > 0xdfff) && !excluded(c))
    .map((c) => String.fromCodePoint(c));

const IRI_FORBIDDEN = new Set([...'<>"{}|^`\\'].map((c) => c.charCodeAt(0)));
const iriCharacter = fc.oneof(
  fc.constantFrom(...'azAZ09-._~:/?#[]@!$&\'()*+,;=%'.split(''), 'é', '\u00a0', '\u2028', '\ufeff', '\u{1F600}', '\u{10FFFD}'),
  codePoint((c) => c <= 0x20 || IRI_FORBIDDEN.has(c)),
);
const iri = fc
  .tuple(fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9+.-]{0,6}$/), fc.string({ unit: iriCharacter, maxLength: 12 }))
  .map(([scheme, rest]) => `<${scheme}:${rest}>`);

const stringUnit = fc.oneof(
  fc.constantFrom('\\t', '\\n', '\\r', '\\"', '\\\\'),
  fc.constantFrom("'", '#', '{', '}', '.', ';', '<', '>', '@', '^', '\t', '\u0000', ' ', '_:b', '?x', '\\\\u0041', 'é', '\u{1F600}', '\u2028', '\ufeff'),
  codePoint((c) => c === 0x22 || c === 0x5c || c === 0x0a || c === 0x0d),
);
const string = fc.string({ unit: stringUnit, maxLength: 10 }).map((body) => `"${body}"`);
const language = fc
  .tuple(fc.stringMatching(/^[a-zA-Z]{1,8}$/), fc.array(fc.stringMatching(/^[a-zA-Z0-9]{1,8}$/), { maxLength: 3 }))
  .map(([primary, subtags]) => [primary, ...subtags].join('-'));
const datatype = fc.oneof(iri, fc.constantFrom(`<${XSD}string>`, `<${XSD}integer>`, `<${RDF_LANG_STRING}>`));
const object = fc.oneof(
  iri,
  string,
  fc.tuple(string, language).map(([s, l]) => `${s}@${l}`),
  fc.tuple(string, datatype).map(([s, d]) => `${s}^^${d}`),
);

const whitespace = (minLength: number) => fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r'), minLength, maxLength: 3 });
const anyCase = (word: string) =>
  fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((upper) => [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));

const triple = fc.tuple(iri, whitespace(0), iri, whitespace(0), object).map((parts) => parts.join(''));

/** Items joined the way SPARQL's Quads and TriplesTemplate allow: '.' between two triples, optional elsewhere. */
function joinItems(items: Array<{ text: string; isTriple: boolean }>, separators: Array<[string, boolean, string]>): string {
  let out = '';
  items.forEach((item, i) => {
    out += item.text;
    const next = items[i + 1];
    const [before, dot, after] = separators[i];
    const needsDot = next !== undefined && item.isTriple && next.isTriple;
    // A language tag would run on into a following keyword.
    const needsSpace = next !== undefined && !next.isTriple && /@[A-Za-z0-9-]+$/.test(item.text);
    out += dot || needsDot ? `${before}.${after}` : needsSpace ? ` ${before}` : before;
  });
  return out;
}

const separators = fc.array(fc.tuple(whitespace(0), fc.boolean(), whitespace(0)), { minLength: 6, maxLength: 6 });
const graphBlock = fc
  .tuple(anyCase('graph'), whitespace(0), iri, whitespace(0), fc.array(triple, { maxLength: 3 }), separators, whitespace(0))
  .map(([keyword, ws1, name, ws2, triples, seps, ws3]) => `${keyword}${ws1}${name}${ws2}{${ws3}${joinItems(triples.map((text) => ({ text, isTriple: true })), seps)}}`);
const item = fc.oneof(
  { arbitrary: triple.map((text) => ({ text, isTriple: true })), weight: 3 },
  { arbitrary: graphBlock.map((text) => ({ text, isTriple: false })), weight: 1 },
);
const operation = fc
  .tuple(fc.oneof(anyCase('insert'), anyCase('delete')), whitespace(1), anyCase('data'), whitespace(0), whitespace(0), fc.array(item, { maxLength: 5 }), separators)
  .map(([keyword, ws1, data, ws2, ws3, items, seps]) => `${keyword}${ws1}${data}${ws2}{${ws3}${joinItems(items, seps)}}`);
const update = fc
  .tuple(whitespace(0), fc.array(fc.tuple(operation, whitespace(0), whitespace(0)), { minLength: 1, maxLength: 4 }), fc.boolean(), whitespace(0))
  .map(([lead, operations, trailingSemicolon, tail]) => {
    let text = lead;
    operations.forEach(([op, before, after], i) => {
      text += op;
      if (i < operations.length - 1 || trailingSemicolon) text += `${before};${after}`;
    });
    return text + tail;
  });

test('property: inside the subset, the fast path returns exactly what the full path returns', () => {
  fc.assert(
    fc.property(update, (text) => {
      const expected = fullPath(text);
      assert.notEqual(expected, 'rejected', `sparqljs rejected a generated text: ${JSON.stringify(text)}`);
      const fast = fastDataOperations(text);
      assert.notEqual(fast, undefined, `fell back on ${JSON.stringify(text)}`);
      assert.deepEqual(fast, expected, JSON.stringify(text));
    }),
    { seed: 20260711, numRuns: 1500 },
  );
});

// ---- Near misses ------------------------------------------------------------------------------

const SNIPPETS = [
  '#', '# comment\n', "'", "'x'", '"""', "'''", '"', '\\', '\\u0041', '\\U0001F600', '\\b', '\\f', "\\'", '_:b', '[]', '()', '?x', '$x',
  'PREFIX ex: <http://ex.org/> ', 'BASE <http://ex.org/> ', 'ex:p', ':', ' a ', ',', ';', ';;', '{', '}', '.', '..', '<', '>', '<<', '>>',
  '`', '|', '<rel>', '<a b>', '<x:y', 'x:y>', '@', '@en-', '@-en', '@1', '@en', '^', '^^', '^^<urn:d>', '1', '1.5', 'true', 'GRAPH', 'GRAPH <urn:g> {',
  'INSERT', 'DATA', 'WHERE', 'DELETE', 'INSERT DATA {}', ' ', '\n', '\u00a0', '\ufeff', '\u2028', '\ud800', '\udc00', 'ſ', 'ı', '\u212a',
];
const mutation = fc.record({
  kind: fc.constantFrom('insert', 'delete', 'replace', 'at-boundary'),
  at: fc.nat(),
  length: fc.integer({ min: 1, max: 3 }),
  snippet: fc.constantFrom(...SNIPPETS),
});

/** Where tokens meet: a snippet inserted just before or after one of these hits the interesting cases. */
const BOUNDARY = /[{}.;<>"@^:]/g;

function mutate(text: string, mutations: Array<{ kind: string; at: number; length: number; snippet: string }>): string {
  for (const m of mutations) {
    let at = m.at % (text.length + 1);
    if (m.kind === 'at-boundary') {
      const boundaries = [...text.matchAll(BOUNDARY)].map((match) => match.index);
      if (boundaries.length > 0) at = boundaries[m.at % boundaries.length] + (m.at % 2);
      text = text.slice(0, at) + m.snippet + text.slice(at);
    } else if (m.kind === 'insert') text = text.slice(0, at) + m.snippet + text.slice(at);
    else if (m.kind === 'delete') text = text.slice(0, at) + text.slice(at + m.length);
    else text = text.slice(0, at) + m.snippet + text.slice(at + m.length);
  }
  return text;
}

test('property: on near misses, whatever the fast path accepts the full path accepts identically', (t) => {
  let accepted = 0;
  let runs = 0;
  fc.assert(
    fc.property(update, fc.array(mutation, { minLength: 1, maxLength: 3 }), (base, mutations) => {
      runs++;
      const text = mutate(base, mutations);
      const fast = fastDataOperations(text);
      if (fast === undefined) return;
      accepted++;
      const expected = fullPath(text);
      assert.notEqual(expected, 'rejected', `the fast path accepted what sparqljs rejects: ${JSON.stringify(text)}`);
      assert.deepEqual(fast, expected, JSON.stringify(text));
    }),
    { seed: 424243, numRuns: 4000 },
  );
  t.diagnostic(`near misses: the fast path accepted ${accepted} of ${runs}, each equal to the full path`);
});

test('diagnostic: microseconds per parse of a one-triple INSERT DATA', (t) => {
  const text = 'INSERT DATA { <urn:b:1:2> <urn:p> "2" }';
  assert.deepEqual(fastDataOperations(text), dataOperations(prepareUpdate(text)));
  const time = (iterations: number, parse: () => unknown): number => {
    for (let i = 0; i < Math.min(iterations, 2000); i++) parse();
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) parse();
    return Number(process.hrtime.bigint() - started) / 1000 / iterations;
  };
  const fastMicroseconds = time(200_000, () => fastDataOperations(text));
  const fullMicroseconds = time(10_000, () => dataOperations(prepareUpdate(text)));
  t.diagnostic(`fast path ${fastMicroseconds.toFixed(2)} µs/parse, sparqljs + dataOperations ${fullMicroseconds.toFixed(2)} µs/parse (${(fullMicroseconds / fastMicroseconds).toFixed(0)}x)`);
});
