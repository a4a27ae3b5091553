/**
 * Storage kept in memory, for tests and the simulator (whose "disk" is exactly this object: it
 * holds only what the caller persisted from a Ready). Same contract as a write-ahead log.
 */
import { assert } from '../util/assert.ts';
import type { ConfState, Entry, HardState, Snapshot } from './messages.ts';
import { emptyConfState, limitSize } from './messages.ts';
import type { InitialState, Storage, StorageResult } from './storage.ts';
import { miss, ok } from './storage.ts';

export class MemoryStorage implements Storage {
  private hardState: HardState = { term: 0, vote: null, commit: 0 };
  private confState: ConfState = emptyConfState();
  private snap: Snapshot = { metadata: { index: 0, term: 0, confState: emptyConfState() }, data: new Uint8Array() };
  // Invariant: ents[0] is a dummy entry at (snap.metadata.index, its term); ents[i].index === ents[0].index + i.
  private ents: Entry[] = [{ index: 0, term: 0, type: 'normal', data: new Uint8Array() }];

  initialState(): InitialState {
    return { hardState: { ...this.hardState }, confState: cloneConfState(this.confState) };
  }

  setHardState(hardState: HardState): void {
    this.hardState = { ...hardState };
  }

  /** Record the configuration as of the applied index (done with the apply, atomically). */
  setConfState(confState: ConfState): void {
    this.confState = cloneConfState(confState);
  }

  private offset(): number {
    return this.ents[0].index;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  entries(lo: number, hi: number, maxSizeBytes: number): StorageResult<Entry[]> {
    const offset = this.offset();
    if (lo <= offset) return miss('compacted');
    if (hi > this.lastIndex() + 1) return miss('unavailable');
    assert(lo <= hi, `entries: bad range [${lo}, ${hi})`);
    return ok(limitSize(this.ents.slice(lo - offset, hi - offset), maxSizeBytes));
  }

  term(index: number): StorageResult<number> {
    const offset = this.offset();
    if (index < offset) return miss('compacted');
    if (index - offset >= this.ents.length) return miss('unavailable');
    return ok(this.ents[index - offset].term);
  }

  snapshot(): StorageResult<Snapshot> {
    return ok(this.snap);
  }

  /** Replace everything with a snapshot received from the leader (older ones are ignored). */
  applySnapshot(snapshot: Snapshot): void {
    if (snapshot.metadata.index <= this.snap.metadata.index) return;
    this.snap = snapshot;
    this.confState = cloneConfState(snapshot.metadata.confState);
    this.ents = [{ index: snapshot.metadata.index, term: snapshot.metadata.term, type: 'normal', data: new Uint8Array() }];
  }

  /** Make a snapshot of the applied state at `index` (index <= lastIndex). */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): void {
    if (index <= this.snap.metadata.index) return;
    assert(index <= this.lastIndex(), `snapshot index ${index} > last index ${this.lastIndex()}`);
    const term = this.ents[index - this.offset()].term;
    this.snap = { metadata: { index, term, confState: cloneConfState(confState) }, data };
  }

  /** Drop entries before `compactIndex` (which becomes the new dummy entry). */
  compact(compactIndex: number): void {
    const offset = this.offset();
    if (compactIndex <= offset) return;
    assert(compactIndex <= this.lastIndex(), `compact ${compactIndex} > last index ${this.lastIndex()}`);
    const dummy = this.ents[compactIndex - offset];
    this.ents = [{ index: dummy.index, term: dummy.term, type: 'normal', data: new Uint8Array() }, ...this.ents.slice(compactIndex - offset + 1)];
  }

  /** Append entries, replacing any conflicting suffix (entries must be contiguous). */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0].index + entries.length - 1;
    if (last < first) return; // all already compacted
    let toAppend = entries;
    if (first > entries[0].index) toAppend = entries.slice(first - entries[0].index);
    const offset = toAppend[0].index - this.offset();
    assert(offset <= this.ents.length, `append leaves a gap: first ${toAppend[0].index} after last ${this.lastIndex()}`);
    this.ents.length = offset;
    for (const entry of toAppend) this.ents.push(entry);
  }

  /** The snapshot's metadata index: entries at or below it are compacted. */
  snapshotIndex(): number {
    return this.snap.metadata.index;
  }
}

export function cloneConfState(cs: ConfState): ConfState {
  return {
    voters: [...cs.voters],
    votersOutgoing: [...cs.votersOutgoing],
    learners: [...cs.learners],
    learnersNext: [...cs.learnersNext],
    autoLeave: cs.autoLeave,
  };
}
