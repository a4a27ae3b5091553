/**
 * An online backup's reads, on worker threads (snapshot-worker.ts): a read transaction there gives
 * the head of the backup (applied index, term, log clock, cluster id, local writes), the store
 * export and the dataset hash, all of one state, while the node's event loop goes on serving
 * clients and Raft. Writes are never paused (LMDB readers do not block the writer).
 *
 * Flow control: the worker sends export chunks only against credit, CHUNKS_IN_FLIGHT at most
 * ahead of the consumer, so a slow reader (a slow disk, a slow CLI) holds a bounded amount of
 * memory. If the worker fails or is stopped, pending reads fail.
 */
import type { Worker } from 'node:worker_threads';
import type { AppliedState } from '../../cluster/state-machine.ts';
import type { QuadStore } from '../../store/quad-store.ts';
import { startModuleWorker } from '../../util/module-worker.ts';

/** Export chunks the worker may run ahead of the consumer. */
const CHUNKS_IN_FLIGHT = 4;

/** Times two workers reopen their transactions to get the same state before one does both jobs. */
const PAIRING_ATTEMPTS = 20;

export type SnapshotThreadRequest = { kind: 'reopen' } | { kind: 'hash' } | { kind: 'export'; chunkBytes: number } | { kind: 'credit'; chunks: number };
export type SnapshotThreadResponse =
  | { kind: 'opened'; applied: AppliedState | null; clusterId: string | null; localWrites: number }
  | { kind: 'chunk'; bytes: Uint8Array }
  | { kind: 'exported' }
  | { kind: 'hashed'; quads: number; hash: string }
  | { kind: 'failed'; message: string };

/** What a worker's read transaction records. */
export interface SnapshotHead {
  applied: AppliedState | null;
  clusterId: string | null;
  localWrites: number;
}

/** The applied index and local-write count determine the store's state. */
function sameState(a: SnapshotHead, b: SnapshotHead): boolean {
  return (a.applied?.index ?? 0) === (b.applied?.index ?? 0) && a.localWrites === b.localWrites;
}

/** A full backup's reads: the export and the hash of one state, on two workers when they can be paired. */
export interface FullBackupRead {
  head: SnapshotHead;
  chunks(chunkBytes: number): AsyncGenerator<Uint8Array>;
  hash(): Promise<{ quads: number; hash: string }>;
  stop(): void;
}

/**
 * Opens an exporting worker and a hashing worker and reopens both transactions together until
 * they hold the same state (a commit landing between the two opens shows as a different applied
 * index), so the export and the hash run on two cores. If no pair agrees in PAIRING_ATTEMPTS, or
 * the second worker cannot start, the exporting worker also hashes, between chunks.
 */
export async function openFullBackupRead(store: QuadStore): Promise<FullBackupRead> {
  const [exporting, hashing] = await Promise.allSettled([SnapshotThread.open(store), SnapshotThread.open(store)]);
  if (exporting.status === 'rejected') {
    if (hashing.status === 'fulfilled') hashing.value.thread.stop();
    throw exporting.reason;
  }
  const exporter = exporting.value.thread;
  let head = exporting.value.head;
  let hasher = hashing.status === 'fulfilled' ? hashing.value.thread : undefined;
  try {
    let hasherHead = hashing.status === 'fulfilled' ? hashing.value.head : undefined;
    for (let attempt = 0; hasher && hasherHead && !sameState(head, hasherHead) && attempt < PAIRING_ATTEMPTS; attempt++) {
      [head, hasherHead] = await Promise.all([exporter.reopen(), hasher.reopen()]);
    }
    if (hasher && (!hasherHead || !sameState(head, hasherHead))) {
      hasher.stop();
      hasher = undefined;
    }
  } catch (error) {
    exporter.stop();
    hasher?.stop();
    throw error;
  }
  const hashedBy = hasher ?? exporter;
  hashedBy.startHash();
  return {
    head,
    chunks: (chunkBytes) => exporter.chunks(chunkBytes),
    hash: () => hashedBy.hash(),
    stop: () => {
      exporter.stop();
      hasher?.stop();
    },
  };
}

export class SnapshotThread {
  private opening = settleable<SnapshotHead>();
  private readonly hashed = settleable<{ quads: number; hash: string }>();
  private readonly received: Uint8Array[] = [];
  private exportDone = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;

  private constructor(private readonly worker: Worker) {
    const fail = (error: Error) => {
      this.failure ??= error;
      this.opening.reject(this.failure);
      this.hashed.reject(this.failure);
      this.wake?.();
    };
    worker.on('message', (message: SnapshotThreadResponse) => {
      if (message.kind === 'opened') this.opening.resolve({ applied: message.applied, clusterId: message.clusterId, localWrites: message.localWrites });
      else if (message.kind === 'chunk') this.received.push(message.bytes);
      else if (message.kind === 'exported') this.exportDone = true;
      else if (message.kind === 'hashed') this.hashed.resolve({ quads: message.quads, hash: message.hash });
      else fail(new Error(`backup read failed: ${message.message}`));
      this.wake?.();
    });
    worker.on('error', (error) => fail(error));
    worker.on('exit', (code) => fail(new Error(this.stopped ? 'the backup read was stopped' : `the backup worker exited with code ${code}`)));
  }

  /** Starts a worker and waits until its read transaction is open; `head` is what it records. */
  static async open(store: QuadStore): Promise<{ thread: SnapshotThread; head: SnapshotHead }> {
    const thread = new SnapshotThread(startModuleWorker(import.meta.url, 'snapshot-worker', { workerData: { storePath: store.path } }));
    try {
      return { thread, head: await thread.opening.promise };
    } catch (error) {
      thread.stop();
      throw error;
    }
  }

  /** Before any work: drops the transaction for a new one (the newest state). */
  reopen(): Promise<SnapshotHead> {
    if (this.failure) return Promise.reject(this.failure);
    this.opening = settleable<SnapshotHead>();
    this.post({ kind: 'reopen' });
    return this.opening.promise;
  }

  /** Starts hashing the dataset of this state; `hash()` gives the result. */
  startHash(): void {
    this.post({ kind: 'hash' });
  }

  /** The store export of this state, chunk by chunk. Consume it once. */
  async *chunks(chunkBytes: number): AsyncGenerator<Uint8Array> {
    this.post({ kind: 'export', chunkBytes });
    this.post({ kind: 'credit', chunks: CHUNKS_IN_FLIGHT });
    // Bounded: each turn takes a chunk, ends, throws, or waits for the worker's next message.
    for (;;) {
      const chunk = this.received.shift();
      if (chunk) {
        this.post({ kind: 'credit', chunks: 1 });
        yield chunk;
      } else if (this.exportDone) {
        return;
      } else if (this.failure) {
        throw this.failure;
      } else {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    }
  }

  /** The dataset hash of this state, once `startHash()` was called. */
  hash(): Promise<{ quads: number; hash: string }> {
    return this.hashed.promise;
  }

  /** Ends the worker and its read transaction. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    void this.worker.terminate();
  }

  private post(message: SnapshotThreadRequest): void {
    if (!this.stopped) this.worker.postMessage(message);
  }
}

/** A promise with its settle functions; settling twice is a no-op. */
function settleable<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: Error): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  // Awaited by the callers; a failure nobody waits for (an abandoned backup) is expected.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
