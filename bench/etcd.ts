/**
 * A 3-member etcd cluster on 127.0.0.1 as the cluster bench's peer: the `etcd` binary of Debian's
 * `etcd-server` package (installed with apt-get when missing), each member with its own data dir,
 * default fsync behaviour and default timing unless asked otherwise. Writes go through etcd's v3
 * JSON gateway (`POST /v3/kv/put`, base64 key and value) on each member's client URL.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './processes.ts';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  args: string[];
  child: ChildProcess | undefined;
  output: string;
}

export interface EtcdCluster {
  members: EtcdMember[];
  version: string;
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes sure `etcd` is on PATH, installing Debian's `etcd-server` when it is not. Returns its
 * version line, or throws with the reason it cannot be had.
 */
export function ensureEtcd(log: (line: string) => void): string {
  if (!onPath('etcd')) {
    log('etcd is not on PATH: installing Debian package etcd-server (apt-get install -y etcd-server)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let install = spawnSync('apt-get', ['install', '-y', 'etcd-server'], { env, encoding: 'utf8' });
    if (install.status !== 0) {
      spawnSync('apt-get', ['update'], { env, encoding: 'utf8' });
      install = spawnSync('apt-get', ['install', '-y', 'etcd-server'], { env, encoding: 'utf8' });
    }
    if (install.status !== 0 || !onPath('etcd')) {
      const reason = install.error?.message ?? (install.stderr || install.stdout || '').trim().split('\n').slice(-3).join(' | ');
      throw new Error(`cannot install etcd-server with apt-get (exit ${install.status}): ${reason}`);
    }
  }
  const version = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  return (version.stdout || '').split('\n')[0].trim();
}

/** Timing given to every member; undefined keeps etcd's defaults (heartbeat 100 ms, election 1000 ms). */
export interface EtcdTiming {
  heartbeatMs?: number;
  electionMs?: number;
}

export async function startEtcdCluster(baseDir: string, timing: EtcdTiming = {}): Promise<EtcdCluster> {
  const names = ['e1', 'e2', 'e3'];
  const ports: number[] = [];
  while (ports.length < names.length * 2) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const peerUrls = names.map((_, i) => `http://127.0.0.1:${ports[2 * i + 1]}`);
  const initialCluster = names.map((name, i) => `${name}=${peerUrls[i]}`).join(',');
  const token = `oxirs-bench-${process.pid}-${Date.now()}`;
  const members: EtcdMember[] = names.map((name, i) => {
    const clientUrl = `http://127.0.0.1:${ports[2 * i]}`;
    const dataDir = join(baseDir, name);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const args = [
      '--name', name,
      '--data-dir', dataDir,
      '--listen-client-urls', clientUrl,
      '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrls[i],
      '--initial-advertise-peer-urls', peerUrls[i],
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', token,
      '--logger', 'zap',
      '--log-level', 'warn',
    ];
    if (timing.heartbeatMs !== undefined) args.push('--heartbeat-interval', String(timing.heartbeatMs));
    if (timing.electionMs !== undefined) args.push('--election-timeout', String(timing.electionMs));
    return { name, clientUrl, peerUrl: peerUrls[i], dataDir, args, child: undefined, output: '' };
  });
  for (const member of members) startEtcdMember(member);
  await waitEtcdHealthy(members, 30_000);
  const version = spawnSync('etcd', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0].trim();
  return { members, version };
}

/** (Re)starts one member with the arguments it was first started with. */
export function startEtcdMember(member: EtcdMember): void {
  const child = spawn('etcd', member.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  member.output = '';
  const keep = (chunk: Buffer) => {
    member.output += chunk;
    if (member.output.length > 64_000) member.output = member.output.slice(-32_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  member.child = child;
}

export function etcdAlive(member: EtcdMember): boolean {
  return member.child !== undefined && member.child.exitCode === null && member.child.signalCode === null;
}

async function getJson(url: string, init?: RequestInit, timeoutMs = 1000): Promise<{ status: number; json: any }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json };
}

/** `GET /health` is `{"health":"true"}` once the member has a leader and no alarm. */
export async function etcdHealthy(member: EtcdMember): Promise<boolean> {
  try {
    const { status, json } = await getJson(`${member.clientUrl}/health`);
    return status === 200 && json?.health === 'true';
  } catch {
    return false;
  }
}

export async function waitEtcdHealthy(members: EtcdMember[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = members.find((m) => !etcdAlive(m));
    if (dead) throw new Error(`etcd ${dead.name} exited (${dead.child?.exitCode ?? dead.child?.signalCode}): ${dead.output.slice(-2000)}`);
    const healthy = await Promise.all(members.map(etcdHealthy));
    if (healthy.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`etcd cluster not healthy after ${timeoutMs} ms: ${members.map((m, i) => `${m.name}=${healthy[i]}`).join(' ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface EtcdStatus {
  memberId: string;
  leader: string;
  raftIndex: number;
  raftAppliedIndex: number;
}

export async function etcdStatus(member: EtcdMember): Promise<EtcdStatus> {
  const { status, json } = await getJson(`${member.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}' });
  if (status !== 200) throw new Error(`etcd ${member.name} status: HTTP ${status} ${JSON.stringify(json)}`);
  return {
    memberId: json.header.member_id,
    leader: json.leader,
    raftIndex: Number(json.raftIndex ?? 0),
    raftAppliedIndex: Number(json.raftAppliedIndex ?? json.raftIndex ?? 0),
  };
}

/** The member that all live members agree leads. */
export async function findEtcdLeader(members: EtcdMember[], timeoutMs = 15_000): Promise<EtcdMember> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = members.filter(etcdAlive);
    const statuses = await Promise.all(live.map((m) => etcdStatus(m).catch(() => undefined)));
    const leaderIds = new Set(statuses.map((s) => s?.leader));
    if (statuses.every(Boolean) && leaderIds.size === 1) {
      const leaderId = statuses[0]!.leader;
      const index = statuses.findIndex((s) => s!.memberId === leaderId);
      if (index >= 0) return live[index];
    }
    if (Date.now() > deadline) throw new Error('etcd: no agreed leader');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The body of a v3 gateway put of a small key and value. */
export function etcdPutBody(key: string, value: string): string {
  return JSON.stringify({ key: Buffer.from(key).toString('base64'), value: Buffer.from(value).toString('base64') });
}

export async function stopEtcdCluster(cluster: EtcdCluster | undefined): Promise<void> {
  if (!cluster) return;
  await Promise.all(
    cluster.members.map(async (member) => {
      const child = member.child;
      if (!child || !etcdAlive(member)) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
}
