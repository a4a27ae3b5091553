// Flipping any single byte of any backup file (manifests included) makes verify and restore fail
// with an error naming that file, and restore leaves no store behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMember, stopMember, until } from '../../../test/support/in-process-cluster.ts';
import { freePort } from '../../../test/e2e/node-process.ts';
import { NodeBackupSource } from './node-backup-source.ts';
import { LocalDirectoryTarget } from './local-directory-target.ts';
import { createBackup } from './create-backup.ts';
import { restoreBackup } from './restore-backup.ts';
import { verifyBackups } from './verify-backup.ts';
import { CorruptBackupError } from './backup-errors.ts';

test('a flipped byte anywhere in any backup file fails verify and restore, naming the file', { timeout: 300_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'oxirs-backup-corrupt-'));
  const member = await startMember('n1', join(root, 'node'), `127.0.0.1:${await freePort()}`, {});
  t.after(async () => {
    await stopMember(member).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });
  await until('leadership', () => member.node.status().role === 'leader');
  const write = (n: number) => member.node.write({ kind: 'update', text: `INSERT DATA { <urn:s:${n}> <urn:p> "value ${n}" ; <urn:q> <urn:o:${n % 7}> }` }, { timeoutMs: 10_000 });
  for (let n = 0; n < 200; n++) await write(n);
  const dir = join(root, 'backups');
  const target = new LocalDirectoryTarget(dir);
  const source = new NodeBackupSource(member.node);
  await createBackup(source, target, { incremental: false });
  for (let n = 200; n < 260; n++) await write(n);
  await createBackup(source, target, { incremental: true });
  await verifyBackups(target);
  const clean = await restoreBackup(target, { dataDir: join(root, 'clean') });
  rmSync(join(root, 'clean'), { recursive: true, force: true });

  const files = readdirSync(dir).flatMap((folder) => readdirSync(join(dir, folder)).map((name) => `${folder}/${name}`));
  assert.equal(files.length, 4, `two backups of two files each: ${files}`);
  let cases = 0;
  for (const file of files) {
    const path = join(dir, file);
    const original = readFileSync(path);
    const positions = [0, 1, 9, Math.floor(original.length / 3), Math.floor(original.length / 2), original.length - 5, original.length - 1];
    for (const position of [...new Set(positions)]) {
      const damaged = Buffer.from(original);
      damaged[position] ^= 0x01 << (position % 8);
      writeFileSync(path, damaged);
      try {
        await assert.rejects(verifyBackups(target), (error: Error) => error instanceof CorruptBackupError && error.file === file, `verify, ${file} byte ${position}`);
        const dataDir = join(root, 'restore');
        await assert.rejects(restoreBackup(target, { dataDir }), (error: Error) => error instanceof CorruptBackupError && error.file === file && error.message.includes(file), `restore, ${file} byte ${position}`);
        assert.ok(!existsSync(dataDir), 'a failed restore leaves no data directory');
        cases++;
      } finally {
        writeFileSync(path, original);
      }
    }
  }
  t.diagnostic(`${cases} single-byte corruptions over ${files.length} files detected`);
  const after = await restoreBackup(target, { dataDir: join(root, 'after') });
  assert.equal(after.hash, clean.hash);
});
