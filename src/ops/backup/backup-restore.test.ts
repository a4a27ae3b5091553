// Backup and point-in-time restore of a real one-node cluster in this process: every kind of log
// command replays exactly, a restore to any index holds exactly the quads committed up to it, a
// restore to a time stops before the first later write, and the restored directory starts as a
// new one-node cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMember, stopMember, until, type Member } from '../../../test/support/in-process-cluster.ts';
import { freePort } from '../../../test/e2e/node-process.ts';
import type { WriteCommand } from '../../cluster/log-command.ts';
import { NodeBackupSource } from './node-backup-source.ts';
import { LocalDirectoryTarget } from './local-directory-target.ts';
import { createBackup } from './create-backup.ts';
import { restoreBackup } from './restore-backup.ts';
import { verifyBackups } from './verify-backup.ts';
import { BackupError } from './backup-errors.ts';
import { readCatalog } from './backup-catalog.ts';

async function oneNode(dir: string, compactLogBytes = 64 * 2 ** 20): Promise<Member> {
  const member = await startMember('n1', dir, `127.0.0.1:${await freePort()}`, { compactLogBytes });
  await until('leadership', () => member.node.status().role === 'leader');
  return member;
}

const enc = new TextEncoder();
/** Every kind of write command, with effects that depend on the state before them. */
function command(n: number): WriteCommand {
  switch (n % 6) {
    case 0:
      return { kind: 'update', text: `INSERT DATA { <urn:s:${n}> <urn:p> "${n}" . GRAPH <urn:g:${n % 3}> { <urn:s:${n}> <urn:q> _:b } }` };
    case 1:
      return { kind: 'data', operations: [{ kind: 'insert', quads: [[`<urn:d:${n}>`, '<urn:p>', `"${n}"`, null]] }] };
    case 2:
      return { kind: 'update', text: `DELETE { ?s <urn:p> ?o } INSERT { ?s <urn:p2> ?o ; <urn:at> ?now } WHERE { ?s <urn:p> ?o FILTER(?o = "${n - 2}") BIND(NOW() AS ?now) }` };
    case 3:
      return { kind: 'load', format: 'n-triples', target: { kind: 'graph', graph: `<urn:loaded:${n % 2}>` }, replace: n % 4 === 3, body: enc.encode(`<urn:l:${n}> <urn:p> "loaded ${n}" .\n_:x <urn:p> <urn:l:${n}> .\n`) };
    case 4:
      return { kind: 'deleteGraph', graph: `urn:g:${(n + 2) % 3}` };
    default:
      return { kind: 'update', text: `INSERT { <urn:count> <urn:v> ?c } WHERE { SELECT (COUNT(*) AS ?c) { ?s ?p ?o } }` };
  }
}

