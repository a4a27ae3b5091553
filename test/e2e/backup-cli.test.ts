// `oxirs-cluster backup` as a user runs it against a real node process: create (full and
// incremental) to a directory, list, verify (exit 1 naming a corrupted file), prune, restore to
// an index, bad arguments (exit 2), and the node's own admin API for a configured target.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startNode, stopNode, killAllNodes, runCli, type NodeProcess } from './node-process.ts';

let dir: string;
let node: NodeProcess;
let bare: NodeProcess;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oxirs-backup-cli-'));
  const config = join(dir, 'node.json');
  writeFileSync(config, JSON.stringify({ backup: { target: join(dir, 'node-backups'), retention: { keepLast: 1 } } }));
  node = await startNode(join(dir, 'data'), await freePort(), ['--config', config]);
  bare = await startNode(join(dir, 'bare'), await freePort());
});
after(async () => {
  // If before() failed midway, some of these are undefined: whatever started is killed anyway.
  try {
    await stopNode(node);
    await stopNode(bare);
  } finally {
    killAllNodes();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function update(text: string): Promise<void> {
  const response = await fetch(`${node.url}/update`, { method: 'POST', headers: { 'content-type': 'application/sparql-update' }, body: text });
  assert.equal(response.status, 204, await response.text());
}

test('create, list, verify, restore to an index, prune', { timeout: 120_000 }, async () => {
  const target = join(dir, 'backups');
  await update('INSERT DATA { <urn:a> <urn:p> "1" }');
  const full = await runCli(['backup', 'create', '--endpoint', node.url, '--target', target]);
  assert.equal(full.code, 0, full.stderr);
  assert.match(full.stdout, /^backup \S+-full-\d+$/m);
  const fullIndex = Number(/index 1\.\.(\d+)/.exec(full.stdout)![1]);
  const fullHash = /dataset hash ([0-9a-f]{64})/.exec(full.stdout)![1];
  const same = await runCli(['backup', 'create', '--endpoint', node.url, '--target', target, '--incremental']);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /nothing new since backup/);
  await update('INSERT DATA { <urn:b> <urn:p> "2" }');
  const incremental = await runCli(['backup', 'create', '--endpoint', node.url, '--target', target, '--incremental']);
  assert.equal(incremental.code, 0, incremental.stderr);
  assert.match(incremental.stdout, /incremental/);

  const list = await runCli(['backup', 'list', '--target', target]);
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout.trim().split('\n').length, 3, list.stdout);
  const verify = await runCli(['backup', 'verify', '--target', target]);
  assert.equal(verify.code, 0, verify.stderr);
  assert.match(verify.stdout, /2 backup\(s\) verified/);

  const restored = await runCli(['backup', 'restore', '--target', target, '--to-index', String(fullIndex), '--data-dir', join(dir, 'restored')]);
  assert.equal(restored.code, 0, restored.stderr);
  assert.match(restored.stdout, new RegExp(`dataset hash ${fullHash}`));
  const notEmpty = await runCli(['backup', 'restore', '--target', target, '--data-dir', join(dir, 'restored')]);
  assert.equal(notEmpty.code, 1);
  assert.match(notEmpty.stderr, /not empty/);

  // One flipped byte in the incremental's log file.
  const folder = readdirSync(target).find((name) => name.includes('-incr-'))!;
  const file = join(target, folder, 'log.entries.gz');
  const bytes = readFileSync(file);
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  writeFileSync(file, bytes);
  const corrupt = await runCli(['backup', 'verify', '--target', target]);
  assert.equal(corrupt.code, 1);
  assert.match(corrupt.stderr, new RegExp(`corrupt backup file ${folder}/log\\.entries\\.gz`));

  const pruned = await runCli(['backup', 'prune', '--target', target, '--keep-last', '1', '--dry-run']);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, /2 kept, 0 would delete/);
});

test('bad arguments exit 2 with a reason', async () => {
  const both = await runCli(['backup', 'restore', '--target', join(dir, 'x'), '--to-index', '5', '--to-time', '2026-01-01T00:00:00Z', '--data-dir', join(dir, 'y')]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /not both/);
  const badTime = await runCli(['backup', 'restore', '--target', join(dir, 'x'), '--to-time', 'yesterday', '--data-dir', join(dir, 'y')]);
  assert.equal(badTime.code, 2);
  const noPolicy = await runCli(['backup', 'prune', '--target', join(dir, 'x')]);
  assert.equal(noPolicy.code, 2);
  const badTarget = await runCli(['backup', 'list', '--target', 's3://NO_such']);
  assert.equal(badTarget.code, 2);
  const badConfig = join(dir, 'bad.json');
  writeFileSync(badConfig, JSON.stringify({ backup: { target: join(dir, 'b'), schedule: { everyMs: 5 } } }));
  const start = await runCli(['start', '--config', badConfig, '--http', '127.0.0.1:1']);
  assert.equal(start.code, 2);
  assert.match(start.stderr, /backup\.schedule: unknown key "everyMs"/);
});

test('the admin API takes and lists backups into the configured target', { timeout: 60_000 }, async () => {
  const taken = await fetch(`${node.url}/admin/backups`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(taken.status, 201, await taken.clone().text());
  const body = (await taken.json()) as { backup: { kind: string; toIndex: number } };
  assert.equal(body.backup.kind, 'full');
  const listed = (await (await fetch(`${node.url}/admin/backups`)).json()) as { backups: Array<{ id: string }> };
  assert.equal(listed.backups.length, 1);
  const bad = await fetch(`${node.url}/admin/backups`, { method: 'POST', body: '{"incremental": "yes"}' });
  assert.equal(bad.status, 400);
  const badFrom = await fetch(`${node.url}/admin/backup/log?from=x`);
  assert.equal(badFrom.status, 400);
  const put = await fetch(`${node.url}/admin/backups`, { method: 'PUT' });
  assert.equal(put.status, 405);
  const none = await fetch(`${bare.url}/admin/backups`);
  assert.equal(none.status, 409);
  assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'backup_not_configured');
});
