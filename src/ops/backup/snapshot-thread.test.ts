// The worker's head, export and hash all describe one state, even while writes keep landing; a
// stopped worker fails what is still pending instead of hanging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuadStore } from '../../store/quad-store.ts';
import { datasetHash } from '../../store/dataset-hash.ts';
import { installSnapshot } from '../../store/store-snapshot.ts';
import { APPLIED_KEY, readAppliedState } from '../../cluster/state-machine.ts';
import { emptyConfState } from '../../raft/messages.ts';
import { SnapshotThread, openFullBackupRead, type SnapshotHead } from './snapshot-thread.ts';

function storeIn(t: { after(fn: () => Promise<void>): void }, name: string): QuadStore {
  const dir = mkdtempSync(join(tmpdir(), `oxirs-snapshot-thread-${name}-`));
  const store = QuadStore.open({ path: join(dir, 'store') });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

function writer(store: QuadStore): { stop(): Promise<void> } {
  let index = 0;
  const write = () =>
    store.write((w) => {
      index++;
      for (let i = 0; i < 50; i++) w.insertTerms(`<urn:s:${index}:${i}>`, '<urn:p>', `"${i}"`, undefined);
      w.putMeta(APPLIED_KEY, { index, term: 1, confState: emptyConfState(), members: {} });
    });
  let writing = true;
  const done = (async () => {
    for (let i = 0; writing && i < 10_000; i++) await write();
  })();
  return {
    async stop() {
      writing = false;
      await done;
    },
  };
}

async function exportMatchesHash(copy: QuadStore, head: SnapshotHead, chunks: AsyncIterable<Uint8Array>, hash: () => Promise<{ quads: number; hash: string }>): Promise<void> {
  await installSnapshot(copy, chunks);
  const hashed = await hash();
  assert.equal(readAppliedState(copy).index, head.applied!.index);
  assert.deepEqual(datasetHash(copy.snapshot()), hashed);
  assert.equal(hashed.quads, head.applied!.index * 50);
}

async function whileWriting(store: QuadStore, body: () => Promise<void>): Promise<void> {
  const writes = writer(store);
  try {
    // Let some data land first.
    for (let i = 0; i < 100 && readAppliedState(store).index < 20; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await body();
  } finally {
    await writes.stop();
  }
}

test('two paired workers: head, export and hash of one state while writes go on', { timeout: 60_000 }, async (t) => {
  const store = storeIn(t, 'source');
  const copy = storeIn(t, 'copy');
  await whileWriting(store, async () => {
    const read = await openFullBackupRead(store);
    try {
      // Small chunks: many messages, so credit runs out and refills many times.
      await exportMatchesHash(copy, read.head, read.chunks(4096), () => read.hash());
    } finally {
      read.stop();
    }
  });
});

test('one worker exporting and hashing: the same', { timeout: 60_000 }, async (t) => {
  const store = storeIn(t, 'single');
  const copy = storeIn(t, 'single-copy');
  await whileWriting(store, async () => {
    const { thread, head } = await SnapshotThread.open(store);
    try {
      thread.startHash();
      await exportMatchesHash(copy, head, thread.chunks(4096), () => thread.hash());
    } finally {
      thread.stop();
    }
  });
});

test('a stopped export fails its pending reads', { timeout: 60_000 }, async (t) => {
  const store = storeIn(t, 'stopped');
  await store.write((w) => {
    for (let i = 0; i < 20_000; i++) w.insertTerms(`<urn:s:${i}>`, '<urn:p>', `"${i}"`, undefined);
    w.putMeta(APPLIED_KEY, { index: 1, term: 1, confState: emptyConfState(), members: {} });
  });
  const { thread } = await SnapshotThread.open(store);
  thread.startHash();
  const chunks = thread.chunks(4096);
  assert.equal((await chunks.next()).done, false);
  thread.stop();
  await assert.rejects(async () => {
    for await (const _ of chunks) void _;
  }, /stopped/);
  await assert.rejects(thread.hash(), /stopped/);
});
