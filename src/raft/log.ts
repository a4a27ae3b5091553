/**
 * The Raft log as the core sees it: a stable part read through `Storage`, and an unstable part
 * (entries and possibly a snapshot) not yet handed to the caller for persistence.
 *
 *   snapshot/first.....applied....committed....stable last | unstable.offset ... last
 *
 * Faults tolerated: the caller may crash at any point; whatever was unstable is simply lost and
 * the log restarts from storage.
 */
import { assert } from '../util/assert.ts';
import type { Entry, Snapshot } from './messages.ts';
import { limitSize } from './messages.ts';
import type { Storage } from './storage.ts';

/** Entries and a snapshot received but not yet persisted by the caller. */
class Unstable {
  /** An incoming snapshot to persist, or null. */
  snapshot: Snapshot | null = null;
  /** Entries [offset, offset + entries.length) not yet persisted. */
  entries: Entry[] = [];
  // Invariant: if snapshot !== null then offset === snapshot.metadata.index + 1.
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  maybeFirstIndex(): number | null {
    return this.snapshot === null ? null : this.snapshot.metadata.index + 1;
  }

  maybeLastIndex(): number | null {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    if (this.snapshot !== null) return this.snapshot.metadata.index;
    return null;
  }

  maybeTerm(index: number): number | null {
    if (index < this.offset) {
      if (this.snapshot !== null && this.snapshot.metadata.index === index) return this.snapshot.metadata.term;
      return null;
    }
    const last = this.maybeLastIndex();
    if (last === null || index > last) return null;
    return this.entries[index - this.offset].term;
  }

  /** The caller persisted entries up to (index, term). */
  stableTo(index: number, term: number): void {
    const t = this.maybeTerm(index);
    if (t === null || t !== term || index < this.offset) return; // overwritten meanwhile
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapshotTo(index: number): void {
    if (this.snapshot !== null && this.snapshot.metadata.index === index) this.snapshot = null;
  }

  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.entries = [];
    this.snapshot = snapshot;
  }

  truncateAndAppend(entries: Entry[]): void {
    const first = entries[0].index;
    if (first === this.offset + this.entries.length) {
      for (const e of entries) this.entries.push(e);
    } else if (first <= this.offset) {
      // Replaces everything unstable; the stable tail from `first` on is overwritten by the caller.
      this.offset = first;
      this.entries = [...entries];
    } else {
      this.entries = [...this.entries.slice(0, first - this.offset), ...entries];
    }
  }

  slice(lo: number, hi: number): Entry[] {
    assert(lo >= this.offset && hi <= this.offset + this.entries.length && lo <= hi, `unstable slice [${lo}, ${hi}) out of [${this.offset}, ${this.offset + this.entries.length})`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}

export type LogSlice = { ok: true; entries: Entry[] } | { ok: false; miss: 'compacted' };

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  // Invariant: applied <= committed <= lastIndex().
  /** The highest index known to be committed (paper Figure 2 commitIndex). */
  committed: number;
  /** The highest index handed to the caller to apply (and confirmed by advance). */
  applied: number;
  private readonly maxApplyBytes: number;

  constructor(storage: Storage, maxApplyBytes: number) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    // Everything up to the snapshot is committed and applied by definition.
    this.committed = first - 1;
    this.applied = first - 1;
    this.maxApplyBytes = maxApplyBytes;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    assert(t !== null, 'the term of the last entry is always known');
    return t;
  }

