/**
 * `--join URL`: a brand-new node asks a member (over its HTTP API) to add it as a learner, learns
 * the members' Raft addresses from the answer, and once it has caught up asks to be promoted to a
 * voter. The leader decides when it is caught up (POST .../promote answers 409 until then).
 * Against members with `--auth`, the URL carries an admin user's credentials
 * (`http://user:password@host:port`), sent as HTTP Basic and never logged.
 */
import type { LogFn } from './cluster-node.ts';

const JOIN_ATTEMPTS = 120;
const RETRY_MS = 500;
const PROMOTE_ATTEMPTS = 7200;

interface StatusBody {
  members?: Array<{ id: string; raftAddr: string | null }>;
  error?: { code: string; message: string };
}

/** A member's URL as given to --join: where to send requests, what to send with them, what to show. */
export interface JoinTarget {
  base: URL;
  headers: Record<string, string>;
  /** The URL without its credentials, for logs and errors. */
  shown: string;
}

export function joinTarget(joinUrl: string): JoinTarget {
  const base = new URL(joinUrl);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (base.username !== '' || base.password !== '') {
    const credentials = `${decodeUserinfo(base.username)}:${decodeUserinfo(base.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    base.username = '';
    base.password = '';
  }
  return { base, headers, shown: base.toString() };
}

/** URL userinfo is percent-encoded; a stray `%` is taken as itself. */
function decodeUserinfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

async function post(target: JoinTarget, path: string, body: unknown): Promise<{ status: number; body: StatusBody }> {
  const url = new URL(path, target.base);
  const response = await fetch(url, { method: 'POST', headers: target.headers, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  let parsed: StatusBody = {};
  try {
    parsed = JSON.parse(text) as StatusBody;
  } catch {
    // not JSON: reported by status below
  }
  return { status: response.status, body: parsed };
}

/** Adds this node as a learner through the member at `target`; returns the other members' Raft addresses. */
export async function joinCluster(target: JoinTarget, nodeId: string, raftAddr: string, log: LogFn): Promise<Record<string, string>> {
  let lastError = '';
  for (let attempt = 0; attempt < JOIN_ATTEMPTS; attempt++) {
    try {
      const { status, body } = await post(target, '/cluster/members', { id: nodeId, raftAddr, learner: true });
      if (status === 201 || status === 200) {
        const peers: Record<string, string> = {};
        for (const member of body.members ?? []) if (member.id !== nodeId && member.raftAddr) peers[member.id] = member.raftAddr;
        log('info', 'joined the cluster as a learner', { through: target.shown, members: Object.keys(peers) });
        return peers;
      }
      lastError = `${status} ${body.error?.code ?? ''} ${body.error?.message ?? ''}`.trim();
      if (status !== 503 && status !== 409) throw new Error(`the cluster refused to add this node: ${lastError}`);
    } catch (error) {
      if ((error as Error).message.startsWith('the cluster refused')) throw error;
      lastError = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
  throw new Error(`could not join through ${target.shown}: ${lastError}`);
}

/** Asks for promotion to voter until the leader agrees this node has caught up. */
export async function promoteWhenCaughtUp(target: JoinTarget, nodeId: string, signal: AbortSignal, log: LogFn): Promise<void> {
  const path = `/cluster/members/${encodeURIComponent(nodeId)}/promote`;
  for (let attempt = 0; attempt < PROMOTE_ATTEMPTS && !signal.aborted; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    try {
      const { status, body } = await post(target, path, {});
      if (status === 200) {
        log('info', 'promoted to voter', { nodeId });
        return;
      }
      if (status !== 409 && status !== 503) {
        log('warn', 'promotion refused', { status, error: body.error });
        return;
      }
    } catch {
      // the member we joined through is unreachable for now: try again
    }
  }
}
