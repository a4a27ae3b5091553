// Scripted edge cases, each a short transcript over a synchronous network (sync-network.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncNetwork } from './sync-network.ts';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i + 1}`);

test('a leader is elected and replicates a proposal to everyone', () => {
  const net = new SyncNetwork(ids(3));
  net.campaign('n1');
  assert.deepEqual(net.leaderIds(), ['n1']);
  assert.ok(net.propose('n1', 'a'));
  for (const id of ids(3)) assert.deepEqual(net.appliedData(id), ['a']);
});

test('a follower forwards proposals to the leader', () => {
  const net = new SyncNetwork(ids(3));
  net.campaign('n1');
  assert.ok(net.propose('n3', 'from-follower'));
  for (const id of ids(3)) assert.deepEqual(net.appliedData(id), ['from-follower']);
});

test('a partitioned old leader comes back, steps down, and loses its uncommitted entry', () => {
  const net = new SyncNetwork(ids(3));
  net.campaign('n1');
  net.propose('n1', 'committed');
  net.isolate('n1');
  net.propose('n1', 'lost'); // appended on n1 only: never committed
  net.campaign('n2');
  assert.equal(net.raw('n2').raft.role, 'leader');
  net.propose('n2', 'new');
  net.heal();
  net.tick(1); // n1's heartbeat reaches the others with a stale term; it learns of term 3
  net.tick(2);
  assert.equal(net.raw('n1').raft.role, 'follower');
  net.propose('n2', 'after');
  for (const id of ids(3)) assert.deepEqual(net.appliedData(id), ['committed', 'new', 'after']);
});

test('a node with a shorter log is refused votes (paper 5.4.1)', () => {
  const net = new SyncNetwork(ids(3));
  net.campaign('n1');
  net.isolate('n3');
  net.propose('n1', 'x');
  net.heal();
  const beforeTerm = net.raw('n3').raft.term;
  net.dropIf = (m) => m.from === 'n1'; // keep n1 quiet so n3's campaign is judged on logs alone
  net.campaign('n3');
  assert.equal(net.raw('n3').raft.role, 'candidate');
  assert.equal(net.raw('n3').raft.term, beforeTerm + 1);
  assert.notEqual(net.raw('n2').raft.vote, 'n3');
  net.dropIf = null;
  net.campaign('n2');
  assert.deepEqual(net.leaderIds(), ['n2']);
  net.propose('n2', 'y');
  for (const id of ids(3)) assert.deepEqual(net.appliedData(id), ['x', 'y']);
});

test('Figure 8: a leader does not commit an entry of an older term by counting replicas (paper 5.4.2)', () => {
  const net = new SyncNetwork(ids(5), { config: { maxSizePerMsgBytes: 1 } });
  net.campaign('n1'); // term 2, no-op at index 2 committed everywhere
  // (a) n1 appends "x" at index 3 (term 2) and replicates it only to n2.
  for (const id of ['n3', 'n4', 'n5']) net.cutLink('n1', id);
  net.propose('n1', 'x');
  assert.equal(net.node('n2').storage.lastIndex(), 3);
  net.crash('n1');
  net.heal();
  // (b) n5 wins term 3 with n3 and n4, appends its no-op at index 3 but replicates nothing.
  net.cutLink('n5', 'n2');
  net.dropIf = (m) => m.from === 'n5' && m.type === 'append';
  net.campaign('n5');
  assert.equal(net.raw('n5').raft.role, 'leader');
  assert.equal(net.raw('n5').raft.log.term(3), 3);
  net.crash('n5');
  net.heal();
  // (c) n1 restarts and wins term 4; it replicates index 3 (term 2) to n3 but its own term-4
  // entry reaches nobody. "x" is now on a majority (n1, n2, n3) but must NOT count as committed.
  net.start('n1');
  const holdsX = (id: string): boolean => {
    const t = net.node(id).storage.term(3);
    return t.ok && t.value === 2;
  };
  // Appends carrying the term-4 entry are lost whenever they would be accepted.
  net.dropIf = (m) => m.from === 'n1' && m.type === 'append' && m.entries.some((e) => e.index >= 4) && holdsX(m.to);
  net.campaign('n1'); // term 3: refused, n3 and n4 voted for n5 in term 3
  net.campaign('n1'); // term 4
  assert.equal(net.raw('n1').raft.role, 'leader');
  assert.equal(net.raw('n1').raft.term, 4);
  assert.deepEqual(net.node('n3').storage.term(3), { ok: true, value: 2 }, 'n3 now holds x (term 2) at index 3');
  assert.equal(net.raw('n1').raft.log.committed, 2, 'an entry of term 2 must not be committed by counting in term 4');
  // (d) n1 crashes; n5 (last term 3) can win with n2, n3, n4 and overwrite index 3: safe only
  // because "x" was never committed.
  net.crash('n1');
  net.dropIf = null;
  net.start('n5');
  net.campaign('n5'); // term 4: refused (they voted for n1 in term 4)
  net.campaign('n5'); // term 5: n5's last term 3 beats their last term 2
  assert.equal(net.raw('n5').raft.role, 'leader');
  net.propose('n5', 'y');
  for (const id of ['n2', 'n3', 'n4', 'n5']) assert.deepEqual(net.appliedData(id), ['y']);
  assert.deepEqual(net.appliedData('n1'), []);
});

