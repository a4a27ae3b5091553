/**
 * A worker thread that computes the dataset hash of a backup beside the export, on another core:
 * it opens the store (as the query workers do), takes a read transaction when asked, says which
 * applied index and local-write count it sees (the main thread keeps it only if they equal its
 * own snapshot's: then both transactions hold the same state), and hashes when told to.
 *
 * Messages in: 'open', 'hash', 'release'. Out: {kind:'opened', index, localWrites},
 * {kind:'hashed', quads, hash}, {kind:'failed', message}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { QuadStore, type Snapshot } from '../../store/quad-store.ts';
import { datasetHash } from '../../store/dataset-hash.ts';
import { APPLIED_KEY, LOCAL_WRITES_KEY } from '../../cluster/state-machine.ts';

const store = QuadStore.open({ path: (workerData as { storePath: string }).storePath });
let snapshot: Snapshot | undefined;

parentPort!.on('message', (message: 'open' | 'hash' | 'release') => {
  try {
    if (message === 'open') {
      snapshot?.release();
      snapshot = store.snapshot();
      const applied = snapshot.getMeta(APPLIED_KEY) as { index: number } | undefined;
      parentPort!.postMessage({ kind: 'opened', index: applied?.index ?? 0, localWrites: (snapshot.getMeta(LOCAL_WRITES_KEY) as number | undefined) ?? 0 });
    } else if (message === 'hash' && snapshot) {
      const result = datasetHash(snapshot);
      parentPort!.postMessage({ kind: 'hashed', ...result });
    } else if (message === 'release') {
      snapshot?.release();
      snapshot = undefined;
    }
  } catch (error) {
    parentPort!.postMessage({ kind: 'failed', message: (error as Error).message });
  }
});
