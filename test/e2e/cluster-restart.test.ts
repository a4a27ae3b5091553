// Restart every node of a three-node cluster: first one at a time under write load (SIGTERM,
// then start on the same data dir), then all at once with kill -9 after the load. Every
// acknowledged write is still there on every node, with identical dataset hashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteLoad, checkAcknowledgedWrites, withCluster } from './cluster-harness.ts';

test('restart every node: one at a time under load, then all at once after kill -9', { timeout: 300_000 }, async (t) => {
  await withCluster({ name: 'restart' }, async (cluster) => {
    const load = new WriteLoad(cluster, { clients: 4, requestTimeoutMs: 2_000 }).start();
    try {
      await load.waitForAcknowledged(30, 15_000);
      for (const id of cluster.ids()) {
        await cluster.restart(id, 'SIGTERM');
        await cluster.waitForLeader({ timeoutMs: 15_000 });
        await load.waitForAcknowledged(30, 15_000);
      }
    } finally {
      await load.stop();
    }
    t.diagnostic(load.summary());
    const before = await checkAcknowledgedWrites(cluster, [load]);

    await Promise.all(cluster.ids().map((id) => cluster.kill(id)));
    await Promise.all(cluster.ids().map((id) => cluster.node(id).start()));
    await cluster.waitForLeader({ timeoutMs: 20_000 });
    const after = await checkAcknowledgedWrites(cluster, [load]);
    assert.ok(after.converged.appliedIndex >= before.converged.appliedIndex, 'the applied index does not go back');
    assert.equal(after.converged.hash, before.converged.hash, 'the same dataset after a full restart');
    assert.equal(after.unknownApplied, before.unknownApplied);
    t.diagnostic(`converged at ${after.converged.appliedIndex} (${after.converged.quads} quads) after restarting all`);
  });
});
