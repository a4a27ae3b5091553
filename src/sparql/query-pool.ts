/**
 * A pool of query worker threads, so query evaluation never blocks the event loop (health checks,
 * and later Raft heartbeats, keep answering while a heavy query runs). Each query goes to the
 * worker with the fewest running queries; its text comes back as an async iterable of pieces,
 * pulled with credit-based flow control. A worker that dies fails its queries and is replaced.
 */
import type { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { Query } from './algebra.ts';
import type { RenderFormats } from './result-rendering.ts';
import type { WorkerRequest, WorkerResponse } from './query-worker-protocol.ts';
import { deserializeError } from './query-worker-protocol.ts';
import { QueryResourceError } from './sparql-errors.ts';
import { startModuleWorker } from '../util/module-worker.ts';

/** Pieces a worker may run ahead of the client. */
const CREDIT_PIECES = 2;
/** Heap of one query worker: a query that needs more fails alone, the node lives on. */
const WORKER_HEAP_MB = 2048;

export interface PooledQuery {
  query: Query;
  formats: RenderFormats;
  protocolDataset?: { defaultGraphs: string[]; namedGraphs: string[] };
  timeoutMs: number;
}

/** The pieces of one query's response; `cancel()` stops the worker's evaluation. */
export interface QueryStream extends AsyncIterable<string> {
  cancel(): void;
  /** Rows the worker rendered; known once the stream has ended. */
  readonly rows: number;
}

interface Job {
  pieces: string[];
  done: boolean;
  rows: number;
  error: Error | undefined;
  wake: (() => void) | undefined;
  slot: WorkerSlot;
}

interface WorkerSlot {
  worker: Worker;
  active: Set<number>;
}

export function defaultQueryWorkers(): number {
  return Math.max(2, availableParallelism());
}

export class QueryPool {
  private readonly slots: WorkerSlot[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private closing = false;

  constructor(
    private readonly storePath: string,
    size: number,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): WorkerSlot {
    const worker = startModuleWorker(import.meta.url, 'query-worker', { workerData: { storePath: this.storePath }, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    const slot: WorkerSlot = { worker, active: new Set() };
    worker.on('message', (message: WorkerResponse) => this.onMessage(message));
    const fail = (reason: string, outOfMemory = false) => {
      for (const id of slot.active) {
        this.finish(id, outOfMemory ? new QueryResourceError(`the query needed more than the ${WORKER_HEAP_MB} MiB a query may use`) : new Error(`query worker stopped: ${reason}`));
      }
      slot.active.clear();
      const index = this.slots.indexOf(slot);
      if (index >= 0 && !this.closing) this.slots[index] = this.spawn();
    };
    worker.on('error', (error) => fail(error.message, (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'));
    worker.on('exit', (code) => {
      if (!this.closing) fail(`exit code ${code}`);
    });
    return slot;
  }

  private onMessage(message: WorkerResponse): void {
    if (message.type === 'ready') return;
    const job = this.jobs.get(message.id);
    if (!job) return;
    if (message.type === 'piece') job.pieces.push(message.text);
    else if (message.type === 'end') {
      job.rows = message.rows;
      this.finish(message.id, undefined);
    }
    else this.finish(message.id, deserializeError(message.error));
    job.wake?.();
  }

  private finish(id: number, error: Error | undefined): void {
    const job = this.jobs.get(id);
    if (!job) return;
    job.done = true;
    job.error = error;
    job.slot.active.delete(id);
    job.wake?.();
  }

  run(request: PooledQuery): QueryStream {
    const slot = this.slots.reduce((best, s) => (s.active.size < best.active.size ? s : best));
    const id = this.nextId++;
    const cancelFlag = new SharedArrayBuffer(4);
    const job: Job = { pieces: [], done: false, rows: 0, error: undefined, wake: undefined, slot };
    this.jobs.set(id, job);
    slot.active.add(id);
    const message: WorkerRequest = {
      type: 'run',
      id,
      query: request.query,
      formats: request.formats,
      protocolDataset: request.protocolDataset,
      timeoutMs: request.timeoutMs,
      nowMs: Date.now(),
      cancelFlag,
      initialCredit: CREDIT_PIECES,
    };
    slot.worker.postMessage(message);
    const jobs = this.jobs;
    const cancel = () => {
      Atomics.store(new Int32Array(cancelFlag), 0, 1);
      // Wake a worker waiting for credit so it sees the flag.
      slot.worker.postMessage({ type: 'credit', id, pieces: 1 } satisfies WorkerRequest);
      jobs.delete(id);
      slot.active.delete(id);
    };
    return {
      cancel,
      get rows() {
        return job.rows;
      },
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            if (job.pieces.length > 0) {
              const piece = job.pieces.shift()!;
              slot.worker.postMessage({ type: 'credit', id, pieces: 1 } satisfies WorkerRequest);
              yield piece;
              continue;
            }
            if (job.done) {
              if (job.error) throw job.error;
              return;
            }
            await new Promise<void>((resolve) => (job.wake = resolve));
            job.wake = undefined;
          }
        } finally {
          if (!job.done) cancel();
          jobs.delete(id);
        }
      },
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}
