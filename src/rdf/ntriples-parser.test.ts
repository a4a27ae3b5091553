import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NTriplesParser } from './ntriples-parser.ts';
import { RdfSyntaxError } from './syntax-error.ts';
import { literalKey, iriKey } from './term-key.ts';

type Row = [string, string, string, string | undefined];

function parse(chunks: string[], quads = false, rename: (label: string) => string = (l) => l): Row[] {
  const rows: Row[] = [];
  const parser = new NTriplesParser(quads, (s, p, o, g) => rows.push([s, p, o, g]), rename);
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  assert.equal(parser.quadCount, rows.length);
  return rows;
}

function parseError(text: string, quads = false): RdfSyntaxError {
  try {
    parse([text], quads);
  } catch (error) {
    assert.ok(error instanceof RdfSyntaxError, `expected an RdfSyntaxError, got ${String(error)}`);
    return error;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

const A = '<http://ex.org/a>';
const B = '<http://ex.org/b>';
const C = '<http://ex.org/c>';
const G = '<http://ex.org/g>';
const XSD = 'http://www.w3.org/2001/XMLSchema#';

test('parses triples, skipping comments and blank lines, with or without a final newline', () => {
  const text = `# a comment\n\n   \n${A} ${B} ${C} .\n\t# indented comment\n${A}\t${B}  "x" . # trailing comment\n${A} ${B} _:b1 .`;
  assert.deepEqual(parse([text]), [
    [A, B, C, undefined],
    [A, B, '"x"', undefined],
    [A, B, '_:b1', undefined],
  ]);
  assert.deepEqual(parse(['']), []);
  assert.deepEqual(parse(['# only a comment']), []);
  assert.deepEqual(parse([`${A} ${B} _:b1.\n`]), [[A, B, '_:b1', undefined]], 'a blank node may touch the dot');
});

test('CRLF, lone CR and LF line ends all work', () => {
  const lines = [`${A} ${B} "1" .`, `${A} ${B} "2" .`, `${A} ${B} "3" .`];
  const expected = ['"1"', '"2"', '"3"'].map((o): Row => [A, B, o, undefined]);
  for (const eol of ['\n', '\r\n', '\r']) {
    assert.deepEqual(parse([lines.join(eol) + eol]), expected, JSON.stringify(eol));
    assert.deepEqual(parse([lines.join(eol)]), expected, `${JSON.stringify(eol)} without a final line end`);
  }
});

test('N-Quads: graph names are IRIs or blank nodes; N-Triples rejects them', () => {
  const text = `${A} ${B} ${C} ${G} .\n${A} ${B} "x"@en _:g .\n${A} ${B} ${C} .\n`;
  assert.deepEqual(parse([text], true), [
    [A, B, C, G],
    [A, B, '"x"@en', '_:g'],
    [A, B, C, undefined],
  ]);
  const error = parseError(`${A} ${B} ${C} ${G} .\n`, false);
  assert.equal(error.line, 1);
  assert.equal(error.column, 55);
  const literalGraph = parseError(`${A} ${B} ${C} "g" .\n`, true);
  assert.deepEqual([literalGraph.line, literalGraph.column], [1, 55]);
});

test('blank node labels go through the renamer', () => {
  const rows = parse([`_:x ${B} _:y .\n_:x ${B} _:x.y .\n`], true, (label) => `fresh7_${label}`);
  assert.deepEqual(rows, [
    ['_:fresh7_x', B, '_:fresh7_y', undefined],
    ['_:fresh7_x', B, '_:fresh7_x.y', undefined],
  ]);
});

test('literals become canonical keys: escapes decoded and re-escaped, xsd:string dropped, language lower-cased', () => {
  const cases: Array<[string, string]> = [
    ['"plain"', '"plain"'],
    ['"tab\\there"', '"tab\there"'],
    ['"q\\"uote"', '"q\\"uote"'],
    ["\"apos\\'\"", '"apos\'"'],
    ['"nl\\nline\\rcr"', '"nl\\nline\\rcr"'],
    ['"back\\\\slash"', '"back\\\\slash"'],
    ['"\\u00E9t\\u00e9 \\U0001F600"', '"été 😀"'],
    ['"\\u0022"', '"\\""'],
    ['"\\b\\f"', '"\b\f"'],
    ['"raw é 😀 \t"', '"raw é 😀 \t"'],
    ['"x"@EN-Us', '"x"@en-us'],
    [`"x"^^<${XSD}string>`, '"x"'],
    [`"x"^^<http://www.w3.org/2001/XMLSchema\\u0023string>`, '"x"'],
    [`"01"^^<${XSD}integer>`, `"01"^^<${XSD}integer>`],
    [`" 1.0"^^<${XSD}decimal>`, `" 1.0"^^<${XSD}decimal>`],
    ['""', '""'],
  ];
  for (const [written, key] of cases) {
    assert.deepEqual(parse([`${A} ${B} ${written} .\n`]), [[A, B, key, undefined]], written);
  }
});

test('IRIs: \\u escapes are decoded and the key is canonical', () => {
  assert.deepEqual(parse(['<http://ex.org/\\u0041\\U00000042> <http://ex.org/\\u00e9> <http://ex.org/c> .\n']), [
    ['<http://ex.org/AB>', '<http://ex.org/é>', C, undefined],
  ]);
  // An escaped character that is not allowed raw stays escaped in the key.
  assert.throws(() => parse(['<http://ex.org/\\u0020> <http://ex.org/b> <http://ex.org/c> .\n']), RdfSyntaxError);
});

test('every split of a document into two or three chunks gives the same quads', () => {
  const doc =
    `# head\r\n${A} ${B} "é😀\\u00e9\\n" ${G} .\r\n\r\n_:b1 ${B} "x"@en .\n` +
    `${A} ${B} "1"^^<${XSD}integer> _:g . # c\n${A} ${B} ${C} .`;
  const whole = parse([doc], true);
  assert.equal(whole.length, 4);
  for (let i = 0; i <= doc.length; i++) {
    assert.deepEqual(parse([doc.slice(0, i), doc.slice(i)], true), whole, `split at ${i}`);
  }
  for (let i = 0; i <= doc.length; i += 3) {
    for (let j = i; j <= doc.length; j += 5) {
      assert.deepEqual(parse([doc.slice(0, i), doc.slice(i, j), doc.slice(j)], true), whole, `split at ${i}, ${j}`);
    }
  }
  const oneByOne = [...doc].map((c) => c);
  assert.deepEqual(parse(oneByOne, true), whole, 'one character per chunk');
});

test('a syntax error has the same line and column however the input is chunked', () => {
  const doc = `${A} ${B} ${C} .\r\n# c\r\n${A} ${B} "é😀" ${C} .\r\n`;
  const expected = parseError(doc, false);
  assert.deepEqual([expected.line, expected.column], [3, 42]);
  for (let i = 0; i <= doc.length; i++) {
    try {
      parse([doc.slice(0, i), doc.slice(i)]);
      assert.fail(`no error with a split at ${i}`);
    } catch (error) {
      assert.ok(error instanceof RdfSyntaxError);
      assert.deepEqual([error.line, error.column], [3, 42], `split at ${i}`);
    }
  }
});

test('malformed statements fail with the exact line and column of the first bad character', () => {
  const cases: Array<[string, number, number, RegExp?]> = [
    // missing final dot: points just after the object
    [`${A} ${B} ${C}\n`, 1, 54, /"\."/],
    // relative IRI
    [`${A} ${B} ${C} .\n<a> ${B} ${C} .\n`, 2, 2, /relative/],
    // predicate is not an IRI
    [`${A} _:p ${C} .\n`, 1, 19, /predicate/],
    // literal as subject
    [`\n\n"s" ${B} ${C} .\n`, 3, 1, /subject/],
    // unterminated literal
    [`${A} ${B} "open .\n`, 1, 37],
    // bad escape
    [`${A} ${B} "a\\qb" .\n`, 1, 39, /escape/],
    // short \u escape
    [`${A} ${B} "a\\u12" .\n`, 1, 39, /escape/],
    // surrogate escape
    [`${A} ${B} "\\uD800" .\n`, 1, 38],
    // empty language tag
    [`${A} ${B} "x"@ .\n`, 1, 41, /language/],
    // datatype without <>
    [`${A} ${B} "x"^^xsd:int .\n`, 1, 40, /datatype/],
    // rdf:langString without a tag
    [`${A} ${B} "x"^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#langString> .\n`, 1, 42],
    // space inside an IRI: the column of the space
    [`${A} ${B} <http://ex.org/c d> .\n`, 1, 53, /not allowed/],
    // unterminated IRI
    [`${A} ${B} <http://ex.org/c .\n`, 1, 37, /unterminated/],
    // bad blank node label (points at the label)
    [`${A} ${B} _:.x .\n`, 1, 39, /blank/],
    // text after the dot
    [`${A} ${B} ${C} . junk\n`, 1, 57, /after/],
    // two objects
    [`${A} ${B} "x" "y" .\n`, 1, 41],
    // object missing at end of input
    [`${A} ${B}`, 1, 36, /object/],
    // raw CR inside a literal (the line ends at LF only after it)
    [`${A} ${B} "x\ry" .\n`, 1, 39, /carriage return/],
    // columns count code points, not UTF-16 units
    [`${A} ${B} "😀😀" x .\n`, 1, 42],
    // error on a later line after CRLF lines
    [`${A} ${B} ${C} .\r\n${A} ${B} ${C} .\r\n${A} ${B} ${C} ;\r\n`, 3, 55],
  ];
  for (const [text, line, column, message] of cases) {
    const error = parseError(text);
    assert.deepEqual([error.line, error.column], [line, column], `${JSON.stringify(text)}: ${error.message}`);
    if (message) assert.match(error.message, message);
    assert.match(error.message, new RegExp(`\\(line ${line}, column ${column}\\)$`));
  }
});

test('property: any literal key written into a line parses back to the same key', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.option(fc.stringMatching(/^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8}){0,2}$/), { nil: undefined }),
      (lexical, language) => {
        const key = literalKey(lexical, language);
        const rows = parse([`${A} ${B} ${key} .\n`]);
        assert.deepEqual(rows, [[A, B, key, undefined]]);
      },
    ),
    { seed: 20261129, numRuns: 400 },
  );
});

test('property: IRI keys (backslashes escaped as \\u005C) parse back to the same key', () => {
  // Characters N-Triples forbids in an IRI even when escaped are left out; they are tested above.
  const iriChar = fc.string({ unit: 'binary', maxLength: 30 }).map((s) => s.replace(/[\u0000-\u0020<>"{}|^`]/g, ''));
  fc.assert(
    fc.property(iriChar, (path) => {
      const key = iriKey(`http://ex.org/${path}`);
      assert.deepEqual(parse([`${key} ${B} ${C} .\n`]), [[key, B, C, undefined]]);
    }),
    { seed: 7, numRuns: 300 },
  );
});