test('a configuration change interrupted by a leader crash is either applied everywhere or nowhere', () => {
  const net = new SyncNetwork(ids(3));
  net.addEmptyNode('n4');
  net.campaign('n1');
  net.cutLink('n1', 'n2');
  net.cutLink('n1', 'n3');
  assert.ok(net.raw('n1').proposeConfChange({ transition: 'auto', changes: [{ type: 'addVoter', nodeId: 'n4' }] }).ok);
  net.settle();
  net.crash('n1'); // the change is only in n1's log
  net.heal();
  net.campaign('n2');
  assert.equal(net.raw('n2').raft.role, 'leader');
  net.propose('n2', 'z');
  assert.deepEqual(net.node('n2').confState.voters, ['n1', 'n2', 'n3']);
  net.start('n1');
  net.tick(3);
  // n1's uncommitted change was overwritten; a new change now goes through.
  assert.deepEqual(net.node('n1').confState.voters, ['n1', 'n2', 'n3']);
  assert.ok(net.raw('n2').proposeConfChange({ transition: 'auto', changes: [{ type: 'addVoter', nodeId: 'n4' }] }).ok);
  net.settle();
  net.tick(3);
  for (const id of ids(4)) assert.deepEqual(net.node(id).confState.voters, ['n1', 'n2', 'n3', 'n4']);
  net.propose('n2', 'w');
  for (const id of ids(4)) assert.deepEqual(net.appliedData(id).slice(-1), ['w']);
});

test('joint consensus: replacing two voters at once goes through C_old,new and leaves it automatically', () => {
  const net = new SyncNetwork(ids(3));
  net.addEmptyNode('n4');
  net.addEmptyNode('n5');
  net.campaign('n1');
  const cc = { transition: 'auto' as const, changes: [{ type: 'addVoter' as const, nodeId: 'n4' }, { type: 'addVoter' as const, nodeId: 'n5' }, { type: 'removeNode' as const, nodeId: 'n3' }] };
  assert.ok(net.raw('n1').proposeConfChange(cc).ok);
  net.settle();
  net.tick(3);
  for (const id of ['n1', 'n2', 'n4', 'n5']) {
    assert.deepEqual(net.node(id).confState.voters, ['n1', 'n2', 'n4', 'n5']);
    assert.deepEqual(net.node(id).confState.votersOutgoing, []);
  }
  // In the new configuration n3 no longer counts: with n3 and n4 down, n1, n2, n5 still commit.
  net.crash('n3');
  net.crash('n4');
  assert.ok(net.propose('n1', 'after-joint'));
  assert.deepEqual(net.appliedData('n5').slice(-1), ['after-joint']);
});

test('leadership transfer to a node that is behind: it is caught up first, then takes over', () => {
  const net = new SyncNetwork(ids(3));
  net.campaign('n1');
  net.isolate('n3');
  for (let i = 0; i < 5; i++) net.propose('n1', `e${i}`);
  net.heal();
  assert.ok(net.raw('n1').transferLeader('n3').ok);
  net.settle();
  assert.equal(net.raw('n3').raft.role, 'leader');
  assert.equal(net.raw('n1').raft.role, 'follower');
  net.propose('n3', 'after-transfer');
  for (const id of ids(3)) assert.deepEqual(net.appliedData(id), ['e0', 'e1', 'e2', 'e3', 'e4', 'after-transfer']);
});

