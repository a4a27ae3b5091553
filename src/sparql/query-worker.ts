/**
 * A query worker thread: opens the node's store (read only; LMDB shares the environment between
 * threads), evaluates queries sent by the pool on their own snapshots and streams the rendered
 * text back piece by piece. A piece is sent only when the pool has granted credit for it, so a
 * slow client holds the worker back instead of growing memory. A shared flag per job stops the
 * evaluation when the client goes away.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { QuadStore } from '../store/quad-store.ts';
import { executeQuery } from './query-engine.ts';
import { renderResult } from './result-rendering.ts';
import type { WorkerRequest, WorkerResponse } from './query-worker-protocol.ts';
import { serializeError } from './query-worker-protocol.ts';

const port = parentPort!;
const store = QuadStore.open({ path: (workerData as { storePath: string }).storePath });
const credits = new Map<number, { available: number; waiter?: () => void }>();

function send(message: WorkerResponse): void {
  port.postMessage(message);
}

async function waitForCredit(id: number): Promise<void> {
  const credit = credits.get(id)!;
  while (credit.available <= 0) await new Promise<void>((resolve) => (credit.waiter = resolve));
  credit.available--;
}

async function run(request: Extract<WorkerRequest, { type: 'run' }>): Promise<void> {
  const cancelled = new Int32Array(request.cancelFlag);
  const isCancelled = () => Atomics.load(cancelled, 0) !== 0;
  credits.set(request.id, { available: request.initialCredit });
  const snapshot = store.snapshot();
  try {
    const result = executeQuery(request.query, snapshot, {
      protocolDataset: request.protocolDataset,
      deadlineMs: performance.now() + request.timeoutMs,
      isCancelled,
      now: new Date(request.nowMs),
    });
    const counter = { rows: 0 };
    for (const piece of renderResult(result, request.formats, counter)) {
      await waitForCredit(request.id);
      if (isCancelled()) return;
      send({ type: 'piece', id: request.id, text: piece });
    }
    send({ type: 'end', id: request.id, rows: counter.rows });
  } catch (error) {
    send({ type: 'error', id: request.id, error: serializeError(error) });
  } finally {
    snapshot.release();
    credits.delete(request.id);
  }
}

port.on('message', (message: WorkerRequest) => {
  if (message.type === 'run') {
    void run(message);
  } else if (message.type === 'credit') {
    const credit = credits.get(message.id);
    if (!credit) return;
    credit.available += message.pieces;
    credit.waiter?.();
    credit.waiter = undefined;
  } else if (message.type === 'close') {
    void store.close().then(() => port.close());
  }
});
send({ type: 'ready' });
