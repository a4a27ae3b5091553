/**
 * Request and response over the peer transport, for admin operations a follower hands to the
 * leader (membership changes, leadership transfer) and for the leader's view of the cluster (the
 * dashboard's overview). Writes and reads do not need it: proposals and read indexes are forwarded
 * by the Raft core itself.
 */
import { randomBytes } from 'node:crypto';
import type { NodeId } from '../raft/messages.ts';
import type { PeerTransport } from '../raft/transport/peer-transport.ts';
import { ClusterError, type ClusterErrorCode } from './cluster-errors.ts';

export type RpcRequest = (
  | { op: 'addMember'; id: NodeId; raftAddr: string; learner: boolean }
  | { op: 'promoteMember'; id: NodeId }
  | { op: 'removeMember'; id: NodeId }
  | { op: 'transferLeader'; to: NodeId | null; awayFrom: NodeId | null }
  | { op: 'status' }
) & { timeoutMs?: number };

interface RpcCall {
  t: 'rpc';
  id: string;
  request: RpcRequest;
}

interface RpcReply {
  t: 'rpcReply';
  id: string;
  result?: unknown;
  error?: { code: ClusterErrorCode; message: string; details: Record<string, unknown> };
}

export class PeerRpc {
  private readonly pending = new Map<string, { resolve(value: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout }>();
  private readonly prefix = randomBytes(6).toString('hex');
  private counter = 0;

  constructor(
    private readonly transport: PeerTransport,
    private readonly serve: (from: NodeId, request: RpcRequest) => Promise<unknown>,
  ) {}

  call(to: NodeId, request: RpcRequest, timeoutMs: number): Promise<unknown> {
    const id = `${this.prefix}.${++this.counter}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ClusterError('write_timeout', `The leader (${to}) did not answer within ${timeoutMs} ms; check /cluster/status before retrying.`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.transport.send(to, { t: 'rpc', id, request: { ...request, timeoutMs: Math.max(100, timeoutMs - 100) } } satisfies RpcCall);
    });
  }

  /** Handles a message that is an RPC call or reply; ignores anything else. */
  receive(from: NodeId, message: unknown): void {
    const m = message as { t?: string; id?: string; request?: RpcRequest; result?: unknown; error?: RpcReply['error'] };
    if (m.t === 'rpc' && typeof m.id === 'string' && m.request) {
      const id = m.id;
      this.serve(from, m.request).then(
        (result) => this.transport.send(from, { t: 'rpcReply', id, result } satisfies RpcReply),
        (error: Error) => {
          const code: ClusterErrorCode = error instanceof ClusterError ? error.code : 'write_timeout';
          const details = error instanceof ClusterError ? error.details : {};
          this.transport.send(from, { t: 'rpcReply', id, error: { code, message: error.message, details } } satisfies RpcReply);
        },
      );
    } else if (m.t === 'rpcReply' && typeof m.id === 'string') {
      const call = this.pending.get(m.id);
      if (!call) return;
      this.pending.delete(m.id);
      clearTimeout(call.timer);
      if (m.error) call.reject(new ClusterError(m.error.code, m.error.message, m.error.details));
      else call.resolve(m.result);
    }
  }

  close(): void {
    for (const call of this.pending.values()) {
      clearTimeout(call.timer);
      call.reject(new ClusterError('no_leader', 'The node is shutting down.'));
    }
    this.pending.clear();
  }
}
