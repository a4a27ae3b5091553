import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterStatus } from '../../cluster/cluster-node.ts';
import { MetricSource } from './metric-source.ts';
import { peerReachabilityFallback } from './peer-reachability-fallback.ts';

const member = (id: string, reachable: boolean) => ({ id, raftAddr: null, voter: true, matchIndex: 0, lagEntries: 0, reachable });

test('on the leader: one series per peer; elsewhere: none', async () => {
  let status: ClusterStatus = { nodeId: 'n1', role: 'leader', term: 2, leaderId: 'n1', commitIndex: 5, appliedIndex: 5, members: [member('n1', true), member('n2', false), member('n3', true)] };
  const source = new MetricSource(peerReachabilityFallback(() => status));
  const read = async () => (await source.read('oxirs_raft_peer_reachable'))!.samples.map((s) => `${s.labels.peer}=${s.value}`).sort();
  assert.deepEqual(await read(), ['n2=0', 'n3=1']);
  status = { ...status, role: 'follower', leaderId: 'n2' };
  assert.deepEqual(await read(), []);
});
