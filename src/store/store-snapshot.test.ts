import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { QuadStore, type StoreWriter } from './quad-store.ts';
import { DEFAULT_GRAPH_ID } from './indexes.ts';
import { exportSnapshot, installSnapshot, InvalidSnapshotError, SNAPSHOT_VERSION } from './store-snapshot.ts';

async function withStores(count: number, body: (stores: QuadStore[]) => Promise<void>): Promise<void> {
  const dirs = Array.from({ length: count }, () => mkdtempSync(join(tmpdir(), 'oxirs-snapshot-')));
  const stores = dirs.map((path) => QuadStore.open({ path }));
  try {
    await body(stores);
  } finally {
    for (const store of stores) await store.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

const ex = (n: string) => `<http://example.org/${n}>`;
const LONG_LITERAL = `"${'long literal, keyed by its hash in the dictionary. '.repeat(20)}"`;

/** Store A: named and empty graphs, blank nodes, typed and tagged literals, app meta, removed quads. */
async function fillA(store: QuadStore): Promise<void> {
  await store.write((w) => {
    const blank = w.freshBlankNodePrefix();
    w.insertTerms(ex('alice'), ex('knows'), ex('bob'), undefined);
    w.insertTerms(ex('alice'), ex('name'), '"Alice"@en', undefined);
    w.insertTerms(ex('alice'), ex('name'), '"Alicia"@es', ex('g1'));
    w.insertTerms(ex('alice'), ex('age'), '"42"^^<http://www.w3.org/2001/XMLSchema#integer>', ex('g1'));
    w.insertTerms(`_:${blank}x`, ex('knows'), ex('alice'), ex('g2'));
    w.insertTerms(`_:${blank}x`, ex('note'), LONG_LITERAL, ex('g2'));
    w.insertTerms(ex('bob'), ex('note'), '"line\\nbreak \\"quoted\\""', undefined);
    w.insertTerms(ex('gone'), ex('knows'), ex('bob'), undefined);
    w.createGraph(w.encode(ex('empty')));
    w.putMeta('raft.applied', { index: 17, term: 3 });
    w.putMeta('members/1', { address: 'http://10.0.0.1:7000', voter: true });
    w.putMeta('idem/req-1', ['ok', 5]);
  });
  await store.write((w) => {
    w.freshBlankNodePrefix();
    w.remove([w.encode(ex('gone')), w.encode(ex('knows')), w.encode(ex('bob')), DEFAULT_GRAPH_ID]);
  });
}

/** Store B: other data, sharing some terms with A under other ids, with warm caches. */
async function fillB(store: QuadStore): Promise<void> {
  await store.write((w) => {
    w.insertTerms(ex('zed'), ex('other'), ex('bob'), ex('gB'));
    w.insertTerms(ex('knows'), ex('knows'), ex('alice'), undefined);
    for (let i = 0; i < 50; i++) w.insertTerms(ex(`b${i}`), ex('other'), `"${i}"`, undefined);
    w.putMeta('raft.applied', { index: 3, term: 1 });
    w.putMeta('only-in-b', true);
  });
  const snap = store.snapshot();
  for (const term of [ex('alice'), ex('bob'), ex('knows'), ex('zed')]) snap.decode(snap.lookup(term)!);
  snap.release();
}

/** Everything a client can observe, in terms (not ids). */
function observe(store: QuadStore) {
  const snap = store.snapshot();
  try {
    const line = (q: number[]) => q.map((id, i) => (i === 3 && id === DEFAULT_GRAPH_ID ? '' : snap.decode(id))).join(' ');
    const quads = [...snap.match({})].map(line).sort();
    const graphs = [...snap.namedGraphs()].map((g) => `${snap.decode(g.id)} ${g.quads}`).sort();
    const predicates = [...new Set([...snap.match({})].map((q) => q[1]))].map((p) => `${snap.decode(p)} ${snap.predicateQuadCount(p)}`).sort();
    const meta = Object.fromEntries(snap.metaKeys('').map((key) => [key, snap.getMeta(key)]));
    const aliceKnows = [...snap.match({ subject: snap.lookup(ex('alice')), predicate: snap.lookup(ex('knows')) })].map(line);
    return { quads, graphs, predicates, meta, statistics: snap.statistics(), aliceKnows };
  } finally {
    snap.release();
  }
}

function exportAll(store: QuadStore, chunkBytes?: number): Uint8Array[] {
  const snap = store.snapshot();
  try {
    return [...exportSnapshot(snap, chunkBytes)];
  } finally {
    snap.release();
  }
}

function digest(chunks: Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

function concat(chunks: Uint8Array[]): Buffer {
  return Buffer.concat(chunks);
}

/** The bytes re-cut into pieces of `size`, delivered asynchronously (a transport's view). */
async function* recut(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) {
    yield new Uint8Array(bytes.subarray(at, at + size));
    if (at % (size * 16) === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

async function addSameQuads(w: StoreWriter): Promise<void> {
  const blank = w.freshBlankNodePrefix();
  w.insertTerms(ex('carol'), ex('knows'), ex('alice'), ex('g3'));
  w.insertTerms(`_:${blank}y`, ex('name'), '"Carol"@en', undefined);
  w.putMeta('raft.applied', { index: 18, term: 3 });
}

test('a snapshot of A installed in B makes B answer as A, and both go on identically', async () => {
  await withStores(2, async ([a, b]) => {
    await fillA(a);
    await fillB(b);
    const bBefore = b.snapshot();
    const oldKnows = bBefore.lookup(ex('knows'))!;
    const chunks = exportAll(a, 200);
    assert.ok(chunks.length > 5, `small chunks give many frames (${chunks.length})`);
    await installSnapshot(b, recut(concat(chunks), 97));

    const expected = observe(a);
    assert.deepEqual(observe(b), expected);
    assert.equal(expected.quads.length, 7);
    assert.deepEqual(expected.graphs.filter((g) => g.startsWith(ex('empty'))), [`${ex('empty')} 0`]);
    assert.deepEqual(expected.meta['raft.applied'], { index: 17, term: 3 });
    assert.equal(expected.meta['only-in-b'], undefined);
    // Byte for byte: same ids, same counters, same blank-node epoch.
    assert.equal(digest(exportAll(b)), digest(exportAll(a)));

    // The snapshot B held still sees B's old state; new snapshots see A's ids.
    assert.equal(bBefore.lookup(ex('knows')), oldKnows);
    assert.equal(bBefore.decode(oldKnows), ex('knows'));
    const sa = a.snapshot();
    const sb = b.snapshot();
    for (const term of [ex('alice'), ex('bob'), ex('knows'), LONG_LITERAL, '"Alicia"@es']) {
      assert.equal(sb.lookup(term), sa.lookup(term), term);
      assert.equal(sb.decode(sb.lookup(term)!), term);
    }
    assert.equal(sb.lookup(ex('zed')), undefined);
    sa.release();
    sb.release();
    bBefore.release();

    // New writes in B get fresh ids (no collision with installed terms) and B stays A's replica.
    const installed = a.snapshot();
    const largestInstalledId = Math.max(...[...installed.match({})].flat(), ...[...installed.namedGraphs()].map((g) => g.id));
    installed.release();
    await a.write(addSameQuads);
    await b.write(addSameQuads);
    assert.deepEqual(observe(b), observe(a));
    assert.equal(digest(exportAll(b)), digest(exportAll(a)));
    const after = b.snapshot();
    const carol = after.lookup(ex('carol'))!;
    assert.equal(after.decode(carol), ex('carol'));
    assert.ok(carol > largestInstalledId, 'a new term gets an id after every installed one');
    assert.equal([...after.match({ subject: carol })].length, 1);
    after.release();
  });
});

test('a snapshot taken while an install is running sees the old state, before and after', async () => {
  await withStores(2, async ([a, b]) => {
    await fillA(a);
    await fillB(b);
    const chunks = exportAll(a, 200);
    let during: ReturnType<QuadStore['snapshot']> | undefined;
    let duringKnows: number | undefined;
    async function* paused(): AsyncGenerator<Uint8Array> {
      for (const [i, chunk] of chunks.entries()) {
        if (i === 3) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          during = b.snapshot();
          duringKnows = during.lookup(ex('knows'));
          assert.equal(during.lookup(ex('zed')) !== undefined, true, 'the install is not visible yet');
        }
        yield chunk;
      }
    }
    await installSnapshot(b, paused());
    assert.ok(during);
    const now = b.snapshot();
    const aSnap = a.snapshot();
    // Reads through the old snapshot after the install must not teach the caches old ids.
    assert.equal(during.lookup(ex('knows')), duringKnows);
    assert.equal(during.decode(duringKnows!), ex('knows'));
    assert.equal(now.lookup(ex('knows')), aSnap.lookup(ex('knows')));
    assert.equal(now.decode(now.lookup(ex('knows'))!), ex('knows'));
    assert.equal(now.lookup(ex('zed')), undefined);
    // And the writer's encode agrees with what was installed.
    const knowsInWriter = await b.write((w) => w.encode(ex('knows')));
    assert.equal(knowsInWriter, aSnap.lookup(ex('knows')));
    during.release();
    now.release();
    aSnap.release();
  });
});

test('truncated, corrupted, foreign and wrong-version streams are refused and leave B unchanged', async () => {
  await withStores(3, async ([a, b, twin]) => {
    await fillA(a);
    await fillB(b);
    await fillB(twin);
    const chunks = exportAll(a, 300);
    const bytes = concat(chunks);
    const bBytes = digest(exportAll(b));
    const bView = observe(b);
    const packr = new Packr({ useRecords: false });
    const reframe = (frame: unknown) => {
      const body = packr.pack(frame);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(body.length);
      return Buffer.concat([head, body]);
    };
    const header = packr.unpack(chunks[0].subarray(4)) as { databases: string[] };

    const refused = async (stream: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, pattern: RegExp, what: string) => {
      await assert.rejects(installSnapshot(b, stream), (error: Error) => {
        assert.ok(error instanceof InvalidSnapshotError, `${what}: ${error.stack}`);
        assert.match(error.message, pattern, what);
        return true;
      });
    };
    await refused([], /empty/, 'empty stream');
    await refused(chunks.slice(0, -1), /truncated: no trailer/, 'no trailer');
    await refused(chunks.slice(0, 3), /truncated/, 'cut at a frame boundary');
    await refused([bytes.subarray(0, bytes.length - 1)], /truncated inside a frame/, 'last byte missing');
    await refused([bytes.subarray(0, Math.floor(bytes.length / 2))], /truncated/, 'cut in the middle');
    await refused([bytes, Buffer.from([0])], /after the trailer|truncated/, 'a byte after the trailer');
    await refused([reframe({ ...header, version: SNAPSHOT_VERSION + 1 }), ...chunks.slice(1)], /unsupported snapshot version 2/, 'wrong version');
    await refused([reframe({ ...header, databases: [...header.databases, 'extra'] }), ...chunks.slice(1)], /databases/, 'foreign database list');
    await refused([Buffer.from('this is not a snapshot, just some text that goes on for a while')], /./, 'text');
    let seed = 7;
    const random = Buffer.alloc(5000, 0).map(() => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff);
    await refused([random], /./, 'random bytes');
    // The records swapped between two frames of one database: every record is intact, the order is not.
    const [, firstRecords, secondRecords] = chunks;
    await refused([chunks[0], secondRecords, firstRecords, ...chunks.slice(3)], /out of order|checksum|databases/, 'frames swapped');
    // One flipped byte anywhere: header, length prefixes, records, trailer.
    let flips = 0;
    for (let at = 0; at < bytes.length; at += 41) {
      const flipped = Buffer.from(bytes);
      flipped[at] ^= 0x20;
      await refused([flipped], /./, `byte ${at} flipped`);
      flips++;
    }
    await refused([Buffer.from(bytes.subarray(0, bytes.length - 3)), Buffer.from([bytes[bytes.length - 3] ^ 1]), bytes.subarray(bytes.length - 2)], /checksum/, 'checksum byte flipped');
    assert.ok(flips > 20);

    assert.equal(digest(exportAll(b)), bBytes, 'B is byte for byte what it was');
    assert.deepEqual(observe(b), bView);
    // B's dictionary still hands out the ids it would have without the failed installs.
    const fresh = await b.write((w) => w.encode(ex('brand-new')));
    assert.equal(fresh, await twin.write((w) => w.encode(ex('brand-new'))));
    const snap = b.snapshot();
    assert.equal(snap.decode(fresh), ex('brand-new'));
    const twinSnap = twin.snapshot();
    for (const term of [ex('zed'), ex('knows'), ex('b7')]) assert.equal(snap.lookup(term), twinSnap.lookup(term), term);
    twinSnap.release();
    snap.release();
    // The intact stream still installs.
    await installSnapshot(b, chunks);
    assert.deepEqual(observe(b), observe(a));
  });
});

test('a 200k-quad store round-trips', async (t) => {
  await withStores(2, async ([a, b]) => {
    const quadCount = 200_000;
    await a.write((w) => {
      for (let i = 0; i < quadCount; i++) {
        const graph = i % 2 === 0 ? undefined : ex(`graph${i % 10}`);
        w.insertTerms(ex(`s${i % 20_000}`), ex(`p${i % 25}`), i % 3 === 0 ? `"value ${i}"@en` : `"${i}"^^<http://www.w3.org/2001/XMLSchema#integer>`, graph);
      }
      w.putMeta('raft.applied', quadCount);
    });
    await b.write((w) => w.insertTerms(ex('x'), ex('y'), ex('z'), undefined));
    const chunkBytes = 1024 * 1024;
    const snap = a.snapshot();
    let exported = 0;
    let frames = 0;
    let largest = 0;
    const started = performance.now();
    const hash = createHash('sha256');
    const kept: Uint8Array[] = [];
    for (const chunk of exportSnapshot(snap, chunkBytes)) {
      exported += chunk.length;
      frames++;
      largest = Math.max(largest, chunk.length);
      hash.update(chunk);
      kept.push(chunk);
    }
    const exportMs = performance.now() - started;
    snap.release();
    assert.ok(largest <= chunkBytes + 64, `a chunk of ${largest} bytes exceeds the ${chunkBytes}-byte budget`);

    const installStarted = performance.now();
    await installSnapshot(b, kept);
    const installMs = performance.now() - installStarted;
    const stats = (store: QuadStore) => {
      const s = store.snapshot();
      try {
        return { statistics: s.statistics(), applied: s.getMeta('raft.applied'), p3: s.predicateQuadCount(s.lookup(ex('p3'))!), s7: [...s.match({ subject: s.lookup(ex('s7')) })].length };
      } finally {
        s.release();
      }
    };
    assert.deepEqual(stats(b), stats(a));
    assert.equal(stats(b).statistics.quads, quadCount);
    assert.equal(digest(exportAll(b, chunkBytes)), hash.digest('hex'));
    const mib = exported / 2 ** 20;
    t.diagnostic(`snapshot of ${quadCount} quads: ${mib.toFixed(1)} MiB in ${frames} chunks`);
    t.diagnostic(`export: ${exportMs.toFixed(0)} ms, ${(quadCount / (exportMs / 1000)).toFixed(0)} quads/s, ${(mib / (exportMs / 1000)).toFixed(1)} MiB/s`);
    t.diagnostic(`install: ${installMs.toFixed(0)} ms, ${(quadCount / (installMs / 1000)).toFixed(0)} quads/s, ${(mib / (installMs / 1000)).toFixed(1)} MiB/s`);
  });
});
