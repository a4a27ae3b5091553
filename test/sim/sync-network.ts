/**
 * A tiny synchronous cluster for scripted tests (etcd's network in raft_test.go): messages are
 * delivered in order, at once, unless a link is cut. Each node keeps a MemoryStorage as its disk
 * and applies committed entries to a list. No clocks, no sleeps: time is `tick()`.
 */
import { MemoryStorage } from '../../src/raft/memory-storage.ts';
import type { ConfChange, ConfState, Entry, Message, NodeId } from '../../src/raft/messages.ts';
import { decodeConfChange } from '../../src/raft/messages.ts';
import type { RaftConfig } from '../../src/raft/raft.ts';
import { RawNode } from '../../src/raft/raw-node.ts';
import { Prng } from '../../src/util/prng.ts';

export interface TestNode {
  id: NodeId;
  storage: MemoryStorage;
  raw: RawNode | null;
  /** Data of applied normal entries, by index (the state machine). */
  applied: Map<number, string>;
  appliedIndex: number;
  confState: ConfState;
  readStates: Array<{ index: number; context: string }>;
}

const MAX_DELIVERIES = 100_000;

export class SyncNetwork {
  readonly nodes = new Map<NodeId, TestNode>();
  private readonly cut = new Set<string>();
  private queue: Message[] = [];
  private readonly prng: Prng;
  private readonly overrides: Partial<RaftConfig>;
  /** Messages for which this returns true are dropped (targeted faults in transcripts). */
  dropIf: ((m: Message) => boolean) | null = null;
  /** Every message delivered, for transcripts: "n1->n2 append". */
  readonly transcript: string[] = [];

  constructor(voters: NodeId[], options: { learners?: NodeId[]; seed?: number; config?: Partial<RaftConfig> } = {}) {
    this.prng = new Prng(options.seed ?? 1);
    this.overrides = options.config ?? {};
    const confState: ConfState = { voters, votersOutgoing: [], learners: options.learners ?? [], learnersNext: [], autoLeave: false };
    for (const id of [...voters, ...(options.learners ?? [])]) {
      const storage = new MemoryStorage();
      storage.applySnapshot({ metadata: { index: 1, term: 1, confState }, data: new Uint8Array() });
      storage.setHardState({ term: 1, vote: null, commit: 1 });
      const node: TestNode = { id, storage, raw: null, applied: new Map(), appliedIndex: 1, confState, readStates: [] };
      this.nodes.set(id, node);
      this.start(id);
    }
  }

  /** Adds a node with an empty disk (to be added by a configuration change). */
  addEmptyNode(id: NodeId): TestNode {
    const node: TestNode = { id, storage: new MemoryStorage(), raw: null, applied: new Map(), appliedIndex: 0, confState: { voters: [], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false }, readStates: [] };
    this.nodes.set(id, node);
    this.start(id);
    return node;
  }

  node(id: NodeId): TestNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  raw(id: NodeId): RawNode {
    const r = this.node(id).raw;
    if (!r) throw new Error(`${id} is down`);
    return r;
  }

  start(id: NodeId): void {
    const node = this.node(id);
    node.raw = new RawNode({
      id,
      storage: node.storage,
      random: this.prng.fork(),
      electionTimeoutTicks: 10,
      heartbeatIntervalTicks: 1,
      appliedIndex: node.appliedIndex,
      maxSizePerMsgBytes: 1024 * 1024,
      maxInflightMessages: 256,
      maxInflightBytes: 0,
      maxCommittedSizePerReadyBytes: 1024 * 1024,
      preVote: false,
      checkQuorum: false,
      leaseReads: false,
      leaseDriftMarginTicks: 0,
      disableProposalForwarding: false,
      maxPendingReads: 64,
      maxUncommittedEntries: 0,
      deferCommitNotices: false,
      ...this.overrides,
    });
  }

  /** Loses everything not persisted; the disk stays. */
  crash(id: NodeId): void {
    this.node(id).raw = null;
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cutLink(id, other);
  }

  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}>${b}`);
    this.cut.add(`${b}>${a}`);
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Processes every node's Ready and delivers messages until the cluster is quiet. */
  settle(): void {
    for (let i = 0; i < MAX_DELIVERIES; i++) {
      let progressed = false;
      for (const node of this.nodes.values()) if (this.handleReadies(node)) progressed = true;
      const m = this.queue.shift();
      if (m === undefined) {
        if (!progressed) return;
        continue;
      }
      const to = this.nodes.get(m.to);
      if (!to || to.raw === null || this.cut.has(`${m.from}>${m.to}`)) continue;
      if (this.dropIf !== null && this.dropIf(m)) continue;
      this.transcript.push(`${m.from}->${m.to} ${m.type} t${m.term}`);
      to.raw.step(m);
    }
    throw new Error('network did not settle');
  }

  private handleReadies(node: TestNode): boolean {
    let any = false;
    for (let round = 0; round < 1000 && node.raw !== null && node.raw.hasReady(); round++) {
      any = true;
      const raw = node.raw;
      const rd = raw.ready();
      this.queue.push(...rd.messages);
      if (rd.snapshot !== null) {
        node.storage.applySnapshot(rd.snapshot);
        node.appliedIndex = rd.snapshot.metadata.index;
        node.confState = rd.snapshot.metadata.confState;
      }
      node.storage.append(rd.entries);
      if (rd.hardState !== null) node.storage.setHardState(rd.hardState);
      this.queue.push(...rd.messagesAfterPersist);
      for (const e of rd.committedEntries) this.apply(node, raw, e);
      node.readStates.push(...rd.readStates);
      raw.advance();
    }
    return any;
  }

  private apply(node: TestNode, raw: RawNode, e: Entry): void {
    if (e.index !== node.appliedIndex + 1) throw new Error(`${node.id} applies ${e.index} after ${node.appliedIndex}`);
    node.appliedIndex = e.index;
    if (e.type === 'confChange') {
      const cc: ConfChange = decodeConfChange(e.data);
      node.confState = raw.applyConfChange(cc);
      node.storage.setConfState(node.confState);
    } else if (e.data.byteLength > 0) {
      node.applied.set(e.index, new TextDecoder().decode(e.data));
    }
  }

  /** Ticks every live node `ticks` times, settling after each tick. */
  tick(ticks: number): void {
    for (let t = 0; t < ticks; t++) {
      for (const node of this.nodes.values()) node.raw?.tick();
      this.settle();
    }
  }

  campaign(id: NodeId): void {
    this.raw(id).campaign();
    this.settle();
  }

  propose(id: NodeId, text: string): boolean {
    const ok = this.raw(id).propose(new TextEncoder().encode(text)).ok;
    this.settle();
    return ok;
  }

  leaderIds(): NodeId[] {
    return [...this.nodes.values()].filter((n) => n.raw?.raft.role === 'leader').map((n) => n.id);
  }

  /** The data of applied normal entries in index order. */
  appliedData(id: NodeId): string[] {
    return [...this.node(id).applied.entries()].sort(([a], [b]) => a - b).map(([, d]) => d);
  }
}
