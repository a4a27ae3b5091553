/**
 * A 3-node oxirs-cluster on 127.0.0.1 for the cluster bench, started exactly as a user starts it:
 * `node bin/oxirs-cluster.js start --node-id nI --data-dir DIR --http 127.0.0.1:P
 * --raft 127.0.0.1:R --initial-cluster n1=…,n2=…,n3=… --log-level warn`, one process per node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, freePort } from './processes.ts';

export interface OurNode {
  id: string;
  url: string;
  raftAddr: string;
  dataDir: string;
  args: string[];
  child: ChildProcess | undefined;
  output: string;
}

export interface OurStatus {
  nodeId: string;
  role: string;
  term: number;
  leaderId: string | null;
  commitIndex: number;
  appliedIndex: number;
  [key: string]: unknown;
}

/** The command line of one node, as a shell would show it (for reproductions). */
export function commandLine(node: OurNode): string {
  return ['node', 'bin/oxirs-cluster.js', ...node.args].join(' ');
}

export async function allocateOurCluster(baseDir: string): Promise<OurNode[]> {
  const ids = ['n1', 'n2', 'n3'];
  const ports: number[] = [];
  while (ports.length < ids.length * 2) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const raftAddrs = ids.map((_, i) => `127.0.0.1:${ports[2 * i + 1]}`);
  const initialCluster = ids.map((id, i) => `${id}=${raftAddrs[i]}`).join(',');
  return ids.map((id, i) => {
    const dataDir = join(baseDir, id);
    mkdirSync(dataDir, { recursive: true });
    const http = `127.0.0.1:${ports[2 * i]}`;
    const args = ['start', '--node-id', id, '--data-dir', dataDir, '--http', http, '--raft', raftAddrs[i], '--initial-cluster', initialCluster, '--log-level', 'warn'];
    return { id, url: `http://${http}`, raftAddr: raftAddrs[i], dataDir, args, child: undefined, output: '' };
  });
}

/** (Re)starts one node with the arguments it was first started with. */
export function startOurNode(node: OurNode): void {
  const child = spawn(process.execPath, [CLI, ...node.args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  node.output = '';
  const keep = (chunk: Buffer) => {
    node.output += chunk;
    if (node.output.length > 64_000) node.output = node.output.slice(-32_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  node.child = child;
}

export function ourAlive(node: OurNode): boolean {
  return node.child !== undefined && node.child.exitCode === null && node.child.signalCode === null;
}

export async function ourStatus(node: OurNode, timeoutMs = 1000): Promise<OurStatus> {
  const response = await fetch(`${node.url}/cluster/status`, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${node.id} /cluster/status: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as OurStatus;
}

export async function ourReady(node: OurNode): Promise<boolean> {
  try {
    const response = await fetch(`${node.url}/health/ready`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

function exitNote(node: OurNode): string {
  return `${node.id} exited (${node.child?.exitCode ?? node.child?.signalCode}); command: ${commandLine(node)}\n--- its output ---\n${node.output.slice(-3000)}`;
}

/**
 * Waits until every given node answers GET /health/ready with 200 and they all name the same
 * leader in GET /cluster/status; returns that leader.
 */
export async function waitOurCluster(nodes: OurNode[], timeoutMs: number): Promise<OurNode> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const dead = nodes.find((n) => !ourAlive(n));
    if (dead) throw new Error(exitNote(dead));
    const ready = await Promise.all(nodes.map(ourReady));
    if (ready.every(Boolean)) {
      try {
        const leader = await findOurLeader(nodes, 0);
        return leader;
      } catch (error) {
        last = (error as Error).message;
      }
    } else {
      last = `ready: ${nodes.map((n, i) => `${n.id}=${ready[i]}`).join(' ')}`;
    }
    if (Date.now() > deadline) {
      throw new Error(`cluster not ready after ${timeoutMs} ms (${last})\n${nodes.map((n) => `--- ${n.id}: ${commandLine(n)}\n${n.output.slice(-1500)}`).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The node that every live node names as leader (polling until they agree or timeoutMs passes). */
export async function findOurLeader(nodes: OurNode[], timeoutMs = 15_000): Promise<OurNode> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = nodes.filter(ourAlive);
    const statuses = await Promise.all(live.map((n) => ourStatus(n).catch((error: Error) => error)));
    const leaderIds = new Set(statuses.map((s) => (s instanceof Error ? undefined : s.leaderId)));
    const [leaderId] = leaderIds;
    if (leaderIds.size === 1 && leaderId) {
      const leader = nodes.find((n) => n.id === leaderId);
      if (leader && ourAlive(leader)) return leader;
    }
    if (Date.now() >= deadline) {
      throw new Error(`no agreed leader: ${statuses.map((s, i) => `${live[i].id}: ${s instanceof Error ? s.message : `leaderId=${s.leaderId} role=${s.role} term=${s.term}`}`).join('; ')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function stopOurNodes(nodes: OurNode[]): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      const child = node.child;
      if (!child || !ourAlive(node)) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

export function insertBody(subject: string, n: number): string {
  return `INSERT DATA { <${subject}> <urn:p> "${n}" }`;
}
