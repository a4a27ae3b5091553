/**
 * The dataset hash of a snapshot computed on a worker thread (dataset-hash-worker.ts), so the
 * node's event loop keeps serving while it runs. The worker's read transaction must hold the same
 * state as the caller's snapshot: both are opened back to back and kept only when the applied
 * index and local-write count agree (a commit landing in between shows as a different index; the
 * pair is then opened again, a few times at most). When no agreeing pair is found, or the worker
 * cannot start, the caller hashes on its own thread (`undefined`).
 */
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import type { QuadStore, Snapshot } from '../../store/quad-store.ts';
import { APPLIED_KEY, LOCAL_WRITES_KEY } from '../../cluster/state-machine.ts';

const OPEN_ATTEMPTS = 20;

type WorkerMessage = { kind: 'opened'; index: number; localWrites: number } | { kind: 'hashed'; quads: number; hash: string } | { kind: 'failed'; message: string };

export interface ThreadedHash {
  /** The caller's snapshot, at the same state as the worker's. */
  snapshot: Snapshot;
  /** The hash of that state, computed on the worker. */
  hash: Promise<{ quads: number; hash: string }>;
  /** Stops the worker (call when done or abandoned). */
  stop(): void;
}

function stateOf(snapshot: Snapshot): string {
  const applied = snapshot.getMeta(APPLIED_KEY) as { index: number } | undefined;
  return `${applied?.index ?? 0}/${(snapshot.getMeta(LOCAL_WRITES_KEY) as number | undefined) ?? 0}`;
}

export async function openWithThreadedHash(store: QuadStore): Promise<ThreadedHash | undefined> {
  const entry = new URL(import.meta.url.endsWith('.ts') ? './dataset-hash-worker.ts' : './dataset-hash-worker.js', import.meta.url);
  let worker: Worker;
  if (entry.pathname.endsWith('.ts')) {
    // Running from TypeScript sources: the worker loads tsx first (as the query pool does).
    const tsx = import.meta.resolve('tsx/esm/api');
    worker = new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`, { eval: true, workerData: { storePath: store.path } });
  } else {
    worker = new Worker(entry, { workerData: { storePath: store.path } });
  }
  const stop = () => void worker.terminate();
  const next = async (): Promise<WorkerMessage> => {
    const [message] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([error]) => Promise.reject(error))])) as [WorkerMessage];
    if (message.kind === 'failed') throw new Error(message.message);
    return message;
  };
  try {
    for (let attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
      worker.postMessage('open');
      const opened = (await next()) as Extract<WorkerMessage, { kind: 'opened' }>;
      const snapshot = store.snapshot();
      if (stateOf(snapshot) === `${opened.index}/${opened.localWrites}`) {
        worker.postMessage('hash');
        const hash = next().then((m) => m as Extract<WorkerMessage, { kind: 'hashed' }>).then(({ quads, hash: hex }) => ({ quads, hash: hex }));
        hash.catch(() => undefined).finally(stop);
        return { snapshot, hash, stop };
      }
      snapshot.release();
    }
  } catch {
    // The worker could not start or failed: the caller hashes on its own thread.
  }
  stop();
  return undefined;
}
