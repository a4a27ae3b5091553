// Both targets behave alike: put/get round trips (multipart for S3), listing, existence, removal,
// a missing file is backup_not_found, and a failed write leaves nothing under the name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startLocalS3 } from '../../../test/support/local-s3.ts';
import { openTarget, type BackupTarget } from './backup-target.ts';
import { readAll } from './backup-catalog.ts';
import type { BackupError } from './backup-errors.ts';

async function exercise(target: BackupTarget): Promise<void> {
  const big = randomBytes(12 * 1024 * 1024 + 17);
  async function* pieces() {
    for (let at = 0; at < big.length; at += 1024 * 1024) yield big.subarray(at, at + 1024 * 1024);
  }
  await target.put('b1/data.bin', pieces());
  await target.put('b1/manifest.json', [Buffer.from('{}')]);
  await target.put('b2/x', [Buffer.from('x')]);
  assert.ok((await readAll(target, 'b1/data.bin')).equals(big));
  assert.deepEqual((await target.folders()).sort(), ['b1', 'b2']);
  assert.equal(await target.has('b1/manifest.json'), true);
  assert.equal(await target.has('b1/nothing'), false);
  await assert.rejects(readAll(target, 'b3/missing'), (error: BackupError) => error.code === 'backup_not_found');
  async function* failing() {
    yield Buffer.from('partial');
    throw new Error('source failed');
  }
  await assert.rejects(target.put('b2/failed', failing()), /source failed/);
  assert.equal(await target.has('b2/failed'), false, 'a failed write leaves nothing under its name');
  await target.removeFolder('b1');
  assert.deepEqual(await target.folders(), ['b2']);
}

test('a local directory target', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-target-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await exercise(openTarget(join(dir, 'backups')));
  assert.deepEqual(readdirSync(join(dir, 'backups', 'b2')), ['x'], 'no temporary file left behind');
});

test('an S3 target on a local S3-compatible server (multipart upload)', { timeout: 60_000 }, async (t) => {
  const s3 = await startLocalS3();
  t.after(() => s3.close());
  await exercise(openTarget(`s3://${s3.bucket}/some/prefix`, s3.options));
  // The prefix keeps targets apart.
  assert.deepEqual(await openTarget(`s3://${s3.bucket}/other`, s3.options).folders(), []);
});

test('target specs are checked', () => {
  assert.throws(() => openTarget('s3://Bad_Bucket/x'), (error: BackupError) => error.code === 'bad_request');
  assert.throws(() => openTarget('ftp://host/x'), (error: BackupError) => error.code === 'bad_request');
  assert.throws(() => openTarget(''), (error: BackupError) => error.code === 'bad_request');
});
