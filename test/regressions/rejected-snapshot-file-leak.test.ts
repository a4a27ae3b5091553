// A follower writes each received snapshot to <data>/raft/snapshots and remembers it in
// `receivedSnapshots` until the core accepts a snapshot at that index or later. When the core
// does not accept it (its index is at or below the commit index: a duplicate, or one from a
// leader that lost its lease and arrived late), nothing removes the file: every such transfer
// leaves a store-sized file on disk (and an entry in the map) until the process restarts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { withCluster, leaderOf, insert, until } from '../support/in-process-cluster.ts';

test('a received snapshot the core does not accept is not left on disk', async () => {
  await withCluster(async (members) => {
    const leader = leaderOf(members);
    const follower = members.find((m) => m !== leader)!;
    const written = await leader.node.write(insert(1), { timeoutMs: 5000 });
    await follower.node.readBarrier({ kind: 'minIndex', index: written.index }, 5000);
    const status = follower.node.status();
    // What the leader's transport would deliver for a (late) snapshot at index 1.
    const receive = (follower.node as unknown as { receive(from: string, message: unknown): void }).receive.bind(follower.node);
    const transferId = 'late-1';
    receive(leader.id, { t: 'snapChunk', transferId, seq: 0, data: new Uint8Array(1024) });
    receive(leader.id, {
      t: 'snapEnd',
      transferId,
      chunks: 1,
      message: { type: 'snapshot', from: leader.id, to: follower.id, term: status.term, snapshot: { metadata: { index: 1, term: 1, confState: { voters: members.map((m) => m.id).sort(), votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false } }, data: new Uint8Array() } },
    });
    const dir = join(follower.dir, 'raft', 'snapshots');
    // Give the loop time to step the message (the core answers and ignores it).
    await new Promise((resolve) => setTimeout(resolve, 500));
    await until('the follower to still be healthy', () => follower.node.status().leaderId === leader.id);
    assert.deepEqual(readdirSync(dir), [], 'the rejected snapshot file was left behind');
  });
});
