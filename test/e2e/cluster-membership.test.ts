// Membership changes under write load. A fourth node joins (--join: added as a learner, promoted
// once caught up), then an original follower is removed; later, in a fresh cluster, the leader
// itself is removed and must hand over. After each, the members hold every acknowledged write
// with identical dataset hashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteLoad, checkAcknowledgedWrites, withCluster } from './cluster-harness.ts';

test('a fourth node joins under load, then a follower is removed', { timeout: 300_000 }, async (t) => {
  await withCluster({ name: 'membership' }, async (cluster) => {
    const load = new WriteLoad(cluster, { clients: 4, requestTimeoutMs: 2_000 }).start();
    let removed: string;
    try {
      await load.waitForAcknowledged(40, 15_000);
      const leader = await cluster.waitForLeader();
      await cluster.joinNode('n4', leader === 'n1' ? 'n2' : 'n1');
      const joined = await cluster.waitForLeaderStatus(
        (s) => s.members.some((m) => m.id === 'n4' && m.voter),
        'n4 as a voter',
      );
      t.diagnostic(`n4 joined: ${joined.members.map((m) => `${m.id}${m.voter ? '' : '(learner)'}`).join(',')}`);
      await load.waitForAcknowledged(40, 15_000);

      const current = await cluster.waitForLeader();
      removed = cluster.ids().find((id) => id !== current && id !== 'n4')!;
      const result = await cluster.removeMember(removed, current);
      assert.ok(result.status >= 200 && result.status < 300, `DELETE /cluster/members/${removed}: ${result.status} ${result.body}`);
      await cluster.waitForLeaderStatus((s) => !s.members.some((m) => m.id === removed), `${removed} removed`);
      await load.waitForAcknowledged(40, 15_000);
    } finally {
      await load.stop();
    }
    await cluster.stop(removed);
    t.diagnostic(`removed ${removed}; ${load.summary()}`);
    const report = await checkAcknowledgedWrites(cluster, [load]);
    assert.deepEqual(report.nodes.sort(), cluster.ids().sort());
    assert.equal(report.nodes.length, 3);
    const status = await cluster.waitForLeaderStatus(() => true, 'a status');
    assert.deepEqual(status.members.map((m) => m.id).sort(), report.nodes.sort(), 'the leader lists exactly the remaining members');
  });
});

test('the leader is removed under load and hands over', { timeout: 300_000 }, async (t) => {
  await withCluster({ name: 'remove-leader' }, async (cluster) => {
    const load = new WriteLoad(cluster, { clients: 4, requestTimeoutMs: 2_000 }).start();
    let leader: string;
    try {
      await load.waitForAcknowledged(40, 15_000);
      leader = await cluster.waitForLeader();
      const via = cluster.ids().find((id) => id !== leader)!;
      const result = await cluster.removeMember(leader, via);
      assert.ok(result.status >= 200 && result.status < 300, `DELETE /cluster/members/${leader}: ${result.status} ${result.body}`);
      const next = await cluster.waitForLeader({ exclude: [leader], timeoutMs: 15_000 });
      await cluster.waitForLeaderStatus((s) => !s.members.some((m) => m.id === leader), `${leader} removed`);
      t.diagnostic(`removed leader ${leader}; ${next} leads`);
      await load.waitForAcknowledged(40, 15_000);
    } finally {
      await load.stop();
    }
    await cluster.stop(leader);
    t.diagnostic(load.summary());
    const report = await checkAcknowledgedWrites(cluster, [load]);
    assert.equal(report.nodes.length, 2);
  });
});
