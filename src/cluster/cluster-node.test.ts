// Three ClusterNodes in this process over real TCP on 127.0.0.1: replication, forwarding,
// read consistency, idempotency, membership, and a snapshot for a node that fell behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuadStore } from '../store/quad-store.ts';
import { iriKey } from '../rdf/term-key.ts';
import type { ClusterNodeOptions } from './cluster-node.ts';
import { ClusterError } from './cluster-errors.ts';
import { freePort } from '../../test/e2e/node-process.ts';
import { leaderOf, startMember as startClusterMember, stopMember, withCluster as withInProcessCluster, insert, type Member } from '../../test/support/in-process-cluster.ts';

/** Faster than the defaults, so elections in these tests take a fraction of a second. */
const TIMING = { heartbeatIntervalMs: 20, electionTimeoutMs: 200 };
const SECRET = 's';

const startMember = (id: string, dir: string, raftAddr: string, extra: Partial<ClusterNodeOptions>) => startClusterMember(id, dir, raftAddr, { ...TIMING, ...extra });
const withCluster = (body: (members: Member[], root: string) => Promise<void>, extra: Partial<ClusterNodeOptions> = {}) =>
  withInProcessCluster((members, { root }) => body(members, root), { ...TIMING, clusterSecret: SECRET, ...extra });

function count(member: Member, subject: string): number {
  const snapshot = member.store.snapshot();
  try {
    const id = snapshot.lookup(iriKey(subject));
    return id === undefined ? 0 : [...snapshot.match({ subject: id })].length;
  } finally {
    snapshot.release();
  }
}


test('a write through a follower is applied on every member, in the same order, with the same bytes', async () => {
  await withCluster(async (members) => {
    const leader = leaderOf(members);
    const follower = members.find((m) => m !== leader)!;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? leader : follower).node.write(insert(i), { timeoutMs: 5000 })));
    for (const result of results) assert.deepEqual(result.outcome, { ok: true, insertedQuads: 1, removedQuads: 0 });
    const last = Math.max(...results.map((r) => r.index));
    for (const member of members) await member.node.readBarrier({ kind: 'minIndex', index: last }, 5000);
    const hashes = members.map((m) => m.node.datasetHash());
    assert.equal(hashes[0].quads, 50);
    for (const hash of hashes) assert.deepEqual(hash, hashes[0]);
  });
});

test('a linearizable read on a follower sees a write acknowledged by another node', async () => {
  await withCluster(async (members) => {
    const leader = leaderOf(members);
    const followers = members.filter((m) => m !== leader);
    for (let i = 0; i < 20; i++) {
      await followers[i % 2].node.write(insert(i), { timeoutMs: 5000 });
      const reader = followers[(i + 1) % 2];
      await reader.node.readBarrier({ kind: 'linearizable' }, 5000);
      assert.equal(count(reader, `urn:s:${i}`), 1, `write ${i} not visible to a linearizable read`);
    }
  });
});

test('a min-index read on a follower does not wait for the next heartbeat to learn of a commit', async () => {
  // Heartbeats 1 s apart: a follower that only learnt of commits from them would wait 0.5 s on
  // average, and 10 reads in a row would not all be served within 300 ms.
  await withCluster(
    async (members) => {
      const leader = leaderOf(members);
      const followers = members.filter((m) => m !== leader);
      for (let i = 0; i < 10; i++) {
        const { index } = await leader.node.write(insert(i), { timeoutMs: 5000 });
        const startedAtMs = performance.now();
        await followers[i % 2].node.readBarrier({ kind: 'minIndex', index }, 5000);
        const waitedMs = performance.now() - startedAtMs;
        assert.ok(waitedMs < 300, `the follower waited ${Math.round(waitedMs)} ms for index ${index}`);
        assert.equal(count(followers[i % 2], `urn:s:${i}`), 1);
      }
    },
    { heartbeatIntervalMs: 1000, electionTimeoutMs: 2000 },
  );
});

test('a retried write with the same Idempotency-Key applies once and gets the first outcome', async () => {
  await withCluster(async (members) => {
    const text = 'INSERT { <urn:counter> <urn:tick> ?u } WHERE { BIND(UUID() AS ?u) }';
    const first = await members[0].node.write({ kind: 'update', text }, { idempotencyKey: 'k1', timeoutMs: 5000 });
    const retry = await members[1].node.write({ kind: 'update', text }, { idempotencyKey: 'k1', timeoutMs: 5000 });
    assert.deepEqual(retry.outcome, first.outcome);
    await members[2].node.readBarrier({ kind: 'minIndex', index: retry.index }, 5000);
    assert.equal(count(members[2], 'urn:counter'), 1);
    const other = await members[2].node.write({ kind: 'update', text }, { idempotencyKey: 'k2', timeoutMs: 5000 });
    await members[0].node.readBarrier({ kind: 'minIndex', index: other.index }, 5000);
    assert.equal(count(members[0], 'urn:counter'), 2);
  });
});

