import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jointCommittedIndex, jointVoteResult, majorityCommittedIndex, majorityVoteResult } from './quorum.ts';

const set = (...ids: string[]): Set<string> => new Set(ids);

test('majority commit index is the median acknowledged index', () => {
  const acked: Record<string, number> = { a: 5, b: 3, c: 9 };
  assert.equal(majorityCommittedIndex(set('a', 'b', 'c'), (id) => acked[id] ?? 0), 5);
  assert.equal(majorityCommittedIndex(set('a', 'b', 'c', 'd'), (id) => acked[id] ?? 0), 3);
  assert.equal(majorityCommittedIndex(set('a'), (id) => acked[id] ?? 0), 5);
});

test('a joint configuration commits only what both halves commit', () => {
  const acked: Record<string, number> = { a: 10, b: 10, c: 1, d: 1, e: 1 };
  const voters = { incoming: set('c', 'd', 'e'), outgoing: set('a', 'b', 'c') };
  assert.equal(jointCommittedIndex(voters, (id) => acked[id] ?? 0), 1);
  assert.equal(jointCommittedIndex({ incoming: set('a', 'b', 'c'), outgoing: set() }, (id) => acked[id] ?? 0), 10);
});

test('vote results: won, lost, pending, and joint needs both', () => {
  assert.equal(majorityVoteResult(set('a', 'b', 'c'), new Map([['a', true], ['b', true]])), 'won');
  assert.equal(majorityVoteResult(set('a', 'b', 'c'), new Map([['a', false], ['b', false]])), 'lost');
  assert.equal(majorityVoteResult(set('a', 'b', 'c'), new Map([['a', true]])), 'pending');
  const joint = { incoming: set('a', 'b', 'c'), outgoing: set('c', 'd', 'e') };
  assert.equal(jointVoteResult(joint, new Map([['a', true], ['b', true]])), 'pending');
  assert.equal(jointVoteResult(joint, new Map([['a', true], ['b', true], ['d', false], ['e', false]])), 'lost');
  assert.equal(jointVoteResult(joint, new Map([['a', true], ['c', true], ['d', true]])), 'won');
});
