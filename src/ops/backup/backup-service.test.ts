// Scheduled backups on a node: a full one first, incrementals when due, a full one when due or
// when an incremental cannot continue (compacted log, a bulk load outside the log), retention
// after each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMember, stopMember, until } from '../../../test/support/in-process-cluster.ts';
import { freePort } from '../../../test/e2e/node-process.ts';
import { BackupService } from './backup-service.ts';
import { readCatalog } from './backup-catalog.ts';

test('the schedule takes full and incremental backups and applies retention', { timeout: 60_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'oxirs-schedule-'));
  const member = await startMember('n1', join(root, 'node'), `127.0.0.1:${await freePort()}`, {});
  t.after(async () => {
    await stopMember(member).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });
  await until('leadership', () => member.node.status().role === 'leader');
  const logs: string[] = [];
  const service = new BackupService(member.node, { target: join(root, 'backups'), schedule: { fullEveryMs: 3_600_000, incrementalEveryMs: 60_000 }, retention: { keepLast: 1 } }, (_level, message) => logs.push(message));
  const write = (n: number) => member.node.write({ kind: 'update', text: `INSERT DATA { <urn:s:${n}> <urn:p> "${n}" }` }, { timeoutMs: 10_000 });
  await write(0);
  const start = Date.now();
  const first = await service.tick(start);
  assert.equal(first?.manifest.kind, 'full');
  assert.equal(await service.tick(start + 1_000), undefined, 'nothing due');
  await write(1);
  const second = await service.tick(start + 120_000);
  assert.equal(second?.manifest.kind, 'incremental');
  // A bulk load that bypasses the log: the next incremental cannot carry it, so a full one is taken.
  await member.node.writeLocally(async (writer) => writer.insertTerms('<urn:bulk>', '<urn:p>', '"x"', undefined));
  const third = await service.tick(start + 240_000);
  assert.equal(third?.manifest.kind, 'full');
  assert.ok(logs.includes('incremental backup impossible; taking a full one'));
  const catalog = await readCatalog(service.target);
  assert.deepEqual(catalog.manifests.map((m) => m.id), [third!.manifest.id], 'retention kept the newest chain only');
  await write(2);
  const fourth = await service.tick(start + 3_600_000 + 240_001);
  assert.equal(fourth?.manifest.kind, 'full', 'a full backup when one is due');
  await service.stop();
});
