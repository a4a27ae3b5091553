// Every RDF data file of the W3C SPARQL 1.1 suite (../shared/rdf-tests) goes through our load
// path (parser -> dictionary -> indexes -> decode) and comes back as exactly the quads n3 reads
// from the same file: same terms, same lexical forms, blank nodes up to renaming.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Parser } from 'n3';
import { QuadStore } from '../../src/store/quad-store.ts';
import { loadRdf } from '../../src/store/rdf-loader.ts';
import { formatOfFileName } from '../../src/rdf/media-types.ts';
import { termToKey } from '../../src/rdf/term-key.ts';

const SUITE = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'rdf-tests', 'sparql', 'sparql11');
const BASE = 'https://w3c.github.io/rdf-tests/sparql/sparql11/';

function dataFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) dataFiles(path, out);
    else if (formatOfFileName(name) && name !== 'manifest.ttl' && !name.endsWith('.srx')) out.push(path);
  }
  return out;
}

/** n3 rejects some files the suite marks as negative tests; those are not data. */
function expectedQuads(text: string, format: string, baseIRI: string): string[] | undefined {
  try {
    const quads = new Parser({ format: format === 'trig' ? 'application/trig' : format === 'turtle' ? 'text/turtle' : format === 'n-quads' ? 'application/n-quads' : 'application/n-triples', baseIRI }).parse(text);
    // Distinct quads (blank nodes by their label), then with every blank node written `_:`.
    const distinct = new Map<string, string>();
    for (const q of quads) {
      const terms = [q.subject, q.predicate, q.object, ...(q.graph.termType === 'DefaultGraph' ? [] : [q.graph])];
      distinct.set(terms.map((t) => termToKey(t as never)).join(' '), terms.map((t) => (t.termType === 'BlankNode' ? '_:' : termToKey(t as never))).join(' '));
    }
    return [...distinct.values()];
  } catch {
    return undefined;
  }
}

if (!existsSync(SUITE)) {
  test('W3C suite data files', { skip: `the W3C test data is not at ${SUITE}` }, () => {});
} else {
  test('every data file of the SPARQL 1.1 suite loads into the store and reads back identically', async () => {
    const files = dataFiles(SUITE);
    assert.ok(files.length > 200, `expected the suite's data files, found ${files.length}`);
    const dir = mkdtempSync(join(tmpdir(), 'oxirs-suite-'));
    const store = QuadStore.open({ path: dir });
    let checked = 0;
    try {
      for (const file of files) {
        const format = formatOfFileName(file)!;
        const text = readFileSync(file, 'utf8');
        const baseIri = BASE + file.slice(SUITE.length + 1);
        const expected = expectedQuads(text, format, baseIri);
        if (!expected) continue;
        await loadRdf(store, [text], { format, target: { kind: 'dataset' }, replace: true, baseIri });
        const snapshot = store.snapshot();
        const actual: string[] = [];
        for (const [s, p, o, g] of snapshot.match({})) {
          const key = (id: number) => {
            const term = snapshot.decode(id);
            return term.startsWith('_:') ? '_:' : term;
          };
          actual.push(`${key(s)} ${key(p)} ${key(o)}${g === 0 ? '' : ` ${key(g)}`}`);
        }
        snapshot.release();
        // The store holds a set; n3 returns duplicates as they appear, but blank nodes differ.
        const uniqueExpected = [...new Set(expected.filter((q) => !q.includes('_:')))].sort();
        const actualWithoutBlanks = [...new Set(actual.filter((q) => !q.includes('_:')))].sort();
        assert.deepEqual(actualWithoutBlanks, uniqueExpected, file);
        assert.equal(actual.filter((q) => q.includes('_:')).length, expected.filter((q) => q.includes('_:')).length, `${file}: quads with blank nodes`);
        checked++;
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(checked > 200, `only ${checked} files were checked`);
  });
}
