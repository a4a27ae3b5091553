/**
 * The durable Raft log: append-only segment files of checksummed records (wal-record.ts) in one
 * folder, implementing the core's `Storage` for reads (served from memory) and offering the
 * writes a Ready needs. `save()` is a group commit: every entry and the hard state of one Ready
 * go out in one write and one fdatasync, and it returns only when they are on disk, so the
 * caller can then send the messages that depend on them.
 *
 * Faults tolerated: a crash in the middle of a write leaves a torn last record, which recovery
 * detects and cuts off (that write was never acknowledged). A bad record anywhere else, or a gap
 * in the entry indexes, is corruption: `open` throws and the node must not start on that log.
 *
 * Segments: a new one starts past `segmentBytes`, beginning with a checkpoint of the snapshot
 * point, configuration and hard state. A compaction starts a segment whose checkpoint also holds
 * the entries after the snapshot, and deletes every older segment.
 *
 * Preallocation: the segment being written is extended with zeros ahead of the writes (synced
 * once), so a write overwrites blocks the file already has and its fdatasync need not also
 * commit a new file size to the filesystem's journal (on ext4 that is most of the cost of a small
 * append). The zeros read as the end of the log (wal-record.ts); a sealed segment is cut to its
 * records.
 */
import { closeSync, fdatasync, fdatasyncSync, write, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../../util/assert.ts';
import type { ConfState, Entry, HardState, Snapshot, SnapshotMetadata } from '../messages.ts';
import { emptyConfState, limitSize } from '../messages.ts';
import type { InitialState, Storage, StorageResult } from '../storage.ts';
import { miss, ok } from '../storage.ts';
import { decodeRecord, encodeRecord, type WalRecord } from './wal-record.ts';

export class WalCorruptionError extends Error {
  override name = 'WalCorruptionError';
}

export interface WalOptions {
  /** A segment that grew past this starts a new one. */
  segmentBytes?: number;
  /** Zeros added ahead of the writes at a time (0: none, every write appends). */
  preallocateBytes?: number;
  /** Told how long each fdatasync of appended records took (metrics); called once per save. */
  onFsync?: (seconds: number) => void;
}

interface Segment {
  sequence: number;
  path: string;
}

const SEGMENT_NAME = /^(\d{16})\.wal$/;
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const DEFAULT_PREALLOCATE_BYTES = 4 * 1024 * 1024;
/** A write this small goes to the page cache on the event loop: one thread-pool trip (the sync) instead of two. */
const INLINE_WRITE_MAX_BYTES = 64 * 1024;
const ZEROS = Buffer.alloc(1024 * 1024);

function segmentName(sequence: number): string {
  return `${String(sequence).padStart(16, '0')}.wal`;
}

export class WriteAheadLog implements Storage {
  private hardState: HardState = { term: 0, vote: null, commit: 0 };
  private confState: ConfState = emptyConfState();
  private snapshotMetadata: SnapshotMetadata = { index: 0, term: 0, confState: emptyConfState() };
  // Invariant: entries[i].index === snapshotMetadata.index + 1 + i (the log after the snapshot).
  private entriesInMemory: Entry[] = [];
  private readonly segments: Segment[] = [];
  private fd: number;
  /** Where the next write goes in the current segment: the end of its records. */
  private currentBytes: number;
  /** The current segment's size on disk; [currentBytes, allocatedBytes) holds zeros. */
  private allocatedBytes: number;
  private readonly segmentBytes: number;
  private readonly preallocateBytes: number;
  private readonly onFsync: ((seconds: number) => void) | undefined;

  private constructor(
    readonly directory: string,
    options: WalOptions,
  ) {
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.preallocateBytes = options.preallocateBytes ?? DEFAULT_PREALLOCATE_BYTES;
    this.onFsync = options.onFsync;
    mkdirSync(directory, { recursive: true });
    const names = readdirSync(directory).filter((name) => SEGMENT_NAME.test(name)).sort();
    let recordsEnd = 0;
    names.forEach((name, i) => {
      recordsEnd = this.replaySegment(join(directory, name), Number(SEGMENT_NAME.exec(name)![1]), i === names.length - 1);
    });
    this.fd = -1;
    this.currentBytes = 0;
    this.allocatedBytes = 0;
    if (this.segments.length === 0) {
      this.startSegment(1);
    } else {
      const last = this.segments[this.segments.length - 1];
      this.fd = openSync(last.path, 'r+');
      this.currentBytes = recordsEnd;
      this.allocatedBytes = fstatSync(this.fd).size;
    }
  }

  /** Opens (creating if needed) the log in `directory`, recovering from a torn tail. */
  static open(directory: string, options: WalOptions = {}): WriteAheadLog {
    return new WriteAheadLog(directory, options);
  }

  // ---- recovery -----------------------------------------------------------------------------

  /** Replays one segment; returns where its records end. */
  private replaySegment(path: string, sequence: number, isLast: boolean): number {
    const segment: Segment = { sequence, path };
    this.segments.push(segment);
    const buffer = readFileSync(path);
    let offset = 0;
    while (offset < buffer.length) {
      const result = decodeRecord(buffer, offset);
      if (result.kind === 'record') {
        this.apply(result.record, segment);
        offset += result.bytes;
        continue;
      }
      // Preallocated zeros, in the segment being written or in one sealed just before a crash.
      if (result.kind === 'end') return offset;
      if (result.kind === 'torn' && isLast) {
        // The write that was cut short was never acknowledged: drop it, durably.
        const fd = openSync(path, 'r+');
        try {
          ftruncateSync(fd, offset);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        return offset;
      }
      const reason = result.kind === 'corrupt' ? result.reason : 'a record is cut short before the last segment';
      throw new WalCorruptionError(`${path}: byte ${offset}: ${reason}`);
    }
    return offset;
  }

  private apply(record: WalRecord, segment: Segment): void {
    switch (record.type) {
      case 'hardState':
        this.hardState = record.hardState;
        return;
      case 'confState':
        this.confState = record.confState;
        return;
      case 'snapshot':
        this.applySnapshotMetadata(record.metadata);
        return;
      case 'entry': {
        const entry = record.entry;
        const first = this.snapshotMetadata.index + 1;
        // A segment written before a compaction can hold entries the snapshot now covers.
        if (entry.index < first) return;
        if (entry.index > this.lastIndex() + 1) {
          throw new WalCorruptionError(`${segment.path}: entry ${entry.index} follows ${this.lastIndex()}: a gap in the log`);
        }
        // A new entry at an existing index replaces it and everything after (Raft §5.3).
        this.entriesInMemory.length = entry.index - first;
        this.entriesInMemory.push(entry);
        return;
      }
    }
  }

  private applySnapshotMetadata(metadata: SnapshotMetadata): void {
    // An older segment's checkpoint, replayed before the compaction that superseded it.
    if (metadata.index < this.snapshotMetadata.index) return;
    const keepFrom = metadata.index + 1;
    // Entries after the snapshot survive only if the log agrees with it at its index (a
    // checkpoint re-stating the current snapshot point agrees trivially).
    const known = this.term(metadata.index);
    const agrees = known.ok && known.value === metadata.term;
    this.entriesInMemory = agrees ? this.entriesInMemory.filter((e) => e.index >= keepFrom) : [];
    this.snapshotMetadata = metadata;
    if (metadata.index > this.hardState.commit) this.hardState = { ...this.hardState, commit: metadata.index };
  }

  // ---- Storage ------------------------------------------------------------------------------

  initialState(): InitialState {
    return { hardState: { ...this.hardState }, confState: structuredClone(this.confState) };
  }

  firstIndex(): number {
    return this.snapshotMetadata.index + 1;
  }

  lastIndex(): number {
    return this.snapshotMetadata.index + this.entriesInMemory.length;
  }

  entries(lo: number, hi: number, maxSizeBytes: number): StorageResult<Entry[]> {
    const first = this.firstIndex();
    if (lo < first) return miss('compacted');
    if (hi > this.lastIndex() + 1) return miss('unavailable');
    assert(lo <= hi, `entries: bad range [${lo}, ${hi})`);
    return ok(limitSize(this.entriesInMemory.slice(lo - first, hi - first), maxSizeBytes));
  }

  term(index: number): StorageResult<number> {
    const offset = this.snapshotMetadata.index;
    if (index < offset) return miss('compacted');
    if (index === offset) return ok(this.snapshotMetadata.term);
    if (index > this.lastIndex()) return miss('unavailable');
    return ok(this.entriesInMemory[index - offset - 1].term);
  }

  /** The snapshot point; its data lives with the state machine (the store), not in the log. */
  snapshot(): StorageResult<Snapshot> {
    return ok({ metadata: structuredClone(this.snapshotMetadata), data: new Uint8Array() });
  }

  // ---- writes -------------------------------------------------------------------------------

  /**
   * Appends what a Ready asks to persist, in one write and one fdatasync: entries (an entry at an
   * existing index replaces it and all after), then the hard state. Returns once durable.
   */
  save(update: { entries?: Entry[]; hardState?: HardState }): void {
    const records: WalRecord[] = [];
    for (const entry of update.entries ?? []) records.push({ type: 'entry', entry });
    if (update.hardState) records.push({ type: 'hardState', hardState: update.hardState });
    if (records.length === 0) return;
    const segment = this.writeDurably(records);
    for (const record of records) this.apply(record, segment);
  }

  /**
   * `save` with the fdatasync off the event loop (libuv's thread pool), so the process keeps
   * serving while the disk works. No other write may start before it resolves.
   */
  async saveAsync(update: { entries?: Entry[]; hardState?: HardState }): Promise<void> {
    const records: WalRecord[] = [];
    for (const entry of update.entries ?? []) records.push({ type: 'entry', entry });
    const previous = this.hardState;
    const hardState = update.hardState;
    if (hardState && records.length === 0 && hardState.term === previous.term && hardState.vote === previous.vote) {
      // Only the commit index moved: nothing is written (etcd's MustSync is false). A commit index
      // lost in a crash is learnt again from the leader; the state machine records what it applied.
      this.hardState = hardState;
      return;
    }
    if (hardState) records.push({ type: 'hardState', hardState });
    if (records.length === 0) return;
    const bytes = this.encodeRecords(records);
    await this.preallocateAsync(bytes.length);
    const { segment, position } = this.reserve(bytes.length);
    const fd = this.fd;
    if (bytes.length <= INLINE_WRITE_MAX_BYTES) writeFully(fd, bytes, position);
    else await writeAsync(fd, bytes, position);
    const syncStarted = performance.now();
    await fdatasyncAsync(fd);
    this.onFsync?.((performance.now() - syncStarted) / 1000);
    for (const record of records) this.apply(record, segment);
  }

  /** Records the configuration as of the applied index. */
  setConfState(confState: ConfState): void {
    const segment = this.writeDurably([{ type: 'confState', confState }]);
    this.apply({ type: 'confState', confState }, segment);
  }

  /**
   * The log now starts after `metadata` (a snapshot taken locally, or installed from the leader):
   * entries up to its index are dropped. A new segment starts with the snapshot point and the
   * entries after it, so every older segment is then deleted. A crash in between leaves the old
   * segments plus a (possibly torn) new one, which replays to the same log.
   */
  applySnapshot(metadata: SnapshotMetadata): void {
    assert(metadata.index >= this.snapshotMetadata.index, `snapshot ${metadata.index} is older than ${this.snapshotMetadata.index}`);
    const scratch: Segment = { sequence: 0, path: this.directory };
    this.apply({ type: 'snapshot', metadata }, scratch);
    const older = this.segments.splice(0, this.segments.length);
    this.startSegment((older[older.length - 1]?.sequence ?? 0) + 1);
    for (const segment of older) unlinkSync(segment.path);
  }

  /** Compacts the log up to `index` (an applied index the state machine has persisted). */
  compact(index: number): void {
    if (index <= this.snapshotMetadata.index) return;
    const term = this.term(index);
    assert(term.ok, `compact: no term for index ${index}`);
    this.applySnapshot({ index, term: term.value, confState: structuredClone(this.confState) });
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Segment files on disk, for tests and metrics. */
  segmentCount(): number {
    return this.segments.length;
  }

  private writeDurably(records: WalRecord[]): Segment {
    const segment = this.writeRecords(records);
    const syncStarted = performance.now();
    fdatasyncSync(this.fd);
    this.onFsync?.((performance.now() - syncStarted) / 1000);
    return segment;
  }

  /** Writes records to the current segment (not yet synced). */
  private writeRecords(records: WalRecord[]): Segment {
    const bytes = this.encodeRecords(records);
    const { segment, position } = this.reserve(bytes.length);
    writeFully(this.fd, bytes, position);
    return segment;
  }

  /** Encodes records, rotating to a new segment first if the current one is full. */
  private encodeRecords(records: WalRecord[]): Buffer {
    assert(this.fd >= 0, 'write-ahead log is closed');
    if (this.currentBytes >= this.segmentBytes) this.startSegment(this.segments[this.segments.length - 1].sequence + 1);
    return Buffer.concat(records.map(encodeRecord));
  }

  /** Reserves `length` bytes after the records of the current segment. */
  private reserve(length: number): { segment: Segment; position: number } {
    const position = this.currentBytes;
    this.currentBytes += length;
    // A write past the zeros appends: correct, just slower to sync.
    this.allocatedBytes = Math.max(this.allocatedBytes, this.currentBytes);
    return { segment: this.segments[this.segments.length - 1], position };
  }

  /**
   * Makes sure the next `length` bytes land on zeros already on disk, adding (and syncing) more
   * when they would not. A write larger than the preallocation step just appends: zeroing its
   * place first would write it twice.
   */
  private async preallocateAsync(length: number): Promise<void> {
    if (this.preallocateBytes === 0 || length > this.preallocateBytes || this.currentBytes + length <= this.allocatedBytes) return;
    const target = this.currentBytes + length + this.preallocateBytes;
    const fd = this.fd;
    for (let at = this.allocatedBytes; at < target; at += ZEROS.length) {
      await writeAsync(fd, ZEROS.subarray(0, Math.min(ZEROS.length, target - at)), at);
    }
    await fdatasyncAsync(fd);
    this.allocatedBytes = target;
  }

  /**
   * A new segment starts with a checkpoint: the snapshot point, configuration, hard state and
   * every entry after the snapshot that older segments hold, so it replays on its own.
   */
  private startSegment(sequence: number): void {
    if (this.fd >= 0) {
      // Seal the old segment at its records. Not synced: zeros left by a crash read as its end.
      if (this.allocatedBytes > this.currentBytes) ftruncateSync(this.fd, this.currentBytes);
      closeSync(this.fd);
    }
    const path = join(this.directory, segmentName(sequence));
    this.fd = openSync(path, 'wx+');
    const segment: Segment = { sequence, path };
    this.segments.push(segment);
    const olderHoldEntries = this.segments.length > 1;
    const checkpoint: WalRecord[] = [
      { type: 'snapshot', metadata: this.snapshotMetadata },
      { type: 'confState', confState: this.confState },
      { type: 'hardState', hardState: this.hardState },
      ...(olderHoldEntries ? [] : this.entriesInMemory.map((entry): WalRecord => ({ type: 'entry', entry }))),
    ];
    const bytes = Buffer.concat(checkpoint.map(encodeRecord));
    writeFully(this.fd, bytes, 0);
    fdatasyncSync(this.fd);
    this.currentBytes = bytes.length;
    this.allocatedBytes = bytes.length;
    // The new file's name must be durable too.
    const directoryFd = openSync(this.directory, 'r');
    try {
      fsyncSync(directoryFd);
    } finally {
      closeSync(directoryFd);
    }
  }
}

function writeFully(fd: number, bytes: Buffer, position: number): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, position + written);
}

/** fdatasync in the thread pool. */
function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise<void>((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}

/** Writes `bytes` at `position` in the thread pool. */
function writeAsync(fd: number, bytes: Buffer, position: number): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    write(fd, bytes, 0, bytes.length, position, (error, written) => {
      if (error) reject(error);
      else if (written !== bytes.length) reject(new Error(`short write to the log: ${written} of ${bytes.length} bytes`));
      else resolve();
    }),
  );
}
