// ReadIndex rounds are re-issued every 2 heartbeats (100 ms) under a new context, and the answer
// to an earlier context is ignored. When a round trip takes longer than that (a link with 60 ms
// one-way latency: a heartbeat round is 120 ms), no answer ever matches the current round, so
// every linearizable read times out although the cluster is healthy and writes succeed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withCluster, leaderOf, insert } from '../support/in-process-cluster.ts';

for (const latencyMs of [20, 60]) {
  test(`linearizable reads succeed with ${latencyMs} ms one-way latency between nodes`, async () => {
    await withCluster(
      async (members) => {
        const leader = leaderOf(members);
        const follower = members.find((m) => m !== leader)!;
        const written = await leader.node.write(insert(1), { timeoutMs: 5000 });
        assert.equal(written.outcome.ok, true, 'writes work');
        await leader.node.readBarrier({ kind: 'linearizable' }, 3000);
        await follower.node.readBarrier({ kind: 'linearizable' }, 3000);
      },
      { electionTimeoutMs: 1000 },
      { latencyMs },
    );
  });
}
