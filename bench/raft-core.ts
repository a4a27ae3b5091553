/**
 * The Raft core alone: committed entries per second through a 3-node cluster whose "network"
 * is an in-memory queue and whose "disk" is MemoryStorage. No I/O, no serialisation: this is the
 * ceiling the real cluster (WAL + TCP) can be compared against.
 */
import { performance } from 'node:perf_hooks';
import { MemoryStorage } from '../src/raft/memory-storage.ts';
import type { ConfState, Message } from '../src/raft/messages.ts';
import { RawNode } from '../src/raft/raw-node.ts';
import { Prng } from '../src/util/prng.ts';

interface BenchNode {
  raw: RawNode;
  storage: MemoryStorage;
  appliedIndex: number;
}

const ENTRY_BYTES = 100;

function makeCluster(): Map<string, BenchNode> {
  const ids = ['n1', 'n2', 'n3'];
  const confState: ConfState = { voters: ids, votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };
  const prng = new Prng(1);
  const nodes = new Map<string, BenchNode>();
  for (const id of ids) {
    const storage = new MemoryStorage();
    storage.applySnapshot({ metadata: { index: 1, term: 1, confState }, data: new Uint8Array() });
    storage.setHardState({ term: 1, vote: null, commit: 1 });
    const raw = new RawNode({
      id,
      storage,
      random: prng.fork(),
      electionTimeoutTicks: 10,
      heartbeatIntervalTicks: 1,
      appliedIndex: 1,
      maxSizePerMsgBytes: 1024 * 1024,
      maxInflightMessages: 256,
      maxInflightBytes: 0,
      maxCommittedSizePerReadyBytes: 4 * 1024 * 1024,
      preVote: true,
      checkQuorum: true,
      leaseReads: false,
      leaseDriftMarginTicks: 0,
      disableProposalForwarding: false,
      maxPendingReads: 1024,
      maxUncommittedEntries: 0,
      deferCommitNotices: false,
    });
    nodes.set(id, { raw, storage, appliedIndex: 1 });
  }
  return nodes;
}

/** Runs every node's Ready loop and delivers messages until nothing moves. */
function settle(nodes: Map<string, BenchNode>): void {
  const queue: Message[] = [];
  for (let round = 0; round < 1_000_000; round++) {
    let moved = false;
    for (const node of nodes.values()) {
      while (node.raw.hasReady()) {
        moved = true;
        const rd = node.raw.ready();
        for (const m of rd.messages) queue.push(m);
        if (rd.snapshot) node.storage.applySnapshot(rd.snapshot);
        node.storage.append(rd.entries);
        if (rd.hardState) node.storage.setHardState(rd.hardState);
        for (const m of rd.messagesAfterPersist) queue.push(m);
        if (rd.committedEntries.length > 0) node.appliedIndex = rd.committedEntries[rd.committedEntries.length - 1].index;
        node.raw.advance();
        // Keep memory flat: compact what every node has applied long ago.
        if (node.appliedIndex - node.storage.firstIndex() > 20_000) node.storage.compact(node.appliedIndex - 10_000);
      }
    }
    if (queue.length === 0 && !moved) return;
    for (const m of queue.splice(0)) nodes.get(m.to)!.raw.step(m);
  }
  throw new Error('bench cluster did not settle');
}

/**
 * Ticks the cluster until it has a leader. (With check-quorum, freshly started nodes refuse votes
 * for one election timeout, so a campaign right away would not win.)
 */
function electLeader(nodes: Map<string, BenchNode>): BenchNode {
  for (let tick = 0; tick < 1000; tick++) {
    for (const node of nodes.values()) node.raw.tick();
    settle(nodes);
    const leader = [...nodes.values()].find((node) => node.raw.status().role === 'leader');
    if (leader) return leader;
  }
  throw new Error('no leader after 1000 ticks');
}

export async function runRaftCoreBench(options: { triples: number; workDir: string }): Promise<void> {
  const entries = Math.max(10_000, Math.min(options.triples, 300_000));
  const payload = new Uint8Array(ENTRY_BYTES).fill(7);
  console.log(`3-node in-memory cluster, ${entries} entries of ${ENTRY_BYTES} bytes (no disk, no network)`);
  console.log('batch  entries/s     MB/s   ms');
  for (const batch of [1, 10, 100, 1000]) {
    const nodes = makeCluster();
    const leader = electLeader(nodes);
    const start = leader.appliedIndex;
    const t0 = performance.now();
    const datas = Array.from({ length: batch }, () => payload);
    for (let proposed = 0; proposed < entries; proposed += batch) {
      const outcome = leader.raw.proposeBatch(datas);
      if (!outcome.ok) throw new Error(`proposal refused: ${outcome.reason}`);
      settle(nodes);
    }
    const elapsedMs = performance.now() - t0;
    const committed = leader.appliedIndex - start;
    if (committed < entries) throw new Error(`only ${committed} of ${entries} entries committed`);
    const perSecond = (committed / elapsedMs) * 1000;
    console.log(`${String(batch).padStart(5)}  ${perSecond.toFixed(0).padStart(9)}  ${((perSecond * ENTRY_BYTES) / 1e6).toFixed(1).padStart(7)}  ${elapsedMs.toFixed(0).padStart(5)}`);
  }
}
