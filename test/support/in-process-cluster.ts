// In-process clusters for tests: ClusterNodes over real TCP on 127.0.0.1 (optionally through fault proxies).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { QuadStore } from '../../src/store/quad-store.ts';
import { ClusterNode, type ClusterNodeOptions } from '../../src/cluster/cluster-node.ts';
import { freePort } from '../e2e/node-process.ts';
import { FaultProxy } from '../e2e/fault-proxy.ts';

export interface Member {
  id: string;
  dir: string;
  raftAddr: string;
  store: QuadStore;
  node: ClusterNode;
  logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;
}

export async function startMember(id: string, dir: string, raftAddr: string, extra: Partial<ClusterNodeOptions>): Promise<Member> {
  const store = QuadStore.open({ path: join(dir, 'store') });
  const logs: Member['logs'] = [];
  const node = await ClusterNode.start({
    nodeId: id,
    dataDir: dir,
    store,
    raftAddr,
    compactLogBytes: 64 * 2 ** 20,
    heartbeatIntervalMs: 50,
    electionTimeoutMs: 500,
    log: (level, message, fields) => logs.push({ level, message, fields }),
    ...extra,
  });
  return { id, dir, raftAddr, store, node, logs };
}

export async function stopMember(member: Member): Promise<void> {
  await member.node.close();
  await member.store.close();
}

export async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function leaderOf(members: Member[]): Member {
  const leader = members.find((m) => m.node.status().role === 'leader');
  assert.ok(leader, 'no leader');
  return leader;
}

/** Three nodes; when latencyMs is given, every peer link goes through a FaultProxy with that one-way latency. */
export async function withCluster(
  body: (members: Member[], ctx: { root: string; proxies: Map<string, FaultProxy>; addresses: Record<string, string>; views: Record<string, Record<string, string>> }) => Promise<void>,
  extra: Partial<ClusterNodeOptions> | ((id: string) => Partial<ClusterNodeOptions>) = {},
  opts: { latencyMs?: number; ids?: string[] } = {},
): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'oxirs-in-process-'));
  const ids = opts.ids ?? ['n1', 'n2', 'n3'];
  const addresses: Record<string, string> = Object.fromEntries(await Promise.all(ids.map(async (id) => [id, `127.0.0.1:${await freePort()}`] as const)));
  const proxies = new Map<string, FaultProxy>();
  const views: Record<string, Record<string, string>> = {};
  if (opts.latencyMs !== undefined) {
    for (const id of ids) proxies.set(id, await FaultProxy.start({ targetPort: Number(addresses[id].split(':')[1]), latencyMs: opts.latencyMs, name: id }));
  }
  for (const id of ids) {
    views[id] = Object.fromEntries(ids.map((other) => [other, other === id || !proxies.has(other) ? addresses[other] : proxies.get(other)!.address]));
  }
  const members: Member[] = [];
  try {
    for (const id of ids) members.push(await startMember(id, join(root, id), addresses[id], { initialCluster: views[id], clusterSecret: 's', ...(typeof extra === 'function' ? extra(id) : extra) }));
    await until('a leader', () => members.every((m) => m.node.status().leaderId !== null) && members[0].node.status().leaderId, 20_000);
    await body(members, { root, proxies, addresses, views });
  } finally {
    for (const member of members) await stopMember(member).catch(() => undefined);
    for (const proxy of proxies.values()) await proxy.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

export const insert = (n: number) => ({ kind: 'update' as const, text: `INSERT DATA { <urn:s:${n}> <urn:p> "${n}" }` });