test('a write that fails when applied fails the same way on every member and changes nothing', async () => {
  await withCluster(async (members) => {
    await members[0].node.write({ kind: 'update', text: 'CREATE GRAPH <urn:g>' }, { timeoutMs: 5000 });
    const batch = await Promise.all([
      members[1].node.write(insert(1), { timeoutMs: 5000 }),
      members[1].node.write({ kind: 'update', text: 'INSERT DATA { <urn:s:2> <urn:p> "2" } ; CREATE GRAPH <urn:g>' }, { timeoutMs: 5000 }),
      members[1].node.write(insert(3), { timeoutMs: 5000 }),
    ]);
    assert.equal(batch[1].outcome.ok, false);
    assert.equal(!batch[1].outcome.ok && batch[1].outcome.code, 'update_failed');
    const last = Math.max(...batch.map((r) => r.index));
    for (const member of members) {
      await member.node.readBarrier({ kind: 'minIndex', index: last }, 5000);
      assert.deepEqual([count(member, 'urn:s:1'), count(member, 'urn:s:2'), count(member, 'urn:s:3')], [1, 0, 1], member.id);
    }
  });
});

test('the leader hands over leadership, and a follower without a quorum refuses linearizable reads', async () => {
  await withCluster(async (members) => {
    const leader = leaderOf(members);
    const target = members.find((m) => m !== leader)!;
    const status = await members.find((m) => m !== leader && m !== target)!.node.transferLeader(target.id, 5000);
    assert.equal(status.leaderId, target.id);
    // Stop the two others: the remaining node can no longer confirm a read index.
    const alone = members.find((m) => m !== target)!;
    for (const member of members) if (member !== alone) await member.node.close();
    await assert.rejects(alone.node.readBarrier({ kind: 'linearizable' }, 1500), (error: unknown) => error instanceof ClusterError && ['no_quorum', 'no_leader'].includes(error.code));
    await alone.node.readBarrier({ kind: 'stale' }, 10);
  });
});

test('a member that missed compacted entries catches up from a snapshot; a new learner joins and is promoted', async () => {
  await withCluster(
    async (members, root) => {
      const leader = leaderOf(members);
      const lagging = members.find((m) => m !== leader)!;
      await stopMember(lagging);
      let last = 0;
      for (let i = 0; i < 300; i++) last = (await leader.node.write(insert(i), { timeoutMs: 5000 })).index;
      const restarted = await startMember(lagging.id, lagging.dir, lagging.raftAddr, { initialCluster: Object.fromEntries(members.map((m) => [m.id, m.raftAddr])), clusterSecret: SECRET });
      members[members.indexOf(lagging)] = restarted;
      await restarted.node.readBarrier({ kind: 'minIndex', index: last }, 10_000);
      assert.deepEqual(restarted.node.datasetHash(), leader.node.datasetHash());

      const n4Addr = `127.0.0.1:${await freePort()}`;
      const known = Object.fromEntries(members.map((m) => [m.id, m.raftAddr]));
      await leader.node.addMember('n4', n4Addr, true, 5000);
      const n4 = await startMember('n4', join(root, 'n4'), n4Addr, { knownPeers: known, clusterSecret: SECRET });
      members.push(n4);
      await n4.node.readBarrier({ kind: 'minIndex', index: last }, 10_000);
      assert.equal(n4.node.status().role, 'learner');
      // Any member hands the promotion to the leader, which agrees once it saw n4 catch up.
      for (let attempt = 0; ; attempt++) {
        try {
          await n4.node.promoteMember('n4', 5000);
          break;
        } catch (error) {
          if (!(error instanceof ClusterError && error.code === 'not_caught_up') || attempt > 100) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      const status = leaderOf(members).node.status();
      assert.equal(status.members.find((m) => m.id === 'n4')?.voter, true);
      const removed = await n4.node.removeMember(restarted.id, 5000);
      assert.equal(removed.members.some((m) => m.id === restarted.id), false);
    },
    { compactLogBytes: 4096 },
  );
});

test('an entry this version cannot apply stops the node before its applied index moves', async () => {
  const { StateMachine } = await import('./state-machine.ts');
  const { pack } = await import('msgpackr');
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-unknown-kind-'));
  const store = QuadStore.open({ path: dir });
  try {
    const machine = new StateMachine(store, () => {
      throw new Error('no configuration change expected');
    });
    const entry = (index: number, data: unknown) => ({ index, term: 1, type: 'normal' as const, data: pack(data) });
    await machine.apply([entry(1, { v: 1, requestId: 'a', timeMs: 0, command: { kind: 'data', operations: [] } })]);
    assert.equal(machine.applied.index, 1);
    await assert.rejects(machine.apply([entry(2, { v: 1, requestId: 'b', timeMs: 0, command: { kind: 'fromTheFuture' } })]), /unknown command kind/);
    await assert.rejects(machine.apply([entry(2, { v: 2, requestId: 'c', timeMs: 0, command: { kind: 'data', operations: [] } })]), /encoding version 2/);
    assert.equal(machine.applied.index, 1);
    machine.reload();
    assert.equal(machine.applied.index, 1);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
