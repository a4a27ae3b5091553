// Partition the leader of a three-node cluster from the other two under write load, then heal.
// The majority side elects a leader and keeps acknowledging writes; the isolated old leader
// stops claiming it can serve linearizable reads (/health/ready turns 503); after the heal it
// rejoins, and every acknowledged write is on every node with identical dataset hashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteLoad, checkAcknowledgedWrites, httpRequest, sleep, withCluster } from './cluster-harness.ts';

const NOT_READY_MS_MAX = 10_000;

test('partition the leader from the rest, then heal', { timeout: 300_000 }, async (t) => {
  await withCluster({ name: 'partition' }, async (cluster) => {
    const load = new WriteLoad(cluster, { clients: 4, requestTimeoutMs: 2_000 }).start();
    try {
      await load.waitForAcknowledged(40, 15_000);
      const leader = await cluster.waitForLeader();
      const others = cluster.ids().filter((id) => id !== leader);
      cluster.isolate(leader);
      const next = await cluster.waitForLeader({ among: others, exclude: [leader], timeoutMs: 15_000 });
      t.diagnostic(`isolated leader ${leader}; ${next} leads the majority`);
      await load.waitForAcknowledged(40, 15_000);

      // The isolated node cannot answer a linearizable read: it must say so, within a bound.
      const started = Date.now();
      let ready = await httpRequest(cluster.node(leader).url, '/health/ready', { timeoutMs: 1_000 });
      while (ready.status === 200 && Date.now() - started < NOT_READY_MS_MAX) {
        await sleep(100);
        ready = await httpRequest(cluster.node(leader).url, '/health/ready', { timeoutMs: 1_000 });
      }
      assert.notEqual(ready.status, 200, `isolated ${leader} still reports ready after ${NOT_READY_MS_MAX} ms: ${ready.body}`);

      cluster.heal();
      await load.waitForAcknowledged(40, 15_000);
    } finally {
      await load.stop();
    }
    t.diagnostic(load.summary());
    const report = await checkAcknowledgedWrites(cluster, [load]);
    t.diagnostic(`converged at ${report.converged.appliedIndex}: ${report.acknowledged} acknowledged, ${report.unknownApplied}/${report.unknown} unknown writes applied`);
  });
});