test('proposals are refused while a transfer is in progress, and a stuck transfer is abandoned', () => {
  const net = new SyncNetwork(ids(3));
  net.campaign('n1');
  net.isolate('n3');
  net.raw('n1').transferLeader('n3');
  net.settle();
  assert.equal(net.raw('n1').propose(new TextEncoder().encode('during')).ok, false);
  net.tick(10); // one election timeout
  assert.equal(net.raw('n1').raft.leadTransferee, null);
  assert.ok(net.propose('n1', 'after'));
});

test('a learner never votes, never campaigns and is never counted for commit', () => {
  const net = new SyncNetwork(['n1', 'n2'], { learners: ['n3'] });
  net.campaign('n1');
  net.propose('n1', 'a');
  assert.deepEqual(net.appliedData('n3'), ['a']); // learners receive the log
  net.crash('n2');
  net.propose('n1', 'b'); // n1 + learner n3 are not a majority of {n1, n2}
  assert.deepEqual(net.appliedData('n1'), ['a']);
  assert.equal(net.node('n3').storage.lastIndex(), 4, 'the learner has the entry');
  const term = net.raw('n1').raft.term;
  net.tick(100);
  assert.equal(net.raw('n3').raft.role, 'follower', 'heartbeats keep the learner quiet');
  // Asked to campaign, a learner only pre-votes: no term changes, and its own vote never counts.
  net.raw('n3').campaign();
  net.settle();
  assert.equal(net.raw('n3').raft.role, 'preCandidate');
  assert.equal(net.raw('n1').raft.term, term);
  net.tick(1);
  assert.equal(net.raw('n3').raft.role, 'follower');
  assert.deepEqual(net.leaderIds(), ['n1']);
  net.start('n2');
  net.tick(3);
  assert.deepEqual(net.appliedData('n1'), ['a', 'b']);
});

/** Ticks until some node leads (bounded); returns its id. */
function tickUntilLeader(net: SyncNetwork): string {
  for (let t = 0; t < 200; t++) {
    const leaders = net.leaderIds();
    if (leaders.length === 1) return leaders[0];
    net.tick(1);
  }
  throw new Error('no leader within 200 ticks');
}

test('check-quorum: a leader cut off from its majority steps down', () => {
  const net = new SyncNetwork(ids(3), { config: { checkQuorum: true } });
  const leader = tickUntilLeader(net);
  net.isolate(leader);
  net.tick(20);
  assert.notEqual(net.raw(leader).raft.role, 'leader');
});

test('with check-quorum, a restarted node refuses votes for an election timeout (it may have promised a lease)', () => {
  const net = new SyncNetwork(ids(3), { config: { checkQuorum: true } });
  net.campaign('n1'); // right after start everyone is still guarding
  assert.deepEqual(net.leaderIds(), []);
  net.tick(10); // one election timeout: the guard is over
  net.campaign('n1');
  assert.ok(net.leaderIds().length === 1);
});

test('leader lease: reads are answered without a heartbeat round until the lease runs out', () => {
  const net = new SyncNetwork(ids(3), { config: { checkQuorum: true, leaseReads: true } });
  const leader = tickUntilLeader(net);
  net.propose(leader, 'v');
  net.tick(1); // a heartbeat round acknowledged by everyone: the lease starts
  const before = net.transcript.length;
  net.raw(leader).readIndex('lease-read');
  net.settle();
  assert.deepEqual(net.node(leader).readStates.at(-1), { index: net.raw(leader).raft.log.committed, context: 'lease-read' });
  assert.equal(net.transcript.length, before, 'no message was needed');
  // Cut off, the leader stops answering once its lease expires, before anyone else can lead.
  net.isolate(leader);
  net.tick(9);
  net.raw(leader).readIndex('late-read');
  net.settle();
  assert.notDeepEqual(net.node(leader).readStates.at(-1)?.context, 'late-read');
  const others = ids(3).filter((id) => id !== leader);
  for (const id of others) net.raw(id).campaign();
  net.settle();
  assert.deepEqual(net.leaderIds(), [leader], 'followers still refuse to vote while they may have promised a lease');
});

test('pre-vote: a partitioned node does not inflate its term and disrupt the leader when it returns', () => {
  const net = new SyncNetwork(ids(3), { config: { preVote: true } });
  net.campaign('n1');
  const term = net.raw('n1').raft.term;
  net.isolate('n3');
  net.tick(50);
  assert.equal(net.raw('n3').raft.term, term);
  net.heal();
  net.tick(2);
  assert.deepEqual(net.leaderIds(), ['n1']);
  assert.equal(net.raw('n1').raft.term, term);
});

