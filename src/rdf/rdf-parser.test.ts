import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRdfParser } from './rdf-parser.ts';
import { RdfSyntaxError } from './syntax-error.ts';
import type { RdfFormat } from './media-types.ts';

const XSD = 'http://www.w3.org/2001/XMLSchema#';
const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';

type Row = [string, string, string, string | undefined];

function parse(format: RdfFormat, chunks: string[], options: { baseIri?: string; rename?: (label: string) => string } = {}): Row[] {
  const rows: Row[] = [];
  const parser = createRdfParser({
    format,
    baseIri: options.baseIri,
    renameBlank: options.rename ?? ((label) => label),
    sink: (s, p, o, g) => rows.push([s, p, o, g]),
  });
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  assert.equal(parser.quadCount, rows.length);
  return rows;
}

/** Blank node labels replaced by _:0, _:1, ... in order of first appearance (n3 picks its own). */
function normalizeBlanks(rows: Row[]): string[] {
  const names = new Map<string, string>();
  const rename = (key: string | undefined) => {
    if (key === undefined || !key.startsWith('_:')) return key;
    if (!names.has(key)) names.set(key, `_:${names.size}`);
    return names.get(key);
  };
  return rows.map((row) => row.map(rename).filter((term) => term !== undefined).join(' '));
}

/** RDF/XML reports an unclosed element only when end()'s promise settles. */
async function parseAsync(format: RdfFormat, chunks: string[]): Promise<Row[]> {
  const rows: Row[] = [];
  const parser = createRdfParser({ format, baseIri: 'http://base.example/', renameBlank: (label) => label, sink: (s, p, o, g) => rows.push([s, p, o, g]) });
  for (const chunk of chunks) parser.push(chunk);
  await parser.end();
  return rows;
}

function syntaxError(format: RdfFormat, chunks: string[]): RdfSyntaxError {
  try {
    parse(format, chunks, { baseIri: 'http://base.example/' });
  } catch (error) {
    assert.ok(error instanceof RdfSyntaxError, `expected an RdfSyntaxError, got ${String(error)}`);
    return error;
  }
  assert.fail(`no error for ${JSON.stringify(chunks.join(''))}`);
}

const TURTLE = `@prefix ex: <http://e.org/> .
@base <http://b.org/> .
# comment
ex:a ex:b "x\\u00e9", 12, -3.5e2, true, "01"^^<${XSD}integer>, "s"^^<${XSD}string> ;
  ex:c [ ex:d "q"@EN-gb ] , <rel> .
_:b1 ex:b ( 1 "two" ) .
`;

test('Turtle: terms become canonical keys (xsd:string dropped, language lower-cased, lexical forms kept)', () => {
  const rows = normalizeBlanks(parse('turtle', [TURTLE]));
  assert.deepEqual(rows, [
    '<http://e.org/a> <http://e.org/b> "xé"',
    `<http://e.org/a> <http://e.org/b> "12"^^<${XSD}integer>`,
    `<http://e.org/a> <http://e.org/b> "-3.5e2"^^<${XSD}double>`,
    `<http://e.org/a> <http://e.org/b> "true"^^<${XSD}boolean>`,
    `<http://e.org/a> <http://e.org/b> "01"^^<${XSD}integer>`,
    '<http://e.org/a> <http://e.org/b> "s"',
    '_:0 <http://e.org/d> "q"@en-gb',
    '<http://e.org/a> <http://e.org/c> _:0',
    '<http://e.org/a> <http://e.org/c> <http://b.org/rel>',
    `_:1 <${RDF}first> "1"^^<${XSD}integer>`,
    `_:1 <${RDF}rest> _:2`,
    `_:2 <${RDF}first> "two"`,
    `_:2 <${RDF}rest> <${RDF}nil>`,
    '_:3 <http://e.org/b> _:1',
  ]);
});

test('Turtle: relative IRIs resolve against baseIri; blank nodes go through the renamer', () => {
  const rows = parse('turtle', ['<a> <p> _:x, [] .\n'], { baseIri: 'http://g.example/graph/', rename: (label) => `F_${label}` });
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[0].slice(0, 2), ['<http://g.example/graph/a>', '<http://g.example/graph/p>']);
  for (const row of rows) assert.match(row[2], /^_:F_/);
  assert.notEqual(rows[0][2], rows[1][2]);
});

