// Linearizable reads while the leader is partitioned away: writers replace the value of a few
// register keys and readers read them (default consistency: linearizable), all through rotating
// nodes, including the isolated old leader, which must not answer from its stale state. The
// whole client history is checked with test/sim/linearizability.ts; then the replicas converge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegisterWorkload, sleep, withCluster } from './cluster-harness.ts';

const SEED = Number(process.env.OXIRS_E2E_SEED ?? 20250101);

test('linearizable reads and writes across a leader partition', { timeout: 300_000 }, async (t) => {
  await withCluster({ name: 'linearizable' }, async (cluster) => {
    const workload = new RegisterWorkload(cluster, { keys: 3, writers: 3, readers: 4, seed: SEED, requestTimeoutMs: 3_000 }).start();
    try {
      await workload.waitForAnswered({ reads: 30, writes: 20 }, 30_000);
      const leader = await cluster.waitForLeader();
      const others = cluster.ids().filter((id) => id !== leader);
      cluster.isolate(leader);
      await cluster.waitForLeader({ among: others, exclude: [leader], timeoutMs: 15_000 });
      // Operations sent to the isolated old leader must fail, not answer from its stale state.
      await workload.waitForAnswered({ reads: 30, writes: 20 }, 30_000);
      await sleep(1_000);
      cluster.heal();
      await cluster.waitForLeader({ timeoutMs: 15_000 });
      await workload.waitForAnswered({ reads: 30, writes: 20 }, 30_000);
    } finally {
      await workload.stop();
    }
    t.diagnostic(`seed ${SEED}: ${workload.summary()}`);
    const result = workload.check();
    if (result.ok !== true) {
      const key = result.key;
      const file = join(cluster.root, `history-${key}.txt`);
      writeFileSync(file, workload.describeKey(key) + '\n');
      const tail = workload.describeKey(key).split('\n').slice(-40).join('\n');
      assert.fail(`seed ${SEED}: ${result.ok === false ? result.reason : `checker gave up on key ${key}`}; whole history in ${file}; its end:\n${tail}`);
    }
    await cluster.waitForConvergence();
  });
});
