import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { setTimeout as delay } from 'node:timers/promises';
import { QuadStore, type IdQuad } from './quad-store.ts';
import { DEFAULT_GRAPH_ID } from './indexes.ts';

async function withStore(body: (store: QuadStore, dir: string) => Promise<void>, options: { insertBatchQuads?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-store-'));
  const store = QuadStore.open({ path: dir, ...options });
  try {
    await body(store, dir);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const ex = (n: string) => `<http://example.org/${n}>`;

test('every bound/unbound pattern finds exactly the matching quads', async () => {
  await withStore(async (store) => {
    const terms = ['a', 'b', 'c'].map(ex);
    const graphs = [undefined, ex('g1'), ex('g2')];
    await store.write((w) => {
      for (const s of terms) for (const p of terms) for (const o of terms) for (const g of graphs) w.insertTerms(s, p, o, g);
    });
    const snap = store.snapshot();
    try {
      const all = [...snap.match({})];
      assert.equal(all.length, 27 * 3);
      const ids = terms.map((t) => snap.lookup(t)!);
      const gids = [DEFAULT_GRAPH_ID, snap.lookup(ex('g1'))!, snap.lookup(ex('g2'))!];
      for (let mask = 0; mask < 16; mask++) {
        const pattern = {
          subject: mask & 1 ? ids[0] : undefined,
          predicate: mask & 2 ? ids[1] : undefined,
          object: mask & 4 ? ids[2] : undefined,
          graph: mask & 8 ? gids[1] : undefined,
        };
        const expected = all.filter(
          (q) =>
            (pattern.subject === undefined || q[0] === pattern.subject) &&
            (pattern.predicate === undefined || q[1] === pattern.predicate) &&
            (pattern.object === undefined || q[2] === pattern.object) &&
            (pattern.graph === undefined || q[3] === pattern.graph),
        );
        const got = [...snap.match(pattern)];
        assert.deepEqual(sorted(got), sorted(expected), `pattern mask ${mask}`);
      }
      assert.equal([...snap.match({ graph: DEFAULT_GRAPH_ID })].length, 27);
      assert.equal([...snap.match({}, 'named')].length, 54);
      assert.equal(snap.statistics().quads, 81);
      assert.equal(snap.statistics().indexEntries.dspo, 27);
      assert.equal(snap.statistics().indexEntries.gosp, 54);
      assert.equal(snap.predicateQuadCount(ids[0]), 27);
      assert.equal(snap.graphQuadCount(gids[2]), 27);
    } finally {
      snap.release();
    }
  }, { insertBatchQuads: 7 });
});

test('duplicates are stored once and counted once', async () => {
  await withStore(async (store) => {
    const inserted = await store.write((w) => {
      for (let i = 0; i < 3; i++) w.insertTerms(ex('s'), ex('p'), '"01"^^<http://www.w3.org/2001/XMLSchema#integer>', undefined);
      w.finish();
      return w.insertedQuads;
    });
    assert.equal(inserted, 1);
    const snap = store.snapshot();
    const quads = [...snap.match({})];
    assert.equal(quads.length, 1);
    assert.equal(snap.decode(quads[0][2]), '"01"^^<http://www.w3.org/2001/XMLSchema#integer>');
    assert.equal(snap.statistics().quads, 1);
    snap.release();
  });
});

test('a write that throws, even after awaiting, leaves nothing behind', async () => {
  await withStore(async (store) => {
    await store.write((w) => w.insertTerms(ex('keep'), ex('p'), ex('o'), undefined));
    await assert.rejects(
      store.write(async (w) => {
        w.insertTerms(ex('x'), ex('p'), ex('o'), ex('g'));
        await new Promise((resolve) => setTimeout(resolve, 5));
        w.insertTerms(ex('y'), ex('p'), ex('o'), undefined);
        w.finish();
        throw new Error('bad input');
      }),
      /bad input/,
    );
    const snap = store.snapshot();
    assert.equal([...snap.match({})].length, 1);
    assert.equal(snap.lookup(ex('x')), undefined);
    assert.equal(snap.graphExists(snap.lookup(ex('g')) ?? -1), false);
    snap.release();
    // Ids handed out by the aborted write are reused consistently afterwards.
    await store.write((w) => w.insertTerms(ex('z'), ex('p'), ex('o'), undefined));
    const after = store.snapshot();
    const z = after.lookup(ex('z'))!;
    assert.equal(after.decode(z), ex('z'));
    after.release();
  });
});

test('a snapshot keeps seeing its state while writers go on', async () => {
  await withStore(async (store) => {
    await store.write((w) => w.insertTerms(ex('s'), ex('p'), ex('o1'), undefined));
    const snap = store.snapshot();
    await store.write((w) => {
      w.insertTerms(ex('s'), ex('p'), ex('o2'), undefined);
      w.remove([...w.match({ object: w.lookup(ex('o1')) })][0]);
    });
    assert.deepEqual([...snap.match({})].map((q) => snap.decode(q[2])), [ex('o1')]);
    snap.release();
    const now = store.snapshot();
    assert.deepEqual([...now.match({})].map((q) => now.decode(q[2])), [ex('o2')]);
    now.release();
  });
});

test('data survives closing and reopening', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-store-'));
  try {
    let store = QuadStore.open({ path: dir });
    await store.write((w) => w.insertTerms(ex('s'), ex('p'), '"x"@en', ex('g')));
    await store.close();
    store = QuadStore.open({ path: dir });
    await store.write((w) => w.insertTerms(ex('s2'), ex('p'), '"y"', undefined));
    const snap = store.snapshot();
    assert.equal([...snap.match({})].length, 2);
    assert.notEqual(snap.lookup(ex('s2')), snap.lookup(ex('s')));
    snap.release();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('graphs: clear keeps a graph, drop removes it, create makes an empty one', async () => {
  await withStore(async (store) => {
    await store.write((w) => {
      w.insertTerms(ex('s'), ex('p'), ex('o'), ex('g'));
      w.createGraph(w.encode(ex('empty')));
    });
    let snap = store.snapshot();
    const g = snap.lookup(ex('g'))!;
    const empty = snap.lookup(ex('empty'))!;
    assert.deepEqual([...snap.namedGraphs()].map((x) => x.quads).sort(), [0, 1]);
    snap.release();
    await store.write((w) => w.clearGraph(g));
    snap = store.snapshot();
    assert.equal(snap.graphExists(g), true);
    assert.equal(snap.graphQuadCount(g), 0);
    snap.release();
    await store.write((w) => {
      assert.equal(w.dropGraph(g), true);
      assert.equal(w.dropGraph(empty), true);
    });
    snap = store.snapshot();
    assert.equal(snap.graphExists(g), false);
    assert.deepEqual([...snap.namedGraphs()], []);
    snap.release();
  });
});

function sorted(quads: IdQuad[]): string[] {
  return quads.map((q) => q.join(' ')).sort();
}

test('each freshBlankNodePrefix call gives a new prefix, deterministically, and an abort gives none away', async () => {
  const sequence = async (store: QuadStore): Promise<string[]> => {
    const prefixes: string[] = [];
    await store.write((w) => {
      prefixes.push(w.freshBlankNodePrefix(), w.freshBlankNodePrefix(), w.freshBlankNodePrefix());
    });
    await assert.rejects(
      store.write((w) => {
        w.freshBlankNodePrefix();
        throw new Error('abort');
      }),
      /abort/,
    );
    await store.write((w) => {
      prefixes.push(w.freshBlankNodePrefix());
    });
    return prefixes;
  };
  let first: string[] = [];
  await withStore(async (store) => {
    first = await sequence(store);
  });
  assert.equal(new Set(first).size, 4);
  // The aborted call's prefix is handed out again by the next transaction.
  assert.deepEqual(first, ['b1_', 'b2_', 'b3_', 'b4_']);
  await withStore(async (store) => {
    assert.deepEqual(await sequence(store), first);
  });
});

test('application metadata: atomic with the data, apart from the store keys, listed by prefix', async () => {
  await withStore(async (store, dir) => {
    await store.write((w) => {
      w.insertTerms(ex('s'), ex('p'), ex('o'), undefined);
      w.putMeta('raft.applied', 41);
      w.putMeta('members/2', { id: 2, address: 'http://10.0.0.2:7000', voter: true });
      w.putMeta('members/1', { id: 1, address: 'http://10.0.0.1:7000', voter: true });
      w.putMeta('members/10', { id: 10, address: 'http://10.0.0.10:7000', voter: false });
      w.putMeta('idem/abc', ['ok', 3, null]);
      // Names the store uses for itself are free for the application.
      w.putMeta('nextTermId', 'mine');
      w.putMeta('blankNodeEpoch', 'mine too');
      // Reads inside the transaction see its writes.
      assert.equal(w.getMeta('raft.applied'), 41);
      assert.deepEqual(w.metaKeys('members/'), ['members/1', 'members/10', 'members/2']);
      w.removeMeta('idem/abc');
      assert.equal(w.getMeta('idem/abc'), undefined);
      assert.throws(() => w.putMeta('x', undefined), /undefined/);
    });
    // The application's 'blankNodeEpoch' key is not the store's epoch.
    assert.equal(await store.write((w) => w.freshBlankNodePrefix()), 'b1_');
    await assert.rejects(
      store.write((w) => {
        w.putMeta('raft.applied', 42);
        w.insertTerms(ex('s2'), ex('p'), ex('o'), undefined);
        throw new Error('abort');
      }),
      /abort/,
    );
    const snap = store.snapshot();
    try {
      assert.equal(snap.getMeta('raft.applied'), 41);
      assert.deepEqual(snap.getMeta('members/10'), { id: 10, address: 'http://10.0.0.10:7000', voter: false });
      assert.equal(snap.getMeta('nextTermId'), 'mine');
      assert.deepEqual(snap.metaKeys(''), ['blankNodeEpoch', 'members/1', 'members/10', 'members/2', 'nextTermId', 'raft.applied']);
      assert.deepEqual(snap.metaKeys('members/1'), ['members/1', 'members/10']);
      assert.deepEqual(snap.metaKeys('nothing'), []);
      assert.equal([...snap.match({})].length, 1);
    } finally {
      snap.release();
    }
    // A snapshot taken before a write keeps its metadata.
    const before = store.snapshot();
    await store.write((w) => w.putMeta('raft.applied', 50));
    assert.equal(before.getMeta('raft.applied'), 41);
    before.release();
    await store.close();
    const reopened = QuadStore.open({ path: dir });
    const again = reopened.snapshot();
    assert.equal(again.getMeta('raft.applied'), 50);
    // The store's own counters were not disturbed by the application's same-named keys.
    await reopened.write((w) => w.insertTerms(ex('s3'), ex('p'), ex('o'), undefined));
    const after = reopened.snapshot();
    assert.notEqual(after.lookup(ex('s3')), after.lookup(ex('s')));
    assert.equal(after.decode(after.lookup(ex('s3'))!), ex('s3'));
    after.release();
    again.release();
    await reopened.close();
  });
});

test('snapshot reads while a write is open and awaiting see committed data only', async () => {
  await withStore(async (store) => {
    await store.write((w) => {
      w.insertTerms(ex('s'), ex('p'), ex('o'), ex('g'));
      w.putMeta('applied', 1);
    });
    const before = store.snapshot();
    const ids = { s: before.lookup(ex('s'))!, p: before.lookup(ex('p'))!, o: before.lookup(ex('o'))!, g: before.lookup(ex('g'))! };
    let release!: () => void;
    const paused = new Promise<void>((resolve) => (release = resolve));
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => (written = resolve));
    const writing = store.write(async (w) => {
      w.remove([ids.s, ids.p, ids.o, ids.g]);
      w.insertTerms(ex('new'), ex('p'), ex('o'), undefined);
      w.putMeta('applied', 2);
      w.finish();
      written();
      await paused;
    });
    await wrote;
    // Taken while the write transaction is open: the last committed state.
    const during = store.snapshot();
    try {
      for (const snap of [before, during]) {
        assert.equal(snap.has([ids.s, ids.p, ids.o, ids.g]), true);
        // The new term may already have an id (the dictionary hands it out early), but no quad uses it.
        const fresh = snap.lookup(ex('new'));
        if (fresh !== undefined) assert.deepEqual([...snap.match({ subject: fresh })], []);
        assert.equal(snap.graphQuadCount(ids.g), 1);
        assert.equal(snap.graphQuadCount(DEFAULT_GRAPH_ID), 0);
        assert.equal(snap.predicateQuadCount(ids.p), 1);
        assert.equal(snap.graphExists(ids.g), true);
        assert.equal(snap.getMeta('applied'), 1);
        assert.equal(snap.decode(ids.s), ex('s'));
        assert.equal([...snap.match({})].length, 1);
      }
    } finally {
      release();
      await writing;
      during.release();
      before.release();
    }
    const after = store.snapshot();
    assert.equal(after.getMeta('applied'), 2);
    assert.equal(after.has([ids.s, ids.p, ids.o, ids.g]), false);
    assert.notEqual(after.lookup(ex('new')), undefined);
    after.release();
  });
});

test('a snapshot sees every write committed before it was taken, even one committed by another thread moments after an earlier snapshot', async () => {
  // The reader is a worker thread (as query workers are): it takes a snapshot, then blocks in the
  // same task while the main thread commits, then takes another. lmdb-js shares one read
  // transaction until a zero-delay timer, which cannot run while the worker is blocked.
  await withStore(async (store, dir) => {
    await store.write((w) => w.insertTerms(ex('a'), ex('p'), ex('b'), undefined));
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
        .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./quad-store.ts', import.meta.url).href)}); })
        .then(async ({ QuadStore }) => {
          const store = QuadStore.open({ path: workerData.path });
          const flag = new Int32Array(workerData.flag);
          const count = () => { const snapshot = store.snapshot(); try { return [...snapshot.match({})].length; } finally { snapshot.release(); } };
          const before = count();
          Atomics.store(flag, 0, 1);
          Atomics.notify(flag, 0);
          Atomics.wait(flag, 0, 1, 10000);
          const after = count();
          await store.close();
          parentPort.postMessage({ before, after });
        });
    `;
    const worker = new Worker(code, { eval: true, workerData: { path: dir, flag: flag.buffer } });
    try {
      const message = once(worker, 'message');
      for (let waited = 0; waited < 1000 && Atomics.load(flag, 0) !== 1; waited++) await delay(10);
      assert.equal(Atomics.load(flag, 0), 1, 'the worker took its first snapshot');
      await store.write((w) => w.insertTerms(ex('c'), ex('p'), ex('d'), undefined));
      Atomics.store(flag, 0, 2);
      Atomics.notify(flag, 0);
      const [counts] = await message;
      assert.deepEqual(counts, { before: 1, after: 2 });
    } finally {
      await worker.terminate();
    }
  });
});
