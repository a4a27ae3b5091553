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
    maxPendingReads: 8, maxUncommittedEntries: 0,
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