test('ReadIndex on a follower is confirmed by the leader; an isolated leader cannot serve one', () => {
  const net = new SyncNetwork(ids(3));
  net.campaign('n1');
  net.propose('n1', 'v');
  net.raw('n2').readIndex('r1');
  net.settle();
  assert.deepEqual(net.node('n2').readStates, [{ index: net.raw('n1').raft.log.committed, context: 'r1' }]);
  net.isolate('n1');
  net.raw('n1').readIndex('r2');
  net.tick(3);
  assert.deepEqual(net.node('n1').readStates, [], 'no quorum confirmed the heartbeat');
});

test('a follower that fell behind a compacted log is caught up by a snapshot', () => {
  const net = new SyncNetwork(ids(3));
  net.campaign('n1');
  net.isolate('n3');
  for (let i = 0; i < 10; i++) net.propose('n1', `e${i}`);
  for (const id of ['n1', 'n2']) {
    const node = net.node(id);
    node.storage.createSnapshot(node.appliedIndex, node.confState, new Uint8Array());
    node.storage.compact(node.appliedIndex);
  }
  net.heal();
  net.tick(2);
  assert.equal(net.node('n3').storage.snapshotIndex(), net.node('n1').storage.snapshotIndex());
  assert.equal(net.raw('n3').raft.log.committed, net.raw('n1').raft.log.committed);
  net.propose('n1', 'after');
  assert.deepEqual(net.appliedData('n3'), ['after']);
});

test('after a restart, entries are applied from the applied index on, never twice', () => {
  const net = new SyncNetwork(ids(3));
  net.campaign('n1');
  net.propose('n1', 'a');
  net.propose('n1', 'b');
  const applied = net.node('n2').appliedIndex;
  net.crash('n2');
  net.start('n2'); // SyncNetwork.apply throws if an index is applied out of order
  net.propose('n1', 'c');
  assert.equal(net.node('n2').appliedIndex, applied + 1);
  assert.deepEqual(net.appliedData('n2'), ['a', 'b', 'c']);
});

test('deferred commit notices: an idle follower learns the commit with the next heartbeat; a forwarding one at once', () => {
  const net = new SyncNetwork(ids(3), { config: { deferCommitNotices: true } });
  net.campaign('n1');
  net.tick(1); // the no-op's commit reaches the followers with a heartbeat
  assert.ok(net.propose('n1', 'a'));
  assert.deepEqual(net.appliedData('n1'), ['a']);
  // Replicated and committed, but no empty append told the followers.
  for (const id of ['n2', 'n3']) {
    assert.equal(net.node(id).storage.lastIndex(), net.node('n1').storage.lastIndex());
    assert.deepEqual(net.appliedData(id), []);
  }
  net.tick(1);
  for (const id of ids(3)) assert.deepEqual(net.appliedData(id), ['a']);
  // A proposal n3 forwarded: n3 is told as soon as it commits; n2 waits for its next message.
  assert.ok(net.propose('n3', 'b'));
  assert.deepEqual(net.appliedData('n1'), ['a', 'b']);
  assert.deepEqual(net.appliedData('n3'), ['a', 'b']);
  assert.deepEqual(net.appliedData('n2'), ['a']);
  // The next append carries the commit index too.
  assert.ok(net.propose('n1', 'c'));
  assert.deepEqual(net.appliedData('n2'), ['a', 'b']);
});

test('deferred commit notices: a configuration change is told at once, so a removed member learns of its removal', () => {
  const net = new SyncNetwork(ids(3), { config: { deferCommitNotices: true } });
  net.campaign('n1');
  assert.ok(net.raw('n1').proposeConfChange({ transition: 'auto', changes: [{ type: 'removeNode', nodeId: 'n3' }] }).ok);
  net.settle();
  // No tick: nothing but the commit notice could have told n3 (the leader no longer sends to it).
  for (const id of ids(3)) assert.deepEqual(net.node(id).confState.voters, ['n1', 'n2'], id);
});

test('without deferred commit notices every follower applies as soon as the leader commits', () => {
  const net = new SyncNetwork(ids(3), { config: { deferCommitNotices: false } });
  net.campaign('n1');
  assert.ok(net.propose('n1', 'a'));
  for (const id of ids(3)) assert.deepEqual(net.appliedData(id), ['a']);
});
