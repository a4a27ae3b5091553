// Which chain a restore replays and where it stops, over several chains and clusters of backups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRestore } from './restore-backup.ts';
import { MANIFEST_FORMAT, MANIFEST_VERSION, type BackupManifest } from './manifest.ts';
import type { BackupError } from './backup-errors.ts';

function make(id: string, kind: 'full' | 'incremental', fromIndex: number, toIndex: number, logClockMs: number, parent?: BackupManifest): BackupManifest {
  return {
    format: MANIFEST_FORMAT, version: MANIFEST_VERSION, id, kind, clusterId: 'c', parentId: parent?.id ?? null, fromIndex, toIndex, term: 2,
    prevTerm: parent ? 2 : null, createdAt: new Date(logClockMs).toISOString(), logClockMs, dataset: { quads: 0, hash: '0' }, entries: null,
    servedBy: 'n1', localWrites: 0, files: [],
  };
}

// Chain A: full@10, incr 11-20, incr 21-30. Chain B: full@25, incr 26-40.
const fa = make('a0', 'full', 1, 10, 1_000);
const ia1 = make('a1', 'incremental', 11, 20, 2_000, fa);
const ia2 = make('a2', 'incremental', 21, 30, 3_000, ia1);
const fb = make('b0', 'full', 1, 25, 2_500);
const ib1 = make('b1', 'incremental', 26, 40, 4_000, fb);
const all = [fa, ia1, fb, ia2, ib1];
const ids = (plan: { chain: BackupManifest[] }) => plan.chain.map((m) => m.id);

test('latest, by id, by index', () => {
  assert.deepEqual(ids(planRestore(all, {})), ['b0', 'b1']);
  assert.deepEqual(ids(planRestore(all, { id: 'a2' })), ['a0', 'a1', 'a2']);
  const fifteen = planRestore(all, { toIndex: 15 });
  assert.deepEqual([ids(fifteen), fifteen.stopIndex], [['a0', 'a1'], 15]);
  // The latest full backup at or before the index: less to replay.
  assert.deepEqual(ids(planRestore(all, { toIndex: 27 })), ['b0', 'b1']);
  assert.deepEqual(ids(planRestore(all, { toIndex: 10 })), ['a0']);
  assert.deepEqual(ids(planRestore(all, { id: 'a2', toIndex: 12 })), ['a0', 'a1']);
  assert.throws(() => planRestore(all, { toIndex: 41 }), (error: BackupError) => error.code === 'backup_not_found' && /covers/.test(error.message));
  assert.throws(() => planRestore(all, { toIndex: 5 }), (error: BackupError) => error.code === 'backup_not_found');
  assert.throws(() => planRestore(all, { id: 'a2', toIndex: 31 }), (error: BackupError) => error.code === 'backup_not_found');
});

test('by time: the latest full backup stamped at or before it, then its longest chain', () => {
  const plan = planRestore(all, { toTime: new Date(2_600) });
  assert.deepEqual([ids(plan), plan.stopTimeMs], [['b0', 'b1'], 2_600]);
  assert.deepEqual(ids(planRestore(all, { toTime: new Date(1_500) })), ['a0', 'a1', 'a2']);
  assert.throws(() => planRestore(all, { toTime: new Date(500) }), (error: BackupError) => error.code === 'backup_not_found');
  assert.throws(() => planRestore(all, { id: 'b1', toTime: new Date(2_000) }), /already holds writes stamped after/);
});

test('broken chains are refused with the reason', () => {
  const orphan = make('x1', 'incremental', 41, 50, 5_000, make('gone', 'full', 1, 40, 4_500));
  assert.throws(() => planRestore([...all, orphan], { id: 'x1' }), (error: BackupError) => error.code === 'backup_chain_broken' && /gone/.test(error.message));
  const gap = { ...make('g1', 'incremental', 32, 35, 3_500, ia2) };
  assert.throws(() => planRestore([...all, gap], { id: 'g1' }), (error: BackupError) => error.code === 'backup_chain_broken' && /starts at index 32/.test(error.message));
  const otherCluster = { ...make('o1', 'incremental', 31, 35, 3_500, ia2), clusterId: 'd' };
  assert.throws(() => planRestore([...all, otherCluster], { id: 'o1' }), (error: BackupError) => error.code === 'backup_chain_broken' && /cluster/.test(error.message));
  assert.throws(() => planRestore(all, { toIndex: 12, toTime: new Date(1) }), (error: BackupError) => error.code === 'bad_request');
});