test('full and incremental backups restore exactly to every index, to a time and to the latest', { timeout: 120_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'oxirs-backup-'));
  const member = await oneNode(join(root, 'node'));
  const members: Member[] = [member];
  t.after(async () => {
    for (const m of members) await stopMember(m).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });
  const target = new LocalDirectoryTarget(join(root, 'backups'));
  const source = new NodeBackupSource(member.node);
  const hashAt = new Map<number, string>();
  const record = () => {
    const h = member.node.datasetHash();
    hashAt.set(h.appliedIndex, h.hash);
  };
  record();
  const timeBefore = new Map<number, Date>();
  let n = 0;
  const writes = async (count: number) => {
    for (let i = 0; i < count; i++, n++) {
      timeBefore.set(n, new Date());
      const result = await member.node.write(command(n), { timeoutMs: 10_000 });
      // Writes a few ms apart, so a time between two of them exists.
      await new Promise((resolve) => setTimeout(resolve, 3));
      assert.equal(member.node.appliedIndex(), result.index);
      record();
    }
  };
  await writes(8);
  const full = await createBackup(source, target, { incremental: false });
  assert.equal(full.manifest.dataset.hash, hashAt.get(full.manifest.toIndex));
  await writes(10);
  const first = await createBackup(source, target, { incremental: true });
  assert.equal(first.manifest.parentId, full.manifest.id);
  assert.equal(first.manifest.fromIndex, full.manifest.toIndex + 1);
  const again = await createBackup(source, target, { incremental: true });
  assert.equal(again.upToDate, true, 'nothing new: no backup is written');
  await writes(10);
  const second = await createBackup(source, target, { incremental: true });
  assert.equal(second.manifest.parentId, first.manifest.id);
  assert.equal(second.manifest.dataset.hash, hashAt.get(second.manifest.toIndex));
  await verifyBackups(target);

  const expectedAt = (index: number) => {
    let best = -1;
    for (const i of hashAt.keys()) if (i <= index && i > best) best = i;
    return hashAt.get(best);
  };
  let restores = 0;
  for (let index = full.manifest.toIndex; index <= second.manifest.toIndex; index += 3) {
    const dataDir = join(root, `restore-${index}`);
    const report = await restoreBackup(target, { dataDir, toIndex: index });
    assert.equal(report.index, index);
    assert.equal(report.hash, expectedAt(index), `restore to index ${index}`);
    rmSync(dataDir, { recursive: true, force: true });
    restores++;
  }
  assert.ok(restores >= 6);

  // To a time: just before write 13 was proposed, so writes 0..12 only.
  const cut = timeBefore.get(13)!;
  const lastBefore = [...hashAt.keys()].sort((a, b) => a - b)[13];
  const byTime = await restoreBackup(target, { dataDir: join(root, 'by-time'), toTime: new Date(cut.getTime() - 1) });
  assert.equal(byTime.index, lastBefore);
  assert.equal(byTime.hash, hashAt.get(lastBefore));

  // Latest, then started as a new one-node cluster that takes writes.
  const latestDir = join(root, 'latest');
  const latest = await restoreBackup(target, { dataDir: latestDir });
  assert.equal(latest.index, second.manifest.toIndex);
  assert.equal(latest.matchedBackupId, second.manifest.id);
  const restored = await startMember('r1', latestDir, `127.0.0.1:${await freePort()}`, {});
  members.push(restored);
  await until('the restored node to lead', () => restored.node.status().role === 'leader');
  const status = restored.node.status();
  assert.deepEqual(status.members.map((m) => m.id), ['r1']);
  assert.equal(restored.node.datasetHash().hash, hashAt.get(second.manifest.toIndex));
  const write = await restored.node.write(command(0), { timeoutMs: 10_000 });
  assert.ok(write.index > second.manifest.toIndex);
  // A new cluster: backups of it do not continue the old chain.
  const newTarget = new LocalDirectoryTarget(join(root, 'backups-new'));
  const newFull = await createBackup(new NodeBackupSource(restored.node), newTarget, { incremental: false });
  assert.notEqual(newFull.manifest.clusterId, full.manifest.clusterId);
  await assert.rejects(createBackup(new NodeBackupSource(restored.node), target, { incremental: true }), (error: BackupError) => error.code === 'backup_chain_broken');
});

test('an incremental backup refuses when the log was compacted past the last backup', { timeout: 60_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'oxirs-backup-'));
  const member = await oneNode(join(root, 'node'), 1);
  t.after(async () => {
    await stopMember(member).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });
  const target = new LocalDirectoryTarget(join(root, 'backups'));
  const source = new NodeBackupSource(member.node);
  await assert.rejects(createBackup(source, target, { incremental: true }), (error: BackupError) => error.code === 'backup_not_found' && /full backup first/.test(error.message));
  for (let i = 0; i < 3; i++) await member.node.write(command(i), { timeoutMs: 10_000 });
  await createBackup(source, target, { incremental: false });
  for (let i = 3; i < 10; i++) await member.node.write(command(i), { timeoutMs: 10_000 });
  await until('the log to be compacted', () => member.logs.some((l) => l.message === 'log compacted' && (l.fields?.index as number) > 4));
  await assert.rejects(createBackup(source, target, { incremental: true }), (error: BackupError) => error.code === 'backup_log_compacted' && /take a full backup/.test(error.message));
  assert.equal((await readCatalog(target)).manifests.length, 1, 'the refused incremental left nothing behind');
  assert.ok(!existsSync(join(root, 'restore')));
});

test('a log export pins the log until it is consumed or abandoned', { timeout: 60_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'oxirs-backup-'));
  const member = await oneNode(join(root, 'node'), 1);
  t.after(async () => {
    await stopMember(member).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });
  for (let i = 0; i < 3; i++) await member.node.write(command(i), { timeoutMs: 10_000 });
  const from = member.node.appliedIndex() + 1;
  const source = new NodeBackupSource(member.node);
  const exported = await source.exportLog(from);
  for (let i = 3; i < 8; i++) await member.node.write(command(i), { timeoutMs: 10_000 });
  const compactedTo = () => Math.max(0, ...member.logs.filter((l) => l.message === 'log compacted').map((l) => l.fields?.index as number));
  assert.ok(compactedTo() < from, `the pinned log was compacted to ${compactedTo()}, past ${from - 1}`);
  exported.abort();
  for (let i = 8; i < 12; i++) await member.node.write(command(i), { timeoutMs: 10_000 });
  await until('compaction past the released pin', () => compactedTo() >= from);
});
