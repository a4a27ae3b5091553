/**
 * A backup source reading this node's own applied state. The full export is the store from ONE
 * read transaction (the applied index, term and log clock are the ones recorded in that same
 * transaction), streamed while writes go on. The dataset hash of the same state is computed
 * alongside on a worker thread (dataset-hash-thread.ts), or, when none can be had at that state,
 * here in small steps that yield to the event loop, so no request waits behind it. The log
 * export reads applied entries from the durable log, pinned against compaction while it runs.
 *
 * Faults: a log compacted past the requested start is a BackupError `backup_log_compacted`
 * (take a full backup); a member behind the requested start is `backup_behind`.
 */
import type { ClusterNode } from '../../cluster/cluster-node.ts';
import { APPLIED_KEY, CLUSTER_ID_KEY, LOCAL_WRITES_KEY, type AppliedState } from '../../cluster/state-machine.ts';
import type { Entry } from '../../raft/messages.ts';
import type { QuadStore, Snapshot } from '../../store/quad-store.ts';
import { exportSnapshot } from '../../store/store-snapshot.ts';
import { datasetHashSteps } from '../../store/dataset-hash.ts';
import { BackupError } from './backup-errors.ts';
import { openWithThreadedHash, type ThreadedHash } from './dataset-hash-thread.ts';
import type { BackupSource, ExportHead, LogExport, SnapshotExport } from './backup-source.ts';

/** Quads hashed between yields to the event loop (a few ms of work). */
const HASH_QUADS_PER_STEP = 500;
/** Snapshot bytes per turn of the event loop (the Raft snapshot sender uses 1 MiB chunks; a backup runs beside client traffic). */
const EXPORT_CHUNK_BYTES = 256 * 1024;
const LOG_BATCH_BYTES = 4 * 1024 * 1024;

export class NodeBackupSource implements BackupSource {
  constructor(private readonly node: ClusterNode) {}

  async exportSnapshot(): Promise<SnapshotExport> {
    const held = await HeldSnapshot.open(this.node.store, () => undefined);
    try {
      const head = this.headOf(held.snapshot);
      const chunks = (async function* () {
        let finished = false;
        try {
          // One chunk per turn of the event loop: a request never waits behind more than one chunk.
          for (const chunk of exportSnapshot(held.snapshot, EXPORT_CHUNK_BYTES)) {
            held.check();
            yield chunk;
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
          finished = true;
        } finally {
          // Abandoned midway (the reader failed or went away): nothing will ask for the hash.
          if (!finished) held.release();
        }
      })();
      held.startHash();
      return { head, chunks, dataset: () => held.hashThenRelease(), abort: () => held.release() };
    } catch (error) {
      held.release();
      throw error;
    }
  }

  async exportLog(fromIndex: number): Promise<LogExport> {
    if (!Number.isInteger(fromIndex) || fromIndex < 2) throw new BackupError('bad_request', `from must be an integer of at least 2, got ${fromIndex}`);
    const held = await HeldSnapshot.open(this.node.store, this.node.pinLog(fromIndex));
    try {
      const head = this.headOf(held.snapshot);
      if (head.toIndex < fromIndex - 1) throw new BackupError('backup_behind', `member ${head.nodeId} has applied up to index ${head.toIndex} only, before ${fromIndex - 1}; ask another member or retry`);
      const prevTerm = this.node.logTerm(fromIndex - 1);
      const first = fromIndex <= head.toIndex ? this.node.appliedEntries(fromIndex, fromIndex, 1) : [];
      if (prevTerm === undefined || first === 'compacted') {
        throw new BackupError('backup_log_compacted', `member ${head.nodeId} has compacted its log past index ${fromIndex - 1}; the entries since the last backup are gone: take a full backup`);
      }
      const node = this.node;
      const batches = (async function* (): AsyncGenerator<Entry[]> {
        let next = fromIndex;
        let finished = false;
        try {
          // Bounded: every turn serves at least one entry.
          while (next <= head.toIndex) {
            held.check();
            const entries = node.appliedEntries(next, head.toIndex, LOG_BATCH_BYTES);
            if (entries === 'compacted' || entries.length === 0) throw new Error(`log entries from ${next} vanished while pinned`);
            next = entries[entries.length - 1].index + 1;
            yield entries;
          }
          finished = true;
        } finally {
          if (!finished) held.release();
        }
      })();
      held.startHash();
      return { head: { ...head, fromIndex, prevTerm }, batches, dataset: () => held.hashThenRelease(), abort: () => held.release() };
    } catch (error) {
      held.release();
      throw error;
    }
  }

  private headOf(snapshot: Snapshot): ExportHead {
    const applied = snapshot.getMeta(APPLIED_KEY) as AppliedState | undefined;
    if (!applied || applied.index === 0) throw new BackupError('backup_behind', `member ${this.node.nodeId} holds no cluster state yet`);
    return {
      clusterId: (snapshot.getMeta(CLUSTER_ID_KEY) as string | undefined) ?? null,
      nodeId: this.node.nodeId,
      toIndex: applied.index,
      term: applied.term,
      logClockMs: applied.logClockMs ?? null,
      localWrites: (snapshot.getMeta(LOCAL_WRITES_KEY) as number | undefined) ?? 0,
    };
  }
}

/** A read transaction (and a log pin) an export holds until its hash is taken or it is abandoned. */
class HeldSnapshot {
  private released = false;
  private hashing: Promise<{ quads: number; hash: string }> | undefined;

  private constructor(
    readonly snapshot: Snapshot,
    private readonly unpin: () => void,
    private readonly threaded: ThreadedHash | undefined,
  ) {}

  /** A snapshot with its hash on a worker thread when one can be had at the same state, else hashed here. */
  static async open(store: QuadStore, unpin: () => void): Promise<HeldSnapshot> {
    try {
      const threaded = await openWithThreadedHash(store);
      return new HeldSnapshot(threaded?.snapshot ?? store.snapshot(), unpin, threaded);
    } catch (error) {
      unpin();
      throw error;
    }
  }

  /** Between steps: an export abandoned meanwhile stops rather than read a released transaction. */
  check(): void {
    if (this.released) throw new Error('the backup export was abandoned');
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.snapshot.release();
    this.threaded?.stop();
    this.unpin();
  }

  /**
   * Starts hashing the dataset from this transaction at once, in steps that yield to the event
   * loop, so it runs in the gaps the export leaves (waiting for its reader, compression, disk).
   * `hashThenRelease` waits for it and lets the transaction go.
   */
  startHash(): void {
    if (this.threaded) {
      this.hashing = this.threaded.hash;
      this.hashing.catch(() => undefined);
      return;
    }
    this.hashing = (async () => {
      const steps = datasetHashSteps(this.snapshot, HASH_QUADS_PER_STEP);
      for (;;) {
        this.check();
        const step = steps.next();
        if (step.done) return step.value;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    })();
    // Awaited by hashThenRelease; an abandoned export's failure is expected.
    this.hashing.catch(() => undefined);
  }

  async hashThenRelease(): Promise<{ quads: number; hash: string }> {
    try {
      if (!this.hashing) this.startHash();
      return await this.hashing!;
    } finally {
      this.release();
    }
  }
}
