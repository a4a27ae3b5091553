// `--join` against a member with `--auth`: the credentials ride in the URL (user:password@), are
// sent as HTTP Basic, and never show in the joining node's output; wrong ones are refused at once.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startNode, stopNode, killAllNodes, runCli, type NodeProcess } from './node-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'oxirs-join-auth-'));
const started: NodeProcess[] = [];
after(async () => {
  try {
    for (const node of started) await stopNode(node);
  } finally {
    killAllNodes();
    rmSync(dir, { recursive: true, force: true });
  }
});

const PASSWORD = 'join-s3cret-pw';
const ADMIN = `Basic ${Buffer.from(`root:${PASSWORD}`).toString('base64')}`;

test('a node joins an --auth cluster with credentials in the --join URL', { timeout: 120_000 }, async () => {
  const auth = join(dir, 'auth.json');
  writeFileSync(auth, JSON.stringify({ users: [{ name: 'root', password: PASSWORD, role: 'admin' }] }));
  const [httpA, raftA, httpB, raftB] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const a = await startNode(join(dir, 'a'), httpA, ['--node-id', 'a', '--raft', `127.0.0.1:${raftA}`, '--auth', auth]);
  started.push(a);

  const refused = await runCli(['start', '--node-id', 'x', '--data-dir', join(dir, 'x'), '--http', `127.0.0.1:${await freePort()}`, '--raft', `127.0.0.1:${await freePort()}`, '--join', `http://root:wrong-password@127.0.0.1:${httpA}`, '--log-level', 'warn'], 60_000);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr + refused.stdout, /refused to add this node: 401/);
  assert.doesNotMatch(refused.stderr + refused.stdout, /wrong-password/);

  const b = await startNode(join(dir, 'b'), httpB, ['--node-id', 'b', '--raft', `127.0.0.1:${raftB}`, '--auth', auth, '--join', `http://root:${PASSWORD}@127.0.0.1:${httpA}`, '--log-level', 'info']);
  started.push(b);
  // Bounded: 60 s of polling for the promotion.
  let members: Array<{ id: string; voter: boolean }> = [];
  for (let i = 0; i < 300 && !members.some((m) => m.id === 'b' && m.voter); i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const response = await fetch(`${a.url}/cluster/status`, { headers: { authorization: ADMIN } });
    if (response.ok) members = ((await response.json()) as { members: Array<{ id: string; voter: boolean }> }).members;
  }
  assert.deepEqual(members.map((m) => `${m.id}:${m.voter}`).sort(), ['a:true', 'b:true']);
  assert.match(b.output(), /joined the cluster as a learner/);
  assert.doesNotMatch(b.output(), new RegExp(PASSWORD));
});