test('TriG: graphs are keys, the default graph is undefined', () => {
  const rows = normalizeBlanks(parse('trig', ['@prefix ex: <http://e.org/> .\nex:g { ex:a ex:b ex:c . }\nex:a ex:b "d" .\n_:g { ex:a ex:b _:x }\n']));
  assert.deepEqual(rows, [
    '<http://e.org/a> <http://e.org/b> <http://e.org/c> <http://e.org/g>',
    '<http://e.org/a> <http://e.org/b> "d"',
    '<http://e.org/a> <http://e.org/b> _:0 _:1',
  ]);
});

test('N-Triples and N-Quads go through the same interface', () => {
  assert.deepEqual(parse('n-triples', ['<http://a.org/s> <http://a.org/p> "o"@EN .\n']), [['<http://a.org/s>', '<http://a.org/p>', '"o"@en', undefined]]);
  assert.deepEqual(parse('n-quads', ['<http://a.org/s> <http://a.org/p> "o" <http://a.org/g> .\n']), [['<http://a.org/s>', '<http://a.org/p>', '"o"', '<http://a.org/g>']]);
  assert.throws(() => parse('n-triples', ['<http://a.org/s> <http://a.org/p> "o" <http://a.org/g> .\n']), RdfSyntaxError);
});

test('Turtle and TriG: every split into two chunks gives the same quads', () => {
  const trig = '@prefix ex: <http://e.org/> .\nex:g { ex:a ex:b """long "string" """, \'single\', 42 ; ex:c ex:d . }\r\n{ ex:a ex:b """multi\nline""" . }\n';
  for (const [format, doc] of [['turtle', TURTLE], ['trig', trig]] as const) {
    const whole = normalizeBlanks(parse(format, [doc]));
    assert.ok(whole.length > 0);
    for (let i = 0; i <= doc.length; i++) {
      assert.deepEqual(normalizeBlanks(parse(format, [doc.slice(0, i), doc.slice(i)])), whole, `${format} split at ${i}`);
    }
  }
});

const MALFORMED: Array<{ name: string; format: RdfFormat; text: string; line: number; column: number }> = [
  { name: 'missing dot before the next subject', format: 'turtle', text: '@prefix ex: <http://e.org/> .\nex:a ex:b ex:c .\n  ex:a ex:b ex:c ex:d .\n', line: 3, column: 18 },
  { name: 'stray ] after ;;', format: 'turtle', text: '@prefix ex: <http://e.org/> .\nex:a ex:b ex:c .\n  ex:a ex:b ex:c ;; ] .\n', line: 3, column: 21 },
  { name: 'unterminated string', format: 'turtle', text: '@prefix ex: <http://e.org/> .\nex:a ex:b ex:c .\n  ex:a ex:b "x .\n', line: 3, column: 13 },
  { name: 'undefined prefix', format: 'turtle', text: '@prefix ex: <http://e.org/> .\nex:a ex:b ex:c .\n   foo:a ex:b ex:c .\n', line: 3, column: 4 },
  { name: 'bad token', format: 'turtle', text: '<http://a> <http://b> <http://c> .\n<http://a> <http://b> @@ .\n', line: 2, column: 23 },
  { name: 'empty language tag', format: 'turtle', text: '<http://a> <http://b> <http://c> .\n<http://a> <http://b> "x"@ .\n', line: 2, column: 26 },
  { name: 'space in an IRI', format: 'turtle', text: '<http://a> <http://b> <http://c> .\n<http://a> <http://b> <http://c d> .\n', line: 2, column: 23 },
  { name: 'two objects without a comma', format: 'turtle', text: '@prefix : <http://e/> .\n:a :b :c .\n:a :b 1 2 .\n', line: 3, column: 9 },
  { name: 'CRLF line ends', format: 'turtle', text: '<http://a> <http://b> "x" .\r\n<http://a> <http://b> "y" ]\r\n', line: 2, column: 27 },
  { name: 'graph closing in Turtle', format: 'turtle', text: '<a> <b> <c> .\n<a> <b> <c> }\n', line: 2, column: 13 },
  { name: 'missing dot inside a TriG graph', format: 'trig', text: '@prefix ex: <http://e.org/> .\nex:g { ex:a ex:b ex:c . }\n  ex:g2 { ex:a ex:b ex:c ex:d . }\n', line: 3, column: 26 },
  { name: 'unclosed TriG graph', format: 'trig', text: '<g> { <a> <b> <c> . \n', line: 2, column: 1 },
];

