import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftLog } from './log.ts';
import { MemoryStorage } from './memory-storage.ts';
import type { Entry } from './messages.ts';

const e = (index: number, term: number): Entry => ({ index, term, type: 'normal', data: new Uint8Array([index]) });

function logWith(terms: number[]): { log: RaftLog; storage: MemoryStorage } {
  const storage = new MemoryStorage();
  storage.append(terms.map((t, i) => e(i + 1, t)));
  return { log: new RaftLog(storage, 1 << 20), storage };
}

test('maybeAppend rejects a mismatched predecessor and truncates a conflicting suffix', () => {
  const { log } = logWith([1, 1, 2, 2]);
  assert.equal(log.maybeAppend(4, 3, 0, [e(5, 3)]), null); // (4, 3) does not match (4, 2)
  assert.equal(log.maybeAppend(2, 1, 0, [e(3, 3)]), 3);
  assert.equal(log.lastIndex(), 3);
  assert.equal(log.term(3), 3);
  assert.equal(log.term(4), null);
});

test('entries already present are not appended again, and commit never passes the new entries', () => {
  const { log } = logWith([1, 1, 2]);
  assert.equal(log.maybeAppend(1, 1, 10, [e(2, 1)]), 2);
  assert.equal(log.lastIndex(), 3, 'a matching prefix does not truncate');
  assert.equal(log.committed, 2);
});

test('isUpToDate compares last term first, then length (paper 5.4.1)', () => {
  const { log } = logWith([1, 2, 2]);
  assert.ok(log.isUpToDate(1, 3));
  assert.ok(log.isUpToDate(3, 2));
  assert.ok(!log.isUpToDate(2, 2));
  assert.ok(!log.isUpToDate(9, 1));
});

test('findConflictByTerm skips a whole term for fast backtracking', () => {
  const { log } = logWith([1, 1, 3, 3, 3]);
  assert.deepEqual(log.findConflictByTerm(5, 2), { index: 2, term: 1 });
  assert.deepEqual(log.findConflictByTerm(5, 3), { index: 5, term: 3 });
});

test('maybeCommit only commits entries of the given term (paper 5.4.2)', () => {
  const { log } = logWith([1, 2, 3]);
  assert.equal(log.maybeCommit(2, 3), false);
  assert.equal(log.maybeCommit(3, 3), true);
  assert.equal(log.committed, 3);
});

test('committed entries are handed out only once persisted', () => {
  const { log, storage } = logWith([1, 1]);
  log.append([e(3, 1), e(4, 1)]);
  log.commitTo(4);
  assert.deepEqual(log.nextCommittedEntries().map((x) => x.index), [1, 2]);
  storage.append(log.unstableEntries());
  log.stableTo(4, 1);
  assert.deepEqual(log.nextCommittedEntries().map((x) => x.index), [1, 2, 3, 4]);
});

test('memory storage compaction keeps the term of the compaction point', () => {
  const { storage } = logWith([1, 1, 2, 2]);
  storage.compact(3);
  assert.equal(storage.firstIndex(), 4);
  assert.deepEqual(storage.term(3), { ok: true, value: 2 });
  assert.deepEqual(storage.term(2), { ok: false, miss: 'compacted' });
  assert.deepEqual(storage.entries(2, 4, 100), { ok: false, miss: 'compacted' });
});
