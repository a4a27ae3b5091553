// The dataset hash computed on a worker thread equals the one computed here, at the state of the
// snapshot handed back, even while writes keep landing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuadStore } from '../../store/quad-store.ts';
import { datasetHash } from '../../store/dataset-hash.ts';
import { APPLIED_KEY } from '../../cluster/state-machine.ts';
import { openWithThreadedHash } from './dataset-hash-thread.ts';

test('the worker hashes the same state as the snapshot it hands back', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-hash-thread-'));
  const store = QuadStore.open({ path: join(dir, 'store') });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let index = 0;
  const write = () =>
    store.write((w) => {
      index++;
      for (let i = 0; i < 50; i++) w.insertTerms(`<urn:s:${index}:${i}>`, '<urn:p>', `"${i}"`, undefined);
      w.putMeta(APPLIED_KEY, { index, term: 1 });
    });
  for (let i = 0; i < 20; i++) await write();
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing && i < 10_000; i++) await write();
  })();
  try {
    const threaded = await openWithThreadedHash(store);
    assert.ok(threaded, 'a worker at the same state');
    try {
      const expected = datasetHash(threaded.snapshot);
      assert.deepEqual(await threaded.hash, expected);
      assert.ok(expected.quads >= 1000);
    } finally {
      threaded.snapshot.release();
      threaded.stop();
    }
  } finally {
    writing = false;
    await writer;
  }
});
