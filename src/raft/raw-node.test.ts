import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from './memory-storage.ts';
import { RawNode } from './raw-node.ts';
import type { RaftConfig } from './raft.ts';

function configFor(id: string, storage: MemoryStorage): RaftConfig {
  return {
    id, storage, random: { nextInt: () => 0 }, electionTimeoutTicks: 10, heartbeatIntervalTicks: 1, appliedIndex: 1,
    maxSizePerMsgBytes: 1 << 20, maxInflightMessages: 8, maxInflightBytes: 0, maxCommittedSizePerReadyBytes: 1 << 20,
    preVote: false, checkQuorum: false, leaseReads: false, leaseDriftMarginTicks: 0, disableProposalForwarding: false,
    maxPendingReads: 8, maxUncommittedEntries: 0, deferCommitNotices: false,
  };
}

function bootstrapped(voters: string[]): MemoryStorage {
  const storage = new MemoryStorage();
  storage.applySnapshot({ metadata: { index: 1, term: 1, confState: { voters, votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false } }, data: new Uint8Array() });
  storage.setHardState({ term: 1, vote: null, commit: 1 });
  return storage;
}

function singleNode(): { node: RawNode; storage: MemoryStorage } {
  const storage = bootstrapped(['a']);
  return { node: new RawNode(configFor('a', storage)), storage };
}

/** Persists and advances every Ready (bounded); returns the committed entries seen. */
function drain(node: RawNode, storage: MemoryStorage): number[] {
  const applied: number[] = [];
  for (let i = 0; i < 100 && node.hasReady(); i++) {
    const rd = node.ready();
    storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    for (const e of rd.committedEntries) applied.push(e.index);
    node.advance();
  }
  return applied;
}

test('a single voter becomes leader only once its vote is persisted, then commits after persisting', () => {
  const { node, storage } = singleNode();
  node.campaign();
  assert.equal(node.status().role, 'candidate', 'its own vote is not counted before it is durable');
  const rd = node.ready();
  assert.deepEqual(rd.hardState, { term: 2, vote: 'a', commit: 1 });
  storage.setHardState(rd.hardState!);
  node.advance();
  assert.equal(node.status().role, 'leader');
  node.propose(new TextEncoder().encode('x'));
  assert.deepEqual(drain(node, storage), [2, 3]);
  const status = node.status();
  assert.equal(status.commit, 3);
  assert.equal(status.applied, 3);
  assert.equal(status.progress.a.match, 3);
});

test('ready() cannot be taken twice without advance()', () => {
  const { node } = singleNode();
  node.campaign();
  node.ready();
  assert.throws(() => node.ready(), /before advance/);
});

test('messages are split by whether they may go out before the Ready is persisted', () => {
  const node = new RawNode(configFor('b', bootstrapped(['a', 'b'])));
  node.step({ type: 'vote', from: 'a', to: 'b', term: 5, index: 1, logTerm: 1, transfer: false });
  const rd = node.ready();
  assert.deepEqual(rd.messages, []);
  assert.deepEqual(rd.messagesAfterPersist.map((m) => m.type), ['voteResponse'], 'a vote goes out only after it is durable');
  assert.deepEqual(rd.hardState, { term: 5, vote: 'a', commit: 1 });
});

test('leaderLost: a follower forgets its leader, grants pre-votes at once, and campaigns within one election timeout; a live leader takes it back', () => {
  const withLease = (id: string) => ({ ...configFor(id, bootstrapped(['a', 'b', 'c'])), preVote: true, checkQuorum: true, random: { nextInt: (n: number) => n - 1 } });
  const node = new RawNode(withLease('b'));
  // 'a' leads term 2; 'b' hears its heartbeat.
  node.step({ type: 'heartbeat', from: 'a', to: 'b', term: 2, commit: 1, context: null, leaseTick: 0 } as never);
  node.ready();
  node.advance();
  assert.equal(node.status().leader, 'a');
  const preVote = { type: 'preVote', from: 'c', to: 'b', term: 3, index: 1, logTerm: 1, transfer: false } as const;
  assert.deepEqual(node.step(preVote), { ok: false, reason: 'ignored' }, 'while it hears from a leader, a pre-vote is ignored');

  node.leaderLost();
  assert.equal(node.status().leader, null);
  assert.equal(node.ready().softState?.leader, null);
  node.advance();
  node.step(preVote);
  const rd = node.ready();
  const granted = [...rd.messages, ...rd.messagesAfterPersist].filter((m) => m.type === 'preVoteResponse');
  node.advance();
  assert.deepEqual(granted.map((m) => (m as { reject: boolean }).reject), [false], 'the pre-vote is granted at once');

  // The randomized timeout here is the longest (2 x 10 ticks); after leaderLost at most 10 remain.
  let ticks = 0;
  while (node.status().role === 'follower' && ticks < 20) {
    node.tick();
    ticks++;
  }
  assert.equal(node.status().role, 'preCandidate');
  assert.ok(ticks <= 10, `campaigned after ${ticks} ticks`);

  // A leader that was alive after all: its next heartbeat makes it this node's leader again.
  const again = new RawNode(withLease('b'));
  again.step({ type: 'heartbeat', from: 'a', to: 'b', term: 2, commit: 1, context: null, leaseTick: 0 } as never);
  again.leaderLost();
  again.step({ type: 'heartbeat', from: 'a', to: 'b', term: 2, commit: 1, context: null, leaseTick: 0 } as never);
  assert.equal(again.status().leader, 'a');
});
