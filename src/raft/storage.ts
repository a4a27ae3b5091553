/**
 * What the Raft core reads from durable storage (etcd's Storage). The core never writes through
 * this interface: the caller appends the entries, hard state and snapshot handed out by
 * `RawNode.ready()` and then calls `advance()`. A write-ahead log implements this the same way
 * the in-memory `MemoryStorage` does.
 *
 * Log layout: a snapshot covers [1, firstIndex), entries cover [firstIndex, lastIndex + 1).
 * term(firstIndex - 1) is still known (the snapshot's term).
 */
import type { ConfState, Entry, HardState, Snapshot } from './messages.ts';

export interface InitialState {
  hardState: HardState;
  /** The configuration as of the applied index the caller restarts with. */
  confState: ConfState;
}

/** Expected ways a read can miss: the index was compacted away, or is beyond the last index. */
export type StorageMiss = 'compacted' | 'unavailable' | 'snapshotTemporarilyUnavailable';

export type StorageResult<T> = { ok: true; value: T } | { ok: false; miss: StorageMiss };

export interface Storage {
  initialState(): InitialState;
  /** Entries in [lo, hi), at most maxSizeBytes in total but always at least one if any exist. */
  entries(lo: number, hi: number, maxSizeBytes: number): StorageResult<Entry[]>;
  /** The term of entry `index`, for index in [firstIndex - 1, lastIndex]. */
  term(index: number): StorageResult<number>;
  firstIndex(): number;
  lastIndex(): number;
  /** The most recent snapshot (to send a follower that fell behind the compacted log). */
  snapshot(): StorageResult<Snapshot>;
}

export function ok<T>(value: T): StorageResult<T> {
  return { ok: true, value };
}

export function miss<T>(reason: StorageMiss): StorageResult<T> {
  return { ok: false, miss: reason };
}
