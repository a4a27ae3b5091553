// Peer authentication. A node with the wrong --cluster-secret is refused by every member: an
// outsider that names the members in its --initial-cluster never learns of a leader nor receives
// data, and a real member restarted with the wrong secret gets nothing new, while the cluster
// keeps acknowledging writes. With the right secret again, that member catches up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteLoad, checkAcknowledgedWrites, sleep, withCluster } from './cluster-harness.ts';

test('a node with the wrong cluster secret is refused while the cluster keeps working', { timeout: 300_000 }, async (t) => {
  await withCluster({ name: 'secret' }, async (cluster) => {
    const load = new WriteLoad(cluster, { clients: 4, requestTimeoutMs: 2_000 }).start();
    try {
      await load.waitForAcknowledged(30, 15_000);
      // "n0" sorts before every member, so it is the one that dials each of them.
      const outsider = await cluster.startOutsider('n0', cluster.ids(), { secret: 'not-the-secret' });
      await load.waitForAcknowledged(60, 20_000);
      const outsiderStatus = await cluster.status('n0', 5_000);
      assert.ok(outsiderStatus, 'the outsider answers /cluster/status');
      assert.ok(!outsiderStatus.leaderId || outsiderStatus.leaderId === 'n0', `the outsider learned of leader ${outsiderStatus.leaderId}`);
      const outsiderHash = await cluster.datasetHash('n0');
      assert.equal(outsiderHash?.quads, 0, `the outsider received data: ${JSON.stringify(outsiderHash)}`);
      const leaderStatus = await cluster.waitForLeaderStatus(() => true, 'a status');
      assert.ok(!leaderStatus.members.some((m) => m.id === 'n0'), 'the outsider is not a member');
      await cluster.stop(outsider.id);

      // A real member restarted with the wrong secret.
      const leader = await cluster.waitForLeader();
      const member = cluster.ids().find((id) => id !== leader)!;
      await cluster.stop(member);
      // Whatever the member can know of is committed by the other two shortly after it stops.
      await sleep(500);
      const knowable = (await cluster.waitForLeaderStatus(() => true, 'a status')).commitIndex;
      cluster.setSecret(member, 'not-the-secret');
      await cluster.node(member).start();
      await load.waitForAcknowledged(60, 20_000);
      const clusterNow = (await cluster.waitForLeaderStatus(() => true, 'a status')).commitIndex;
      const memberHash = await cluster.datasetHash(member);
      assert.ok(memberHash, `${member} answers /cluster/dataset-hash`);
      assert.ok(clusterNow > knowable + 30, `the cluster moved on (commit index ${knowable} -> ${clusterNow})`);
      assert.ok(
        memberHash.appliedIndex <= knowable,
        `${member} with the wrong secret applied index ${memberHash.appliedIndex}, beyond ${knowable}, all it had before its restart`,
      );
      const memberStatus = await cluster.status(member, 5_000);
      assert.ok(!memberStatus?.leaderId || memberStatus.leaderId === member, `${member} with the wrong secret knows leader ${memberStatus?.leaderId}`);

      cluster.setSecret(member, cluster.secret);
      await cluster.restart(member);
      await load.waitForAcknowledged(30, 15_000);
    } finally {
      await load.stop();
    }
    t.diagnostic(load.summary());
    const report = await checkAcknowledgedWrites(cluster, [load]);
    assert.equal(report.nodes.length, 3);
  });
});
