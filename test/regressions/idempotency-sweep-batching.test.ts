// The idempotency sweep at every 1000th entry uses the time of the last command *in the same
// apply batch* (state-machine.ts lastTimeMs(results)). Batches differ between replicas (the leader
// applies as entries commit, a follower as it learns the commit index), so when entry 1000 is
// not a command (a leader's empty entry, a configuration change) one replica sweeps and another
// does not. The idempotency table then differs between replicas, and a later retry with the same
// key is skipped on one replica and applied on the other: the datasets diverge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuadStore } from '../../src/store/quad-store.ts';
import { StateMachine } from '../../src/cluster/state-machine.ts';
import { encodeLogCommand } from '../../src/cluster/log-command.ts';
import { datasetHash } from '../../src/store/dataset-hash.ts';
import type { Entry } from '../../src/raft/messages.ts';

const MIN = 60_000;
const cmd = (index: number, timeMs: number, text: string, idempotencyKey?: string): Entry => ({
  index,
  term: 1,
  type: 'normal',
  data: encodeLogCommand({ requestId: `r${index}`, idempotencyKey, timeMs, command: { kind: 'update', text } }),
});
const empty = (index: number): Entry => ({ index, term: 1, type: 'normal', data: new Uint8Array() });

test('two replicas that apply the same entries in different batches end with the same dataset', async () => {
  const root = mkdtempSync(join(tmpdir(), 'oxirs-review-idem-'));
  const stores: QuadStore[] = [];
  try {
    const entries = [
      cmd(998, 0, 'INSERT DATA { <urn:a> <urn:p> "first" }', 'K'),
      cmd(999, 16 * MIN, 'INSERT DATA { <urn:b> <urn:p> "other" }'),
      empty(1000),
      // A retry of K proposed by a node whose clock is 2 minutes behind the proposer of 999.
      cmd(1001, 14 * MIN, 'INSERT DATA { <urn:a> <urn:p> "retry" }', 'K'),
    ];
    const machines = ['a', 'b'].map((name) => {
      const store = QuadStore.open({ path: join(root, name) });
      stores.push(store);
      return new StateMachine(store, () => {
        throw new Error('no conf change');
      });
    });
    // Start both at applied index 997.
    for (const store of stores) await store.write((w) => w.putMeta('raft.applied', { index: 997, term: 1, confState: { voters: ['n1'], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false }, members: {} }));
    for (const m of machines) m.reload();
    // Leader-like batching: 998..1000 in one batch; follower-like: 998..999, then 1000, then 1001.
    await machines[0].apply(entries.slice(0, 3));
    await machines[0].apply(entries.slice(3));
    await machines[1].apply(entries.slice(0, 2));
    await machines[1].apply(entries.slice(2, 3));
    await machines[1].apply(entries.slice(3));
    const hashes = stores.map((store) => {
      const snapshot = store.snapshot();
      try {
        return datasetHash(snapshot);
      } finally {
        snapshot.release();
      }
    });
    assert.deepEqual(hashes[0], hashes[1], 'replicas diverged');
  } finally {
    for (const store of stores) await store.close();
    rmSync(root, { recursive: true, force: true });
  }
});
