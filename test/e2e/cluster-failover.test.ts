// kill -9 the leader of a three-node cluster under write load: a new leader is elected, writes
// are acknowledged again, the old leader restarts on its data and catches up, and every
// acknowledged write is on every node, with identical dataset hashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteLoad, checkAcknowledgedWrites, withCluster } from './cluster-harness.ts';

test('kill -9 the leader under write load', { timeout: 300_000 }, async (t) => {
  await withCluster({ name: 'failover' }, async (cluster) => {
    const load = new WriteLoad(cluster, { clients: 4 }).start();
    try {
      await load.waitForAcknowledged(40, 15_000);
      const leader = await cluster.waitForLeader();
      await cluster.kill(leader);
      const killedAt = Date.now();
      const next = await cluster.waitForLeader({ exclude: [leader], timeoutMs: 15_000 });
      t.diagnostic(`killed leader ${leader}; ${next} leads after ${Date.now() - killedAt} ms`);
      await load.waitForAcknowledged(40, 15_000);
      await cluster.restart(leader);
      await load.waitForAcknowledged(40, 15_000);
    } finally {
      await load.stop();
    }
    t.diagnostic(load.summary());
    const report = await checkAcknowledgedWrites(cluster, [load]);
    assert.equal(report.nodes.length, 3);
    t.diagnostic(`converged at ${report.converged.appliedIndex}: ${report.acknowledged} acknowledged, ${report.unknownApplied}/${report.unknown} unknown writes applied`);
  });
});
