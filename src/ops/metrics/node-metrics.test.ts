// Every Raft and store metric family moves when its cause happens, on a real 3-node cluster in
// this process (each node with a registry of its own), read from the exposition text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { Registry } from 'prom-client';
import { NodeMetrics } from './node-metrics.ts';
import { withCluster, leaderOf, insert, until, startMember, stopMember, type Member } from '../../../test/support/in-process-cluster.ts';
import { parsePrometheusText, sampleValue, type Sample } from '../../../test/support/prometheus-text.ts';

function metricsFor(ids: string[]): Map<string, NodeMetrics> {
  return new Map(ids.map((id) => [id, new NodeMetrics({ registry: new Registry() })]));
}

async function scrape(metrics: NodeMetrics): Promise<Sample[]> {
  return parsePrometheusText(await metrics.text());
}

/** Polls a metric until `accept` holds (scrape-time gauges follow the node within a Ready or two). */
async function untilMetric(metrics: NodeMetrics, name: string, labels: Record<string, string>, accept: (value: number | undefined) => boolean, what: string): Promise<number | undefined> {
  let last: number | undefined;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    last = sampleValue(await scrape(metrics), name, labels);
    if (accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  assert.fail(`${what}: ${name}${JSON.stringify(labels)} is ${last}`);
}

const ids = ['n1', 'n2', 'n3'];

test('raft, log and store metrics move with writes, a stopped peer, a failed proposal and a leadership transfer', async () => {
  const all = metricsFor(ids);
  await withCluster(async (members) => {
    for (const member of members) all.get(member.id)!.observe(member.node);
    const leader = leaderOf(members);
    const followers = members.filter((m) => m !== leader);
    const lm = all.get(leader.id)!;
    let before = await scrape(lm);
    assert.equal(sampleValue(before, 'oxirs_raft_role', { role: 'leader' }), 1);
    assert.equal(sampleValue(before, 'oxirs_raft_role', { role: 'follower' }), 0);
    assert.equal(sampleValue(before, 'oxirs_raft_has_leader'), 1);
    assert.ok(sampleValue(before, 'oxirs_raft_term')! >= 1);
    assert.ok(sampleValue(before, 'oxirs_raft_leader_changes_total')! >= 1);
    assert.ok(sampleValue(before, 'oxirs_disk_free_ratio')! > 0 && sampleValue(before, 'oxirs_disk_free_ratio')! <= 1);
    assert.ok(sampleValue(before, 'oxirs_store_size_bytes')! > 0);
    // Per-peer series on the leader only.
    for (const f of followers) assert.equal(sampleValue(before, 'oxirs_raft_peer_reachable', { peer: f.id }), 1);
    const followerSamples = await scrape(all.get(followers[0].id)!);
    assert.equal(followerSamples.some((s) => s.name.startsWith('oxirs_raft_peer_')), false, 'a follower exports no per-peer series');
    assert.equal(sampleValue(followerSamples, 'oxirs_raft_role', { role: 'follower' }), 1);

    // Writes: committed proposals, latencies, indexes, store counts.
    let last = 0;
    for (let i = 0; i < 5; i++) last = (await leader.node.write({ kind: 'update', text: `INSERT DATA { GRAPH <urn:g:${i}> { <urn:s:${i}> <urn:p> ${i} } }` }, { timeoutMs: 5000 })).index;
    const followerWrite = await followers[0].node.write(insert(100), { timeoutMs: 5000 });
    await until('every node applied', () => members.every((m) => m.node.appliedIndex() >= followerWrite.index));
    let after = await scrape(lm);
    assert.equal(sampleValue(after, 'oxirs_raft_proposals_committed_total')! - sampleValue(before, 'oxirs_raft_proposals_committed_total')!, 5);
    assert.equal(sampleValue(after, 'oxirs_raft_commit_duration_seconds_count')! - sampleValue(before, 'oxirs_raft_commit_duration_seconds_count')!, 5);
    assert.ok(sampleValue(after, 'oxirs_raft_append_duration_seconds_count')! > sampleValue(before, 'oxirs_raft_append_duration_seconds_count')!);
    assert.ok(sampleValue(after, 'oxirs_wal_fsync_duration_seconds_count')! > sampleValue(before, 'oxirs_wal_fsync_duration_seconds_count')!);
    assert.ok(sampleValue(after, 'oxirs_raft_commit_index')! >= followerWrite.index);
    assert.ok(sampleValue(after, 'oxirs_raft_applied_index')! >= followerWrite.index && sampleValue(after, 'oxirs_raft_applied_index')! > last - 1);
    assert.equal(sampleValue(after, 'oxirs_raft_apply_lag_entries'), sampleValue(after, 'oxirs_raft_commit_index')! - sampleValue(after, 'oxirs_raft_applied_index')!);
    assert.equal(sampleValue(after, 'oxirs_store_quads')! - sampleValue(before, 'oxirs_store_quads')!, 6);
    assert.equal(sampleValue(after, 'oxirs_store_graphs')! - sampleValue(before, 'oxirs_store_graphs')!, 5);
    await untilMetric(lm, 'oxirs_raft_peer_match_index', { peer: followers[0].id }, (v) => v !== undefined && v >= followerWrite.index, 'the follower\'s match index');
    // The follower that proposed counts its own proposal.
    assert.equal(sampleValue(await scrape(all.get(followers[0].id)!), 'oxirs_raft_proposals_committed_total'), 1);

    // A stopped peer: unreachable on the leader, and it lags.
    const stopped = followers[1];
    await stopMember(stopped);
    await untilMetric(lm, 'oxirs_raft_peer_reachable', { peer: stopped.id }, (v) => v === 0, 'the stopped peer');
    await leader.node.write(insert(101), { timeoutMs: 5000 });
    await untilMetric(lm, 'oxirs_raft_peer_lag_entries', { peer: stopped.id }, (v) => v !== undefined && v >= 1, 'the stopped peer\'s lag');
    members.splice(members.indexOf(stopped), 1);

    // Leadership moves: the old leader's role gauge drops and the other node sees a new leader.
    const next = followers[0];
    const nm = all.get(next.id)!;
    before = await scrape(nm);
    await leader.node.transferLeader(next.id, 5000);
    await untilMetric(nm, 'oxirs_raft_role', { role: 'leader' }, (v) => v === 1, 'the new leader');
    await untilMetric(lm, 'oxirs_raft_role', { role: 'leader' }, (v) => v === 0, 'the old leader');
    assert.equal(sampleValue(await scrape(lm), 'oxirs_raft_peer_reachable', { peer: next.id }), undefined, 'a former leader removes its per-peer series');
    after = await scrape(nm);
    assert.ok(sampleValue(after, 'oxirs_raft_leader_changes_total')! > sampleValue(before, 'oxirs_raft_leader_changes_total')!);

    // Without a quorum a proposal fails (refused or timed out): counted on the proposer.
    before = await scrape(lm);
    await stopMember(next);
    members.splice(members.indexOf(next), 1);
    await assert.rejects(leader.node.write(insert(102), { timeoutMs: 300 }));
    after = await scrape(lm);
    assert.equal(sampleValue(after, 'oxirs_raft_proposals_failed_total')! - sampleValue(before, 'oxirs_raft_proposals_failed_total')!, 1);
  }, (id) => ({ metrics: all.get(id)!.raftSink }));
});

test('a member that needs a snapshot counts it sent on the leader and received on itself', async () => {
  const all = metricsFor([...ids, 'n1-restarted', 'n2-restarted', 'n3-restarted']);
  await withCluster(
    async (members) => {
      const leader = leaderOf(members);
      const lagging = members.find((m) => m !== leader)!;
      await stopMember(lagging);
      let last = 0;
      for (let i = 0; i < 300; i++) last = (await leader.node.write(insert(i), { timeoutMs: 5000 })).index;
      const restartedMetrics = all.get(`${lagging.id}-restarted`)!;
      const restarted: Member = await startMember(lagging.id, lagging.dir, lagging.raftAddr, { initialCluster: Object.fromEntries(members.map((m) => [m.id, m.raftAddr])), clusterSecret: 's', metrics: restartedMetrics.raftSink });
      members[members.indexOf(lagging)] = restarted;
      await restarted.node.readBarrier({ kind: 'minIndex', index: last }, 10_000);
      assert.ok(sampleValue(await scrape(restartedMetrics), 'oxirs_raft_snapshots_received_total')! >= 1);
      await untilMetric(all.get(leader.id)!, 'oxirs_raft_snapshots_sent_total', {}, (v) => v !== undefined && v >= 1, 'the snapshot sent');
    },
    (id) => ({ metrics: all.get(id)!.raftSink, compactLogBytes: 4096 }),
  );
});

test('apply lag rises while a follower cannot apply, and falls back to 0; free disk follows the filesystem', async () => {
  const all = metricsFor(ids);
  await withCluster(async (members) => {
    for (const member of members) all.get(member.id)!.observe(member.node);
    const leader = leaderOf(members);
    const follower = members.find((m) => m !== leader)!;
    const fm = all.get(follower.id)!;
    assert.equal(sampleValue(await scrape(fm), 'oxirs_raft_apply_lag_entries'), 0);
    // Hold the follower's store: its next apply waits behind this transaction.
    let release!: () => void;
    const held = follower.node.store.write(() => new Promise<void>((resolve) => (release = resolve)));
    try {
      // The second write carries the commit of the first to the follower.
      await leader.node.write(insert(1), { timeoutMs: 5000 });
      await leader.node.write(insert(2), { timeoutMs: 5000 });
      await untilMetric(fm, 'oxirs_raft_apply_lag_entries', {}, (v) => v !== undefined && v >= 1, 'the held follower\'s apply lag');
    } finally {
      release();
      await held;
    }
    await untilMetric(fm, 'oxirs_raft_apply_lag_entries', {}, (v) => v === 0, 'the released follower\'s apply lag');

    const fs = statfsSync(follower.dir);
    const expected = Number(fs.bavail) / Number(fs.blocks);
    assert.ok(Math.abs(sampleValue(await scrape(fm), 'oxirs_disk_free_ratio')! - expected) < 0.01, 'the free disk ratio is the filesystem\'s');
  }, (id) => ({ metrics: all.get(id)!.raftSink }));
});
