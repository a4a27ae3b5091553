/**
 * Where a backup's data comes from: a member's applied state, read in-process (the node's own
 * scheduler, the HTTP endpoints) or over HTTP (the CLI, through any member). Both give the same
 * shapes, so the backup writer does not care which.
 */
import type { Entry } from '../../raft/messages.ts';

/** What the member's store recorded with the state being exported. */
export interface ExportHead {
  clusterId: string | null;
  nodeId: string;
  /** Full: the applied index of the snapshot; log: the last entry served. */
  toIndex: number;
  term: number;
  logClockMs: number | null;
  localWrites: number;
}

export interface SnapshotExport {
  head: ExportHead;
  /** The store snapshot stream (store/store-snapshot.ts format). */
  chunks: AsyncIterable<Uint8Array>;
  /** The dataset hash at head.toIndex; call after `chunks` is consumed. */
  dataset(): Promise<{ quads: number; hash: string }>;
  /** Gives up: frees what the export holds (a read transaction, a connection). Idempotent; a no-op once `dataset()` resolved. */
  abort(): void;
}

export interface LogExport {
  head: ExportHead & {
    fromIndex: number;
    /** Term of entry fromIndex - 1. */
    prevTerm: number;
  };
  /** Entries fromIndex..head.toIndex in order, in batches. */
  batches: AsyncIterable<Entry[]>;
  /** The dataset hash at head.toIndex; call after `batches` is consumed. */
  dataset(): Promise<{ quads: number; hash: string }>;
  /** As SnapshotExport.abort. */
  abort(): void;
}

export interface BackupSource {
  exportSnapshot(): Promise<SnapshotExport>;
  /** Entries from `fromIndex` to the member's applied index; a BackupError when compacted away. */
  exportLog(fromIndex: number): Promise<LogExport>;
}
