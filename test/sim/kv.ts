/**
 * The replicated state machine the simulator runs on every node: a string key-value map with
 * put, get and compare-and-set, and a session table so a command delivered twice (a duplicated
 * proposal) takes effect once (thesis 6.3). It also records the applied index, in the same
 * "transaction" as the data, as the real store does.
 */
import { assert } from '../../src/util/assert.ts';

export type KvCommand =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'cas'; key: string; expected: string | null; value: string };

export interface KvRequest {
  clientId: number;
  /** Per-client sequence number: strictly increasing, one outstanding request per client. */
  seq: number;
  command: KvCommand;
}

export type KvResult = { kind: 'put'; ok: true } | { kind: 'cas'; ok: boolean };

export function encodeRequest(request: KvRequest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(request));
}

export function decodeRequest(data: Uint8Array): KvRequest {
  return JSON.parse(new TextDecoder().decode(data)) as KvRequest;
}

export class KvStateMachine {
  private data = new Map<string, string>();
  /** Last sequence number applied per client (duplicates at or below it are skipped). */
  private sessions = new Map<number, number>();
  appliedIndex = 0;

  get(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  /** Applies a request at `index`; null when the request is a duplicate and has no effect. */
  apply(index: number, request: KvRequest): KvResult | null {
    this.markApplied(index);
    const last = this.sessions.get(request.clientId) ?? 0;
    if (request.seq <= last) return null;
    this.sessions.set(request.clientId, request.seq);
    const c = request.command;
    switch (c.kind) {
      case 'put':
        this.data.set(c.key, c.value);
        return { kind: 'put', ok: true };
      case 'cas': {
        const current = this.data.get(c.key) ?? null;
        if (current !== c.expected) return { kind: 'cas', ok: false };
        this.data.set(c.key, c.value);
        return { kind: 'cas', ok: true };
      }
    }
  }

  /** Records that an entry without a KV effect (no-op, conf change) was applied. */
  markApplied(index: number): void {
    assert(index === this.appliedIndex + 1, `entry ${index} applied after ${this.appliedIndex}: applied twice or skipped`);
    this.appliedIndex = index;
  }

  serialize(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify({ data: [...this.data], sessions: [...this.sessions], appliedIndex: this.appliedIndex }));
  }

  restore(bytes: Uint8Array, snapshotIndex: number): void {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { data: [string, string][]; sessions: [number, number][]; appliedIndex: number };
    assert(parsed.appliedIndex === snapshotIndex, `snapshot data at ${parsed.appliedIndex} labelled ${snapshotIndex}`);
    this.data = new Map(parsed.data);
    this.sessions = new Map(parsed.sessions);
    this.appliedIndex = parsed.appliedIndex;
  }
}
