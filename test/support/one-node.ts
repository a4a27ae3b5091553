/**
 * A one-node cluster in this process, for tests of the HTTP layer: a real store, write-ahead log
 * and Raft loop on a free 127.0.0.1 port, exactly what `oxirs-cluster start` runs with no peers.
 */
import { join } from 'node:path';
import { QuadStore, type QuadStoreOptions } from '../../src/store/quad-store.ts';
import { ClusterNode } from '../../src/cluster/cluster-node.ts';
import { freePort } from '../e2e/node-process.ts';

export interface OneNode {
  store: QuadStore;
  node: ClusterNode;
  /** Stops the node and closes the store. */
  close(): Promise<void>;
}

export async function openOneNode(dir: string, storeOptions: Partial<QuadStoreOptions> = {}): Promise<OneNode> {
  const store = QuadStore.open({ ...storeOptions, path: join(dir, 'store') });
  const node = await ClusterNode.start({
    nodeId: 'n1',
    dataDir: dir,
    store,
    raftAddr: `127.0.0.1:${await freePort()}`,
    heartbeatIntervalMs: 50,
    electionTimeoutMs: 500,
    compactLogBytes: 64 * 2 ** 20,
    log: () => undefined,
  });
  // A one-node cluster elects itself after one election timeout.
  for (let i = 0; i < 200 && node.status().role !== 'leader'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return {
    store,
    node,
    async close() {
      await node.close();
      await store.close();
    },
  };
}
