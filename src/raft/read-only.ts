/**
 * ReadIndex bookkeeping on the leader (thesis 6.4): each read request records the commit index
 * at arrival; it may be served once a quorum has answered a heartbeat sent after it arrived,
 * which proves this node was still leader at that moment. Requests are answered in order.
 */
import type { NodeId } from './messages.ts';

export interface ReadIndexStatus {
  context: string;
  /** The commit index when the request arrived: the read must see at least this. */
  index: number;
  /** Who asked: this node (local) or a follower that forwarded the request. */
  from: NodeId;
  /** Members that acknowledged a heartbeat carrying this (or a later) context. */
  acks: Set<NodeId>;
}

export class ReadOnly {
  private pending = new Map<string, ReadIndexStatus>();
  // Invariant: queue holds exactly the keys of pending, in arrival order.
  private queue: string[] = [];
  /** Bound on waiting requests; more are refused rather than queued without limit. */
  readonly maxPending: number;

  constructor(maxPending: number) {
    this.maxPending = maxPending;
  }

  /** Returns false if the context is already pending or the queue is full. */
  add(context: string, index: number, from: NodeId): boolean {
    if (this.pending.has(context) || this.queue.length >= this.maxPending) return false;
    this.pending.set(context, { context, index, from, acks: new Set() });
    this.queue.push(context);
    return true;
  }

  /** Records an ack of `context` by `id`; returns who acked it, or null if unknown. */
  recvAck(id: NodeId, context: string): Set<NodeId> | null {
    const status = this.pending.get(context);
    if (!status) return null;
    status.acks.add(id);
    return status.acks;
  }

  /** Removes and returns every request up to and including `context` (earlier ones are confirmed too). */
  advance(context: string): ReadIndexStatus[] {
    const at = this.queue.indexOf(context);
    if (at < 0) return [];
    const done = this.queue.splice(0, at + 1);
    return done.map((c) => {
      const s = this.pending.get(c)!;
      this.pending.delete(c);
      return s;
    });
  }

  lastPendingContext(): string | null {
    return this.queue.length === 0 ? null : this.queue[this.queue.length - 1];
  }

  size(): number {
    return this.queue.length;
  }
}
