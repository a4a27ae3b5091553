// The cluster overview (what the dashboard shows) from any node: a follower answers with the
// leader's status fetched over the peer RPC, the leader marks a stopped member unreachable, and a
// node that knows no leader answers with its own status, saying so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaderOf, stopMember, withCluster } from '../../test/support/in-process-cluster.ts';
import type { ClusterOverview } from './cluster-node.ts';

const OVERVIEW_TIMEOUT_MS = 1_000;

async function overviewUntil(what: string, probe: () => Promise<ClusterOverview>, predicate: (overview: ClusterOverview) => boolean, timeoutMs = 10_000): Promise<ClusterOverview> {
  const deadline = Date.now() + timeoutMs;
  let last: ClusterOverview | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}; last overview: ${JSON.stringify(last)}`);
}

test('every node answers with the leader view; a stopped member turns unreachable; no leader: own view', async () => {
  await withCluster(async (members) => {
    const leader = leaderOf(members);
    const followers = members.filter((m) => m !== leader);

    const fromLeader = await leader.node.overview(OVERVIEW_TIMEOUT_MS);
    assert.deepEqual({ ...fromLeader }, { ...leader.node.status(), answeredBy: leader.id, leaderKnown: true });
    for (const follower of followers) {
      const overview = await follower.node.overview(OVERVIEW_TIMEOUT_MS);
      assert.equal(overview.answeredBy, follower.id);
      assert.equal(overview.nodeId, leader.id, 'a follower answers with the leader status');
      assert.equal(overview.role, 'leader');
      assert.equal(overview.leaderKnown, true);
      assert.equal(overview.leaderError, undefined);
      assert.deepEqual(overview.members.map((m) => m.id), ['n1', 'n2', 'n3']);
      // Only the leader knows every member's match index.
      assert.ok(overview.members.every((m) => m.matchIndex !== null && m.reachable));
    }

    const [stopped, remaining] = followers;
    await stopMember(stopped);
    const seen = await overviewUntil(
      `${stopped.id} unreachable in ${remaining.id}'s overview`,
      () => remaining.node.overview(OVERVIEW_TIMEOUT_MS),
      (o) => o.members.find((m) => m.id === stopped.id)?.reachable === false,
    );
    assert.equal(seen.nodeId, leader.id);
    assert.ok(seen.members.filter((m) => m.id !== stopped.id).every((m) => m.reachable));

    // Without a quorum the leader steps down (check-quorum) and no one leads.
    await stopMember(leader);
    const alone = await overviewUntil('no leader known', () => remaining.node.overview(OVERVIEW_TIMEOUT_MS), (o) => !o.leaderKnown);
    assert.equal(alone.nodeId, remaining.id);
    assert.equal(alone.answeredBy, remaining.id);
    assert.equal(alone.leaderId, null);
  });
});
