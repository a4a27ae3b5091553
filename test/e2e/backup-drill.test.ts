// Disaster-recovery drill: a 3-node cluster under write load is backed up through the CLI (full
// through a follower, then incremental through the leader) to a local S3 server, destroyed,
// restored into a new node, grown to three nodes with --join, and then holds exactly the writes
// committed up to the backup's index (every acknowledged one at or below it, none above), with
// the dataset hash recorded in the backup on every new member.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { WriteLoad, withCluster, sleep } from './cluster-harness.ts';
import { freePort, killAllNodes, runCli, startNode, stopNode, type NodeProcess } from './node-process.ts';
import { startLocalS3 } from '../support/local-s3.ts';

function parseCreated(stdout: string): { id: string; toIndex: number; hash: string; quads: number } {
  const id = /^backup (\S+)$/m.exec(stdout)?.[1];
  const range = /index (\d+)\.\.(\d+)/.exec(stdout);
  const hash = /dataset hash ([0-9a-f]{64}) \((\d+) quads\)/.exec(stdout);
  assert.ok(id && range && hash, `unexpected backup create output: ${stdout}`);
  return { id, toIndex: Number(range[2]), hash: hash[1], quads: Number(hash[2]) };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  assert.equal(response.status, 200, `${url}: ${response.status}`);
  return (await response.json()) as T;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('DR drill: back up a loaded 3-node cluster to S3, destroy it, restore and grow a new one', { timeout: 300_000 }, async (t) => {
  const s3 = await startLocalS3();
  const savedEnv = { ...process.env };
  Object.assign(process.env, s3.env);
  const restoredNodes: NodeProcess[] = [];
  t.after(async () => {
    for (const node of restoredNodes) await stopNode(node).catch(() => undefined);
    killAllNodes();
    process.env = savedEnv;
    await s3.close();
  });
  const target = `s3://${s3.bucket}/drill`;
  let root = '';
  let full!: ReturnType<typeof parseCreated>;
  let incremental!: ReturnType<typeof parseCreated>;
  let load!: WriteLoad;
  await withCluster({ name: 'backup-drill' }, async (cluster) => {
    root = cluster.root;
    cluster.keep = false;
    load = new WriteLoad(cluster, { clients: 4, requestTimeoutMs: 3_000 }).start();
    try {
      await load.waitForAcknowledged(60, 20_000);
      const leader = await cluster.waitForLeader();
      const follower = cluster.ids().find((id) => id !== leader)!;
      const created = await runCli(['backup', 'create', '--endpoint', cluster.node(follower).url, '--target', target]);
      assert.equal(created.code, 0, created.stderr);
      full = parseCreated(created.stdout);
      await load.waitForAcknowledged(60, 20_000);
      const next = await runCli(['backup', 'create', '--endpoint', cluster.node(await cluster.waitForLeader()).url, '--target', target, '--incremental']);
      assert.equal(next.code, 0, next.stderr);
      incremental = parseCreated(next.stdout);
      await load.waitForAcknowledged(20, 20_000);
    } finally {
      await load.stop();
    }
    t.diagnostic(`full ${full.id} at ${full.toIndex}, incremental ${incremental.id} at ${incremental.toIndex}; ${load.summary()}`);
    assert.ok(incremental.toIndex > full.toIndex);
    // The disaster: every member goes.
    for (const id of cluster.ids()) await cluster.kill(id);
  });

  const listed = await runCli(['backup', 'list', '--target', target]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`${full.id}\\s+full`));
  assert.match(listed.stdout, new RegExp(`${incremental.id}\\s+incremental`));
  const verified = await runCli(['backup', 'verify', '--target', target]);
  assert.equal(verified.code, 0, verified.stderr);

  // The state at the full backup alone, to the index.
  const atFull = await runCli(['backup', 'restore', '--target', target, '--to-index', String(full.toIndex), '--data-dir', join(root, 'at-full')]);
  assert.equal(atFull.code, 0, atFull.stderr);
  assert.match(atFull.stdout, new RegExp(`dataset hash ${full.hash}`));

  const dir = join(root, 'restored');
  const restored = await runCli(['backup', 'restore', '--target', target, '--data-dir', dir]);
  assert.equal(restored.code, 0, restored.stderr);
  assert.match(restored.stdout, new RegExp(`to index ${incremental.toIndex} `));
  assert.match(restored.stdout, new RegExp(`dataset hash ${incremental.hash}`));

  const secret = 'drill-secret';
  const ports = await Promise.all([1, 2, 3].map(() => freePort()));
  const raftPorts = await Promise.all([1, 2, 3].map(() => freePort()));
  const args = (i: number) => ['--node-id', `r${i + 1}`, '--raft', `127.0.0.1:${raftPorts[i]}`, '--cluster-secret', secret, '--heartbeat-interval-ms', '50', '--election-timeout-ms', '500'];
  const r1 = await startNode(dir, ports[0], args(0));
  restoredNodes.push(r1);
  await until('r1 to lead', async () => ((await getJson<{ role: string }>(`${r1.url}/cluster/status`)).role === 'leader' ? true : undefined), 20_000);
  for (const i of [1, 2]) restoredNodes.push(await startNode(join(root, `r${i + 1}`), ports[i], [...args(i), '--join', r1.url]));
  const status = await until(
    'three voters',
    async () => {
      const s = await getJson<{ members: Array<{ id: string; voter: boolean }> }>(`${r1.url}/cluster/status`);
      return s.members.filter((m) => m.voter).length === 3 ? s : undefined;
    },
    60_000,
  );
  assert.deepEqual(status.members.map((m) => m.id).sort(), ['r1', 'r2', 'r3']);

  for (const node of restoredNodes) {
    const hash = await until('the restored dataset on every member', async () => {
      const h = await getJson<{ appliedIndex: number; hash: string; quads: number }>(`${node.url}/cluster/dataset-hash`);
      return h.hash === incremental.hash ? h : undefined;
    }, 30_000);
    assert.equal(hash.quads, incremental.quads);
  }

  // Exactly the writes committed up to the backup's index.
  const response = await fetch(`${r1.url}/sparql?query=${encodeURIComponent('SELECT ?s WHERE { ?s <urn:p> ?o }')}`, { headers: { accept: 'application/sparql-results+json' } });
  const subjects = new Set(((await response.json()) as { results: { bindings: Array<{ s: { value: string } }> } }).results.bindings.map((b) => b.s.value));
  const acknowledged = load.acknowledged();
  const before = acknowledged.filter((r) => r.commitIndex !== undefined && r.commitIndex <= incremental.toIndex);
  const after = acknowledged.filter((r) => r.commitIndex !== undefined && r.commitIndex > incremental.toIndex);
  assert.ok(before.length >= 100 && after.length > 0, `${before.length} writes before the backup's index, ${after.length} after`);
  for (const r of before) assert.ok(subjects.has(r.subject), `${r.subject} (commit index ${r.commitIndex}) is missing`);
  for (const r of after) assert.ok(!subjects.has(r.subject), `${r.subject} (commit index ${r.commitIndex}) was committed after the backup`);

  // The new cluster takes writes.
  const write = await fetch(`${r1.url}/update`, { method: 'POST', headers: { 'content-type': 'application/sparql-update' }, body: 'INSERT DATA { <urn:after:restore> <urn:p> "1" }' });
  assert.equal(write.status, 204);
});