test('Turtle/TriG syntax errors carry the line and column of the offending token', () => {
  for (const { name, format, text, line, column } of MALFORMED) {
    const error = syntaxError(format, [text]);
    assert.deepEqual([error.line, error.column], [line, column], `${name}: ${error.message}`);
    assert.match(error.message, new RegExp(`\\(line ${line}, column ${column}\\)$`), name);
    assert.doesNotMatch(error.message, / on line \d+ \(/, `${name}: n3's own "on line" is stripped`);
  }
});

test('Turtle/TriG error positions do not depend on how the text is chunked', () => {
  for (const { name, format, text, line, column } of MALFORMED) {
    for (let i = 0; i <= text.length; i++) {
      const error = syntaxError(format, [text.slice(0, i), text.slice(i)]);
      assert.deepEqual([error.line, error.column], [line, column], `${name}, split at ${i}`);
    }
  }
});

test('errors far into a large document still have the right line and column', () => {
  const lines: string[] = ['@prefix ex: <http://e.org/> .'];
  for (let i = 0; i < 20_000; i++) lines.push(`ex:s${i} ex:p "value number ${i} with some padding text to make the line longer" .`);
  lines.push('   ex:bad ex:p @@ .');
  const text = lines.join('\n') + '\n';
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += 65536) chunks.push(text.slice(i, i + 65536));
  const error = syntaxError('turtle', chunks);
  assert.deepEqual([error.line, error.column], [20_002, 16]);
});

test('a quoted triple (RDF-star) is refused with a 1-based position', () => {
  const error = syntaxError('turtle', ['<http://a> <http://b> <http://c> .\n<http://a> <http://b> << <http://a> <http://b> <http://c> >> .\n']);
  assert.equal(error.line, 2);
  assert.equal(error.column, 23);
});

test('Turtle columns count characters (code points) like N-Triples', () => {
  // "😀😀" is 4 code points but 6 UTF-16 units: <http://c> starts at code point 28.
  const turtle = syntaxError('turtle', ['<http://a> <http://b> "😀😀" <http://c> .\n']);
  const ntriples = syntaxError('n-triples', ['<http://a> <http://b> "😀😀" <http://c> .\n']);
  assert.equal(ntriples.column, 28);
  assert.equal(turtle.column, 28);
});

test('a bad IRI after @base/BASE is an RdfSyntaxError', () => {
  assert.deepEqual(pos(syntaxError('turtle', ['@base <h?tp://ex.org/> .\n<s> <p> "x" .\n'])), [1, 7]);
  assert.deepEqual(pos(syntaxError('turtle', ['BASE <h?tp://x>\n<s> <p> "x" .\n'])), [1, 6]);
});

test('a bad IRI after @prefix/PREFIX is an RdfSyntaxError, not a crash', () => {
  for (const text of ['@prefix ex: <h?tp://ex.org/> .\nex:s ex:p "x" .\n', 'PREFIX ex: <😀://x>\nex:s ex:p "x" .\n']) {
    const error = syntaxError('turtle', [text]);
    assert.equal(error.line, 1, text);
  }
});

function pos(error: RdfSyntaxError): [number, number] {
  return [error.line, error.column];
}

const RDFXML = '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://ex.org/">\n<rdf:Description rdf:about="http://ex.org/s"><ex:p xml:lang="EN">x</ex:p></rdf:Description>\n<rdf:Description rdf:about="http://ex.org/t"><ex:p rdf:resource="rel"/></rdf:Description>\n</rdf:RDF>\n';

test('RDF/XML: parses to canonical keys, relative IRIs against baseIri', () => {
  assert.deepEqual(parse('rdf-xml', [RDFXML], { baseIri: 'http://base.example/dir/' }), [
    ['<http://ex.org/s>', '<http://ex.org/p>', '"x"@en', undefined],
    ['<http://ex.org/t>', '<http://ex.org/p>', '<http://base.example/dir/rel>', undefined],
  ]);
  const error = syntaxError('rdf-xml', ['<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n  <rdf:Description rdf:about="http://ex.org/s">\n  </rdf:Descriptionx>\n</rdf:RDF>\n']);
  assert.equal(error.line, 3);
});

test('RDF/XML: a truncated document is a syntax error', async () => {
  for (const at of [RDFXML.length - 8, 230, 150]) {
    await assert.rejects(parseAsync('rdf-xml', [RDFXML.slice(0, at)]), RdfSyntaxError, `cut at ${at}`);
  }
});

test('RDF/XML: error positions are 1-based', () => {
  const error = syntaxError('rdf-xml', ['<?xml "\nrsion="1.0"?>\n<rdf:RDF/>']);
  assert.equal(error.line, 2);
  assert.ok(error.column >= 1, `column ${error.column}`);
});
