/**
 * An online backup's reads, on a worker thread (snapshot-worker.ts): one read transaction there
 * gives the head of the backup (applied index, term, log clock, cluster id, local writes), the
 * store export and the dataset hash, all of the same state, while the node's event loop goes on
 * serving clients and Raft. Writes are never paused (LMDB readers do not block the writer).
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

export type SnapshotThreadRequest = { kind: 'export'; chunkBytes: number } | { kind: 'credit'; chunks: number };
export type SnapshotThreadResponse =
  | { kind: 'opened'; applied: AppliedState | null; clusterId: string | null; localWrites: number }
  | { kind: 'chunk'; bytes: Uint8Array }
  | { kind: 'exported' }
  | { kind: 'hashed'; quads: number; hash: string }
  | { kind: 'failed'; message: string };

/** What the worker's read transaction records. */
export interface SnapshotHead {
  applied: AppliedState | null;
  clusterId: string | null;
  localWrites: number;
}

export class SnapshotThread {
  private readonly opened: Promise<SnapshotHead>;
  private readonly hashed: Promise<{ quads: number; hash: string }>;
  private readonly received: Uint8Array[] = [];
  private exportDone = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;

  private constructor(private readonly worker: Worker) {
    const opened = settleable<SnapshotHead>();
    const hashed = settleable<{ quads: number; hash: string }>();
    this.opened = opened.promise;
    this.hashed = hashed.promise;
    const fail = (error: Error) => {
      this.failure ??= error;
      opened.reject(this.failure);
      hashed.reject(this.failure);
      this.wake?.();
    };
    worker.on('message', (message: SnapshotThreadResponse) => {
      if (message.kind === 'opened') opened.resolve({ applied: message.applied, clusterId: message.clusterId, localWrites: message.localWrites });
      else if (message.kind === 'chunk') this.received.push(message.bytes);
      else if (message.kind === 'exported') this.exportDone = true;
      else if (message.kind === 'hashed') hashed.resolve({ quads: message.quads, hash: message.hash });
      else fail(new Error(`backup read failed: ${message.message}`));
      this.wake?.();
    });
    worker.on('error', (error) => fail(error));
    worker.on('exit', (code) => fail(new Error(this.stopped ? 'the backup read was stopped' : `the backup worker exited with code ${code}`)));
  }

  /** Starts the worker and waits until its read transaction is open; `head` is what it records. */
  static async open(store: QuadStore): Promise<{ thread: SnapshotThread; head: SnapshotHead }> {
    const thread = new SnapshotThread(startModuleWorker(import.meta.url, 'snapshot-worker', { workerData: { storePath: store.path } }));
    try {
      return { thread, head: await thread.opened };
    } catch (error) {
      thread.stop();
      throw error;
    }
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

  /** The dataset hash of this state (computed from the start, between export chunks). */
  hash(): Promise<{ quads: number; hash: string }> {
    return this.hashed;
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
