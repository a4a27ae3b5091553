/**
 * Membership data the application attaches to a Raft configuration change (its `context`): which
 * request proposed it, and the Raft address of a member being added. Addresses live in the log
 * (and in snapshots) so every node, including one that joins later, can dial every member.
 */
import type { NodeId } from '../raft/messages.ts';

export interface MemberContext {
  requestId: string;
  /** The member the change adds (or promotes), with its Raft address. */
  nodeId?: NodeId;
  raftAddr?: string;
}

export function encodeMemberContext(context: MemberContext): string {
  return JSON.stringify(context);
}

export function decodeMemberContext(context: string | undefined): MemberContext | undefined {
  if (!context) return undefined;
  try {
    const parsed = JSON.parse(context) as MemberContext;
    return typeof parsed.requestId === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `HOST:PORT` (IPv6 in brackets) to a transport address; throws on anything else. */
export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) throw new Error(`${JSON.stringify(text)} is not HOST:PORT`);
  return { host: match[1] ?? match[2], port };
}

/** `id=HOST:PORT,...` (etcd's --initial-cluster). */
export function parseInitialCluster(text: string): Record<NodeId, string> {
  const members: Record<NodeId, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`${JSON.stringify(part)} is not ID=HOST:PORT`);
    const id = part.slice(0, eq).trim();
    const address = part.slice(eq + 1).trim();
    parseHostPort(address);
    if (members[id] !== undefined) throw new Error(`member ${id} is named twice`);
    members[id] = address;
  }
  if (Object.keys(members).length === 0) throw new Error('no members');
  return members;
}

