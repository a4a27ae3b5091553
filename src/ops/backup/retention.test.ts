// Retention keeps the last N full backups and the newest of each day/week/month, never an
// incremental without the full backup it starts from, and prune deletes children first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keptBackups, prune } from './retention.ts';
import { encodeManifest, MANIFEST_FORMAT, MANIFEST_VERSION, type BackupManifest } from './manifest.ts';
import { LocalDirectoryTarget } from './local-directory-target.ts';
import type { BackupError } from './backup-errors.ts';

let index = 0;
function backup(createdAt: string, kind: 'full' | 'incremental', parent: BackupManifest | null): BackupManifest {
  index += 10;
  const id = `${createdAt.replace(/[-:.]/g, '')}-${kind === 'full' ? 'full' : 'incr'}-${index}`;
  return {
    format: MANIFEST_FORMAT, version: MANIFEST_VERSION, id, kind, clusterId: 'c', parentId: parent?.id ?? null,
    fromIndex: kind === 'full' ? 1 : parent!.toIndex + 1, toIndex: index, term: 1, prevTerm: kind === 'full' ? null : 1,
    createdAt, logClockMs: null, dataset: { quads: 0, hash: '0' }, entries: kind === 'full' ? null : 10, servedBy: 'n1', localWrites: 0,
    files: [{ name: kind === 'full' ? 'store.snap.gz' : 'log.entries.gz', sizeBytes: 0, sha256: '' }],
  };
}

function history(): BackupManifest[] {
  const all: BackupManifest[] = [];
  // Four days, two full backups a day, each with two incrementals.
  for (const day of ['2026-03-01', '2026-03-02', '2026-03-09', '2026-04-20']) {
    for (const hour of ['01', '13']) {
      const full = backup(`${day}T${hour}:00:00.000Z`, 'full', null);
      const i1 = backup(`${day}T${hour}:10:00.000Z`, 'incremental', full);
      const i2 = backup(`${day}T${hour}:20:00.000Z`, 'incremental', i1);
      all.push(full, i1, i2);
    }
  }
  return all;
}

test('keep-last keeps whole chains', () => {
  const all = history();
  const kept = keptBackups(all, { keepLast: 2 });
  assert.equal(kept.size, 6);
  for (const id of kept) {
    const m = all.find((b) => b.id === id)!;
    if (m.parentId) assert.ok(kept.has(m.parentId), `${id} kept without its parent`);
  }
  assert.ok([...kept].every((id) => id.startsWith('20260420')));
});

test('daily, weekly and monthly keep the newest full backup of each period', () => {
  const all = history();
  const fulls = (kept: Set<string>) => [...kept].filter((id) => id.includes('-full-')).sort();
  assert.deepEqual(fulls(keptBackups(all, { daily: 3 })).map((id) => id.slice(0, 11)), ['20260302T13', '20260309T13', '20260420T13']);
  // 2026-03-01 is a Sunday (ISO week 9), 03-02 and 03-09 are Mondays (weeks 10, 11).
  assert.deepEqual(fulls(keptBackups(all, { weekly: 4 })).map((id) => id.slice(0, 11)), ['20260301T13', '20260302T13', '20260309T13', '20260420T13']);
  assert.deepEqual(fulls(keptBackups(all, { monthly: 2 })).map((id) => id.slice(0, 11)), ['20260309T13', '20260420T13']);
  assert.throws(() => keptBackups(all, {}), (error: BackupError) => error.code === 'bad_request');
});

test('prune deletes what the policy does not keep, and unfinished backups', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-prune-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const target = new LocalDirectoryTarget(dir);
  const all = history();
  for (const m of all) await target.put(`${m.id}/manifest.json`, [encodeManifest(m)]);
  await target.put('20260501T000000000Z-full-999/store.snap.gz', [Buffer.from('unfinished')]);
  const dry = await prune(target, { keepLast: 1 }, { dryRun: true });
  assert.equal(dry.deleted.length, all.length - 3);
  assert.equal((await target.folders()).length, all.length + 1, 'a dry run deletes nothing');
  const report = await prune(target, { keepLast: 1 });
  assert.deepEqual(report.removedIncomplete, ['20260501T000000000Z-full-999']);
  assert.deepEqual((await target.folders()).sort(), report.kept.sort());
  assert.equal(report.kept.length, 3);
});
