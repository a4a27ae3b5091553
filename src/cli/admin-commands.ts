/**
 * `oxirs-cluster status`, `members add|promote|remove` and `transfer-leader`: cluster
 * administration through any member's HTTP API.
 */
import { ConfigError } from './node-config.ts';

export interface AdminFlags {
  endpoint: string;
  user?: string;
  token?: string;
}

interface StatusBody {
  nodeId: string;
  role: string;
  term: number;
  leaderId: string | null;
  commitIndex: number;
  appliedIndex: number;
  members: Array<{ id: string; raftAddr: string | null; voter: boolean; matchIndex: number | null; lagEntries: number | null; reachable: boolean }>;
}

async function call(flags: AdminFlags, method: string, path: string, body?: unknown): Promise<StatusBody> {
  let url: URL;
  try {
    url = new URL(path, flags.endpoint);
  } catch {
    throw new ConfigError(`--endpoint ${JSON.stringify(flags.endpoint)} is not a URL`);
  }
  const headers: Record<string, string> = {};
  if (flags.token) headers.authorization = `Bearer ${flags.token}`;
  else if (flags.user) headers.authorization = `Basic ${Buffer.from(flags.user).toString('base64')}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      const error = (JSON.parse(text) as { error: { code: string; message: string } }).error;
      message = `${error.code}: ${error.message}`;
    } catch {
      // not the catalogue's JSON: print as is
    }
    throw new Error(`${response.status} ${message}`);
  }
  return JSON.parse(text) as StatusBody;
}

function printStatus(status: StatusBody): void {
  const rows = [['ID', 'ROLE', 'VOTER', 'RAFT ADDRESS', 'MATCH', 'LAG', 'REACHABLE']];
  for (const m of status.members) {
    const role = m.id === status.leaderId ? 'leader' : m.voter ? 'follower' : 'learner';
    rows.push([m.id, role, m.voter ? 'yes' : 'no', m.raftAddr ?? '?', m.matchIndex === null ? '-' : String(m.matchIndex), m.lagEntries === null ? '-' : String(m.lagEntries), m.reachable ? 'yes' : 'NO']);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = [`answered by ${status.nodeId} (${status.role}), term ${status.term}, leader ${status.leaderId ?? 'none'}, commit ${status.commitIndex}, applied ${status.appliedIndex}`];
  for (const row of rows) lines.push(row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
  if (status.role !== 'leader') lines.push('(match and lag are known on the leader only: ask it for them)');
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function statusCommand(flags: AdminFlags): Promise<void> {
  printStatus(await call(flags, 'GET', '/cluster/status'));
}

export async function addMemberCommand(id: string, raftAddr: string, flags: AdminFlags & { learner?: boolean }): Promise<void> {
  printStatus(await call(flags, 'POST', '/cluster/members', { id, raftAddr, learner: flags.learner === true }));
}

export async function promoteMemberCommand(id: string, flags: AdminFlags): Promise<void> {
  printStatus(await call(flags, 'POST', `/cluster/members/${encodeURIComponent(id)}/promote`));
}

export async function removeMemberCommand(id: string, flags: AdminFlags): Promise<void> {
  printStatus(await call(flags, 'DELETE', `/cluster/members/${encodeURIComponent(id)}`));
}

export async function transferLeaderCommand(flags: AdminFlags & { to?: string }): Promise<void> {
  printStatus(await call(flags, 'POST', '/cluster/leader/transfer', flags.to ? { to: flags.to } : {}));
}