  /** The term of entry `index`, or null if compacted or not present. */
  term(index: number): number | null {
    const dummy = this.firstIndex() - 1;
    if (index < dummy || index > this.lastIndex()) return null;
    const u = this.unstable.maybeTerm(index);
    if (u !== null) return u;
    const s = this.storage.term(index);
    return s.ok ? s.value : null;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** The last index the caller has persisted (stable storage, not overwritten by unstable). */
  persistedLastIndex(): number {
    // A snapshot waiting to be persisted replaces the whole stored log: nothing counts yet.
    if (this.unstable.snapshot !== null) return 0;
    return Math.min(this.storage.lastIndex(), this.unstable.offset - 1);
  }

  /** Raft paper 5.4.1: is (lastIndex, lastTerm) at least as up-to-date as our log? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Append entries from the leader after (index, logTerm), as in AppendEntries receiver rules
   * 2-5. Returns the new last index of the matched part, or null if (index, logTerm) does not match.
   */
  maybeAppend(index: number, logTerm: number, committed: number, entries: Entry[]): number | null {
    if (!this.matchTerm(index, logTerm)) return null;
    const lastNew = index + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      assert(conflict > this.committed, `entry ${conflict} conflicts with committed entry (committed ${this.committed})`);
      this.append(entries.slice(conflict - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  /** Appends after the last index (overwriting a suffix if entries start earlier). Returns last index. */
  append(entries: Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    assert(entries[0].index - 1 >= this.committed, `append at ${entries[0].index} would overwrite committed ${this.committed}`);
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /**
   * The index of the first entry that conflicts with the log (same index, other term), or of
   * the first new entry if none conflicts, or 0 if all are already present.
   */
  private findConflict(entries: Entry[]): number {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * For fast backtracking (etcd's findConflictByTerm): the largest index <= `index` whose term is
   * <= `term`, with that term.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let i = Math.min(index, this.lastIndex());
    for (let guard = 0; guard < 1_000_000_000; guard++) {
      const t = this.term(i);
      if (t === null) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
      i--;
    }
    assert(false, 'findConflictByTerm did not terminate');
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), `commit ${index} is beyond the last index ${this.lastIndex()}`);
    this.committed = index;
  }

  appliedTo(index: number): void {
    if (index === 0) return;
    assert(index <= this.committed && index >= this.applied, `applied ${index} outside [${this.applied}, ${this.committed}]`);
    this.applied = index;
  }

  /** Commit the leader's entry at `index` if it is of `term` (paper 5.4.2); true if advanced. */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.term(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries;
  }

  /** Committed entries the caller may apply now: [applied + 1, min(committed, persisted) + 1). */
  nextCommittedEntries(): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    const hi = Math.min(this.committed, this.persistedLastIndex()) + 1;
    if (lo >= hi) return [];
    const slice = this.slice(lo, hi, this.maxApplyBytes);
    assert(slice.ok, `committed entries [${lo}, ${hi}) were compacted before being applied`);
    return slice.entries;
  }

  hasNextCommittedEntries(): boolean {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return lo <= Math.min(this.committed, this.persistedLastIndex());
  }

  /** Entries from `lo` to the end, limited by size. */
  entriesFrom(lo: number, maxSizeBytes: number): LogSlice {
    if (lo > this.lastIndex()) return { ok: true, entries: [] };
    return this.slice(lo, this.lastIndex() + 1, maxSizeBytes);
  }

  /** Entries [lo, hi) limited by size (at least one entry). */
  slice(lo: number, hi: number, maxSizeBytes: number): LogSlice {
    assert(lo <= hi, `slice [${lo}, ${hi}) is reversed`);
    if (lo < this.firstIndex()) return { ok: false, miss: 'compacted' };
    assert(hi <= this.lastIndex() + 1, `slice [${lo}, ${hi}) beyond last index ${this.lastIndex()}`);
    if (lo === hi) return { ok: true, entries: [] };
    let out: Entry[] = [];
    const uOffset = this.unstable.offset;
    if (lo < uOffset) {
      const stored = this.storage.entries(lo, Math.min(hi, uOffset), maxSizeBytes);
      if (!stored.ok) {
        if (stored.miss === 'compacted') return { ok: false, miss: 'compacted' };
        assert(false, `storage entries [${lo}, ${Math.min(hi, uOffset)}) unavailable`);
      }
      out = stored.value;
      // Storage stopped early because of the size limit: do not add unstable entries.
      if (out.length < Math.min(hi, uOffset) - lo) return { ok: true, entries: out };
    }
    if (hi > uOffset) {
      const u = this.unstable.slice(Math.max(lo, uOffset), hi);
      out = out.length > 0 ? [...out, ...u] : u;
    }
    return { ok: true, entries: limitSize(out, maxSizeBytes) };
  }

  /** Replace the whole log by a snapshot (InstallSnapshot receiver, paper 7). */
  restore(snapshot: Snapshot): void {
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapshotTo(index: number): void {
    this.unstable.stableSnapshotTo(index);
  }

  /** The snapshot to send a follower that needs compacted entries. */
  snapshot(): Snapshot | null {
    if (this.unstable.snapshot !== null) return this.unstable.snapshot;
    const s = this.storage.snapshot();
    return s.ok ? s.value : null;
  }
}
