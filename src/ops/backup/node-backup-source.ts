/**
 * A backup source reading this node's own applied state. Everything a backup reads from the store
 * comes from read transactions of one state on worker threads (snapshot-thread.ts): the head
 * (applied index, term and log clock recorded with the data), the full export, and the dataset
 * hash, so the node's event loop keeps serving clients and Raft while writes go on. The log
 * export reads applied entries from the durable log, pinned against compaction while it runs.
 *
 * Faults: a log compacted past the requested start is a BackupError `backup_log_compacted`
 * (take a full backup); a member behind the requested start is `backup_behind`.
 */
import type { ClusterNode } from '../../cluster/cluster-node.ts';
import type { Entry } from '../../raft/messages.ts';
import { BackupError } from './backup-errors.ts';
import { SnapshotThread, openFullBackupRead, type SnapshotHead } from './snapshot-thread.ts';
import type { BackupSource, ExportHead, LogExport, SnapshotExport } from './backup-source.ts';

/** Snapshot bytes per message from the worker (the Raft snapshot sender uses 1 MiB chunks). */
const EXPORT_CHUNK_BYTES = 256 * 1024;
const LOG_BATCH_BYTES = 4 * 1024 * 1024;

export class NodeBackupSource implements BackupSource {
  constructor(private readonly node: ClusterNode) {}

  async exportSnapshot(): Promise<SnapshotExport> {
    const read = await openFullBackupRead(this.node.store);
    try {
      const dataset = async () => {
        try {
          return await read.hash();
        } finally {
          read.stop();
        }
      };
      return { head: this.headOf(read.head), chunks: read.chunks(EXPORT_CHUNK_BYTES), dataset, abort: () => read.stop() };
    } catch (error) {
      read.stop();
      throw error;
    }
  }

  async exportLog(fromIndex: number): Promise<LogExport> {
    if (!Number.isInteger(fromIndex) || fromIndex < 2) throw new BackupError('bad_request', `from must be an integer of at least 2, got ${fromIndex}`);
    const unpin = this.node.pinLog(fromIndex);
    let opened: Awaited<ReturnType<typeof SnapshotThread.open>>;
    try {
      opened = await SnapshotThread.open(this.node.store);
    } catch (error) {
      unpin();
      throw error;
    }
    const { thread } = opened;
    thread.startHash();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      thread.stop();
      unpin();
    };
    try {
      const head = this.headOf(opened.head);
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
            if (released) throw new Error('the backup export was abandoned');
            const entries = node.appliedEntries(next, head.toIndex, LOG_BATCH_BYTES);
            if (entries === 'compacted' || entries.length === 0) throw new Error(`log entries from ${next} vanished while pinned`);
            next = entries[entries.length - 1].index + 1;
            yield entries;
          }
          finished = true;
        } finally {
          if (!finished) release();
        }
      })();
      const dataset = async () => {
        try {
          return await thread.hash();
        } finally {
          release();
        }
      };
      return { head: { ...head, fromIndex, prevTerm }, batches, dataset, abort: release };
    } catch (error) {
      release();
      throw error;
    }
  }

  private headOf(recorded: SnapshotHead): ExportHead {
    const applied = recorded.applied;
    if (!applied || applied.index === 0) throw new BackupError('backup_behind', `member ${this.node.nodeId} holds no cluster state yet`);
    return {
      clusterId: recorded.clusterId,
      nodeId: this.node.nodeId,
      toIndex: applied.index,
      term: applied.term,
      logClockMs: applied.logClockMs ?? null,
      localWrites: recorded.localWrites,
    };
  }
}
