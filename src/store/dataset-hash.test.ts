import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuadStore } from './quad-store.ts';
import { DEFAULT_GRAPH_ID } from './indexes.ts';
import { datasetHash } from './dataset-hash.ts';

async function withStores(count: number, body: (stores: QuadStore[]) => Promise<void>): Promise<void> {
  const dirs = Array.from({ length: count }, () => mkdtempSync(join(tmpdir(), 'oxirs-hash-')));
  const stores = dirs.map((path) => QuadStore.open({ path }));
  try {
    await body(stores);
  } finally {
    for (const store of stores) await store.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

const ex = (n: string) => `<http://example.org/${n}>`;
type TermQuad = [string, string, string, string | undefined];

const QUADS: TermQuad[] = [
  [ex('alice'), ex('knows'), ex('bob'), undefined],
  [ex('alice'), ex('name'), '"Alice"@en', undefined],
  [ex('alice'), ex('name'), '"Alicia"@es', ex('g1')],
  [ex('alice'), ex('age'), '"42"^^<http://www.w3.org/2001/XMLSchema#integer>', ex('g1')],
  ['_:b1_x', ex('knows'), ex('alice'), ex('g2')],
  [ex('bob'), ex('note'), '"line\\nbreak \\"quoted\\""', undefined],
  [ex('bob'), ex('knows'), ex('alice'), ex('g2')],
];

function hashOf(store: QuadStore) {
  const snap = store.snapshot();
  try {
    return datasetHash(snap);
  } finally {
    snap.release();
  }
}

/** The definition, written the slow obvious way: BigInt sum of SHA-256 of each N-Quads line. */
function referenceHash(store: QuadStore): { quads: number; hash: string } {
  const snap = store.snapshot();
  try {
    let sum = 0n;
    let quads = 0;
    for (const [s, p, o, g] of snap.match({})) {
      const terms = [s, p, o, ...(g === DEFAULT_GRAPH_ID ? [] : [g])].map((id) => snap.decode(id));
      sum += BigInt(`0x${createHash('sha256').update(`${terms.join(' ')} .\n`).digest('hex')}`);
      quads++;
    }
    return { quads, hash: (sum % (1n << 256n)).toString(16).padStart(64, '0') };
  } finally {
    snap.release();
  }
}

test('the same quads hash equal whatever their order and ids; one changed literal changes the hash', async () => {
  await withStores(3, async ([a, b, c]) => {
    await a.write((w) => {
      for (const q of QUADS) w.insertTerms(...q);
    });
    // B: other terms first (so other ids), the quads in reverse order over two transactions,
    // one removed again and re-added, and a term no quad uses any more.
    await b.write((w) => {
      w.insertTerms(ex('unused'), ex('p'), '"noise"', ex('g9'));
      for (const q of [...QUADS].reverse().slice(0, 4)) w.insertTerms(...q);
    });
    await b.write((w) => {
      for (const q of [...QUADS].reverse().slice(4)) w.insertTerms(...q);
      w.remove([w.encode(ex('unused')), w.encode(ex('p')), w.encode('"noise"'), w.encode(ex('g9'))]);
      w.dropGraph(w.encode(ex('g9')));
    });
    const sa = a.snapshot();
    const sb = b.snapshot();
    assert.notEqual(sa.lookup(ex('alice')), sb.lookup(ex('alice')), 'the stores gave different ids');
    sa.release();
    sb.release();

    const expected = hashOf(a);
    assert.equal(expected.quads, QUADS.length);
    assert.match(expected.hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(hashOf(b), expected);
    assert.deepEqual(referenceHash(a), expected);

    // C: the same but one literal differs.
    await c.write((w) => {
      for (const q of QUADS) w.insertTerms(...(q[2] === '"Alice"@en' ? ([q[0], q[1], '"Alice"@en-gb', q[3]] as TermQuad) : q));
    });
    const changed = hashOf(c);
    assert.equal(changed.quads, QUADS.length);
    assert.notEqual(changed.hash, expected.hash);
    // The same quad in another graph is another quad.
    await c.write((w) => {
      w.remove([w.encode(ex('alice')), w.encode(ex('name')), w.encode('"Alice"@en-gb'), DEFAULT_GRAPH_ID]);
      w.insertTerms(ex('alice'), ex('name'), '"Alice"@en', ex('g1'));
    });
    assert.notEqual(hashOf(c).hash, expected.hash);
    assert.deepEqual(hashOf(c), referenceHash(c));
    await c.write((w) => {
      w.remove([w.encode(ex('alice')), w.encode(ex('name')), w.encode('"Alice"@en'), w.encode(ex('g1'))]);
      w.insertTerms(ex('alice'), ex('name'), '"Alice"@en', undefined);
    });
    assert.deepEqual(hashOf(c), expected);
  });
});

test('an empty store hashes to zero, whatever its empty graphs and metadata', async () => {
  await withStores(1, async ([store]) => {
    const empty = { quads: 0, hash: '0'.repeat(64) };
    assert.deepEqual(hashOf(store), empty);
    await store.write((w) => {
      w.createGraph(w.encode(ex('g')));
      w.putMeta('raft.applied', 1);
    });
    assert.deepEqual(hashOf(store), empty);
    await store.write((w) => w.insertTerms(ex('s'), ex('p'), ex('o'), undefined));
    assert.notDeepEqual(hashOf(store), empty);
    await store.write((w) => w.clearGraph(DEFAULT_GRAPH_ID));
    assert.deepEqual(hashOf(store), empty);
  });
});

test('200k quads: the hash matches the BigInt definition, and its rate', async (t) => {
  await withStores(1, async ([store]) => {
    const quadCount = 200_000;
    await store.write((w) => {
      for (let i = 0; i < quadCount; i++) {
        const graph = i % 2 === 0 ? undefined : ex(`graph${i % 10}`);
        w.insertTerms(ex(`s${i % 20_000}`), ex(`p${i % 25}`), i % 3 === 0 ? `"value ${i}"@en` : `"${i}"^^<http://www.w3.org/2001/XMLSchema#integer>`, graph);
      }
    });
    const started = performance.now();
    const result = hashOf(store);
    const ms = performance.now() - started;
    assert.equal(result.quads, quadCount);
    // 200k digests summed overflow 2^256 many times: the carries must agree with BigInt arithmetic.
    assert.deepEqual(result, referenceHash(store));
    t.diagnostic(`dataset hash of ${quadCount} quads: ${ms.toFixed(0)} ms, ${(quadCount / (ms / 1000)).toFixed(0)} quads/s`);
  });
});
