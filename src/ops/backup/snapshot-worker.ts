/**
 * A worker thread behind an online backup (snapshot-thread.ts): it opens the store (as the query
 * workers do) and a read transaction, reports what that transaction records (applied state,
 * cluster id, local writes), and then, as asked, streams the store export (store/store-snapshot.ts)
 * of it, computes its dataset hash, or both (hashing between chunks). Until work starts it may be
 * asked to open a newer transaction instead (to match another worker's state). Export chunks go
 * out only against credit from the main thread, so at most a few are in flight. It runs at a lower
 * CPU priority than the node's main thread: on a small machine a backup takes longer, but client
 * requests and Raft keep the CPU they need.
 *
 * In: {kind:'reopen'}, {kind:'hash'}, {kind:'export', chunkBytes}, {kind:'credit', chunks}.
 * Out: {kind:'opened', ...} (at start and after each reopen), {kind:'chunk', bytes} (transferred),
 * {kind:'exported'}, {kind:'hashed', quads, hash}, {kind:'failed', message}.
 * The main thread ends it with terminate().
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { QuadStore } from '../../store/quad-store.ts';
import { datasetHashSteps } from '../../store/dataset-hash.ts';
import { exportSnapshot } from '../../store/store-snapshot.ts';
import { APPLIED_KEY, CLUSTER_ID_KEY, LOCAL_WRITES_KEY, type AppliedState } from '../../cluster/state-machine.ts';
import type { SnapshotThreadRequest, SnapshotThreadResponse } from './snapshot-thread.ts';

/** Niceness of this thread (the node's threads keep theirs, normally 0). */
const BACKUP_THREAD_NICE = 10;
/** Quads hashed between looks at the message queue (a few ms of work). */
const HASH_QUADS_PER_STEP = 2000;

const port = parentPort!;
const post = (message: SnapshotThreadResponse, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

lowerThisThreadsPriority();
const store = QuadStore.open({ path: (workerData as { storePath: string }).storePath });
let snapshot = store.snapshot();
let started = false;
let hashing: Generator<void, { quads: number; hash: string }> | undefined;
let chunks: Generator<Uint8Array> | undefined;
let credit = 0;
let wake: (() => void) | undefined;

port.on('message', (message: SnapshotThreadRequest) => {
  try {
    if (message.kind === 'reopen') {
      // Only before any work started: the export and the hash must come from one transaction.
      if (started) throw new Error('reopen after the work started');
      snapshot.release();
      snapshot = store.snapshot();
      postOpened();
    } else if (message.kind === 'hash') {
      started = true;
      hashing ??= datasetHashSteps(snapshot, HASH_QUADS_PER_STEP);
    } else if (message.kind === 'export') {
      started = true;
      chunks ??= exportSnapshot(snapshot, message.chunkBytes);
    } else {
      credit += message.chunks;
    }
  } catch (error) {
    post({ kind: 'failed', message: (error as Error).message });
  }
  wake?.();
});

function postOpened(): void {
  post({
    kind: 'opened',
    applied: (snapshot.getMeta(APPLIED_KEY) as AppliedState | undefined) ?? null,
    clusterId: (snapshot.getMeta(CLUSTER_ID_KEY) as string | undefined) ?? null,
    localWrites: (snapshot.getMeta(LOCAL_WRITES_KEY) as number | undefined) ?? 0,
  });
}

try {
  postOpened();
  // Bounded: every turn sends a chunk, takes a hash step, or waits for a message; both generators
  // are finite, and the main thread terminates this worker when it is done with it.
  for (;;) {
    if (chunks && credit > 0) {
      const next = chunks.next();
      if (next.done) {
        chunks = undefined;
        post({ kind: 'exported' });
      } else {
        credit--;
        // Transfer, not copy; a chunk that is a view into a larger buffer is copied out first.
        const bytes = next.value.byteOffset === 0 && next.value.byteLength === next.value.buffer.byteLength ? next.value : new Uint8Array(next.value);
        post({ kind: 'chunk', bytes }, [bytes.buffer as ArrayBuffer]);
      }
    } else if (hashing) {
      const step = hashing.next();
      if (step.done) {
        hashing = undefined;
        post({ kind: 'hashed', ...step.value });
      }
    } else {
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    // Lets requests and credit in.
    await nextTurn();
  }
} catch (error) {
  post({ kind: 'failed', message: (error as Error).message });
}

/** Linux: the nice value is per thread, and /proc/thread-self names this one. Elsewhere, left as is. */
function lowerThisThreadsPriority(): void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(threadId) && threadId > 0) setPriority(threadId, BACKUP_THREAD_NICE);
  } catch {
    // Not Linux, or not allowed: the backup runs at the node's priority.
  }
}
