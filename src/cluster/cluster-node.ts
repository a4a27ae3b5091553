/**
 * A node's runtime: drives the Raft core over the write-ahead log and the peer transport, applies
 * committed entries to the store, and offers the server writes, reads at a consistency level and
 * membership changes.
 *
 * The Ready loop (one at a time, see raft/raw-node.ts): send what may leave early, install a
 * snapshot, persist entries and hard state with one fsync, send what depends on them, apply the
 * committed entries in one store transaction, serve read states, advance. Everything that touches
 * the core (ticks, peer messages, proposals, read requests) is queued and run between Readies, so
 * the core is never changed while a Ready is being handled.
 *
 * Invariant: the store's applied index (recorded with the data) is the core's applied index. A
 * snapshot sent to a follower is the store as of one read transaction, labelled with the applied
 * index, term and configuration recorded in that same transaction.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RawNode, type Ready } from '../raft/raw-node.ts';
import { WriteAheadLog } from '../raft/wal/write-ahead-log.ts';
import { confStateOf } from '../raft/tracker.ts';
import { PeerTransport } from '../raft/transport/peer-transport.ts';
import type { ConfChange, ConfState, Entry, InstallSnapshot, Message, NodeId, Snapshot } from '../raft/messages.ts';
import { assert } from '../util/assert.ts';
import type { ReadState } from '../raft/raft.ts';
import type { QuadStore, StoreWriter } from '../store/quad-store.ts';
import { exportSnapshot, installSnapshot } from '../store/store-snapshot.ts';
import { datasetHash } from '../store/dataset-hash.ts';
import { LOCAL_WRITES_KEY, StateMachine, type AppliedEntry } from './state-machine.ts';
import { decodeLogCommand, encodeLogCommand, type LogCommand, type WriteCommand, type WriteOutcome } from './log-command.ts';
import { decodeMemberContext, encodeMemberContext, parseHostPort } from './membership.ts';
import { ClusterError } from './cluster-errors.ts';
import { SnapshotFileWriter, readSnapshotFile, removeSnapshotFile } from './snapshot-files.ts';
import { PeerRpc, type RpcRequest } from './peer-rpc.ts';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { contextFromTraceParent, formatTraceParent, type RaftMetricsSink } from './node-telemetry.ts';

export type Consistency = { kind: 'linearizable' } | { kind: 'stale' } | { kind: 'minIndex'; index: number };

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface ClusterNodeOptions {
  nodeId: NodeId;
  /** Raft state lives in `<dataDir>/raft`. */
  dataDir: string;
  store: QuadStore;
  /** Where this node listens for peers, and the address others reach it at. */
  raftAddr: string;
  /** Static bootstrap: where this node reaches each member (itself included). */
  initialCluster?: Record<NodeId, string>;
  /** Members to dial before the log names them (a node that joins through --join). */
  knownPeers?: Record<NodeId, string>;
  clusterSecret?: string;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  /** Compact the log once this many bytes of entries were appended since the last compaction. */
  compactLogBytes: number;
  log: LogFn;
  /** Called when the Raft loop fails (a log that cannot be written, an entry that cannot be applied). */
  onFatal?: (error: Error) => void;
  /** Counters and timings of the Raft loop and the log (see ops/metrics); none: nothing is counted. */
  metrics?: RaftMetricsSink;
  /** Spans for proposals, commits and applies (tracing is on); none: no span is ever made. */
  tracer?: Tracer;
  /** Whether `log` wants debug lines: they are built per write, so at other levels they are skipped. */
  debugLogs?: boolean;
}

export interface WriteOptions {
  /** A retry with the same key applies at most once. */
  idempotencyKey?: string;
  timeoutMs: number;
  /** The HTTP request id: logged with the proposal and carried in the entry to every apply. */
  httpRequestId?: string;
  /** The caller's trace context (its HTTP request span); used only when tracing is on. */
  traceContext?: Context;
}

export interface WriteResult {
  index: number;
  outcome: WriteOutcome;
}

export interface MemberStatus {
  id: NodeId;
  raftAddr: string | null;
  voter: boolean;
  matchIndex: number | null;
  lagEntries: number | null;
  reachable: boolean;
}

export interface ClusterStatus {
  nodeId: NodeId;
  role: 'leader' | 'follower' | 'candidate' | 'learner';
  term: number;
  leaderId: NodeId | null;
  commitIndex: number;
  appliedIndex: number;
  members: MemberStatus[];
}

/**
 * The whole cluster as one node reports it (GET /cluster/overview): the leader's status when a
 * leader is known and answers (only the leader knows every member's match index and
 * reachability), else this node's own status, saying why in `leaderError` or `leaderKnown`.
 */
export type ClusterOverview = ClusterStatus & {
  /** The node that took the request (the status itself is `nodeId`'s). */
  answeredBy: NodeId;
  leaderKnown: boolean;
  /** Set when a leader is known but its status could not be had; the status is then this node's. */
  leaderError?: string;
};

interface WriteWaiter {
  resolve(result: WriteResult): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  /** The leader the proposal went to (null: not proposed yet). */
  leader: NodeId | null;
  /** performance.now() when the core accepted the proposal (for the commit latency). */
  proposedAtMs?: number;
  /** The proposer's span (tracing on): ends when the write is applied here or fails. */
  span?: Span;
}

interface ReadWaiter {
  resolve(index: number): void;
  reject(error: Error): void;
  settled: boolean;
}

interface ReadRound {
  /** Every context asked for this round: an answer to any of them serves it (a slow answer to an earlier ask is still good). */
  contexts: Set<string>;
  waiters: ReadWaiter[];
  timer: NodeJS.Timeout;
  retryMs: number;
}

interface AppliedWaiter {
  index: number;
  resolve(): void;
}

/** A follower may be this many entries behind and still be promoted. */
const PROMOTE_MAX_LAG_ENTRIES = 64;
const SNAPSHOT_SEND_WINDOW_BYTES = 8 * 2 ** 20;
const SNAPSHOT_SEND_TIMEOUT_MS = 10 * 60_000;
const MAX_MESSAGE_BYTES = 1024 * 1024;
/** How long a membership change waits for an earlier one (or a new leader's first round) to be applied before it is refused. */
const PENDING_CHANGE_WAIT_MS = 2_000;
/** Applied batches not fsynced with their commit reach the disk at least this often. */
const STORE_FLUSH_INTERVAL_MS = 1_000;

export class ClusterNode {
  readonly nodeId: NodeId;
  readonly store: QuadStore;
  private readonly wal: WriteAheadLog;
  private readonly raw: RawNode;
  private readonly stateMachine: StateMachine;
  private readonly transport: PeerTransport;
  private readonly rpc: PeerRpc;
  private readonly log: LogFn;
  private readonly metrics: RaftMetricsSink | undefined;
  private readonly tracer: Tracer | undefined;
  private readonly debugLogs: boolean;
  /** Tracing on, leader only: the commit span of each traced entry appended but not yet applied. */
  private readonly commitSpans = new Map<number, Span>();
  private knownLeader: NodeId | null = null;
  private readonly requestPrefix = `${randomBytes(6).toString('hex')}`;
  private requestCounter = 0;
  private tickTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private inbox: Array<() => void> = [];
  private loopScheduled = false;
  private loopRunning = false;
  private closed = false;
  private readonly writeWaiters = new Map<string, WriteWaiter>();
  private readonly confWaiters = new Map<string, WriteWaiter>();
  private appliedWaiters: AppliedWaiter[] = [];
  private readQueue: ReadWaiter[] = [];
  private readRound: ReadRound | undefined;
  private readonly snapshotSends = new Set<NodeId>();
  private readonly incoming = new Map<NodeId, { transferId: string; file: SnapshotFileWriter }>();
  /** Received snapshot files by snapshot index, waiting for the core to accept them. */
  private readonly receivedSnapshots = new Map<number, string>();
  private readonly snapshotDir: string;
  private logBytesSinceCompaction = 0;
  /** Backups reading the log: it is not compacted past any of them. */
  private readonly logPins = new Set<{ index: number }>();
  private lastConfState: ConfState;
  private fatalError: Error | undefined;
  /** Where this node dials each peer: its own view (--initial-cluster) wins over the log. */
  private readonly ownView: Record<NodeId, string>;

  private constructor(
    private readonly options: ClusterNodeOptions,
    wal: WriteAheadLog,
    stateMachine: StateMachine,
  ) {
    this.nodeId = options.nodeId;
    this.store = options.store;
    this.log = options.log;
    this.metrics = options.metrics;
    this.tracer = options.tracer;
    this.debugLogs = options.debugLogs ?? false;
    this.wal = wal;
    this.stateMachine = stateMachine;
    this.ownView = { ...(options.knownPeers ?? {}), ...(options.initialCluster ?? {}) };
    this.snapshotDir = join(options.dataDir, 'raft', 'snapshots');
    mkdirSync(this.snapshotDir, { recursive: true });
    for (const name of readdirSync(this.snapshotDir)) removeSnapshotFile(join(this.snapshotDir, name));
    const applied = stateMachine.applied;
    this.lastConfState = applied.confState;
    const tickMs = options.heartbeatIntervalMs;
    this.raw = new RawNode({
      id: options.nodeId,
      storage: wal,
      random: { nextInt: (n: number) => randomInt(n) },
      electionTimeoutTicks: Math.max(2, Math.round(options.electionTimeoutMs / tickMs)),
      heartbeatIntervalTicks: 1,
      appliedIndex: applied.index,
      maxSizePerMsgBytes: MAX_MESSAGE_BYTES,
      maxInflightMessages: 256,
      maxInflightBytes: 0,
      maxCommittedSizePerReadyBytes: 16 * MAX_MESSAGE_BYTES,
      preVote: true,
      checkQuorum: true,
      leaseReads: false,
      leaseDriftMarginTicks: 0,
      disableProposalForwarding: false,
      maxPendingReads: 4096,
      maxUncommittedEntries: 10_000,
      deferCommitNotices: true,
    });
    const listen = parseHostPort(options.raftAddr);
    this.transport = new PeerTransport({
      nodeId: options.nodeId,
      listen,
      peers: {},
      clusterSecret: options.clusterSecret,
      onMessage: (from, message) => this.receive(from, message),
      // The leader's connection closing is how a follower learns of a crash at once (kill -9
      // closes its sockets): elect a new leader within one election timeout, not two.
      onPeerDisconnected: (peerId) => this.enqueue(() => {
        if (this.raw.raft.lead === peerId) this.raw.leaderLost();
      }),
      log: (level, message, fields) => this.log(level, message, fields),
    });
    this.rpc = new PeerRpc(this.transport, (from, request) => this.serveRpc(from, request));
    this.updatePeers();
  }

  /**
   * Opens the node's Raft state. A brand-new node with `initialCluster` bootstraps that membership
   * (every member does the same, so all agree); a brand-new node without it waits to be added.
   */
  static async start(options: ClusterNodeOptions): Promise<ClusterNode> {
    const metrics = options.metrics;
    const wal = WriteAheadLog.open(join(options.dataDir, 'raft', 'wal'), { onFsync: metrics && ((seconds) => metrics.fsyncDuration(seconds)) });
    let stateMachine!: StateMachine;
    let node: ClusterNode | undefined;
    stateMachine = new StateMachine(
      options.store,
      (cc) => {
        if (!node) throw new Error('configuration change before the node started');
        return node.raw.applyConfChange(cc);
      },
      // A one-node cluster has no other copy to recover from: its store is fsynced with each batch.
      () => !node || node.isSoleMember(),
    );
    const fresh = wal.lastIndex() === 0 && wal.initialState().hardState.term === 0;
    if (fresh && stateMachine.applied.index === 0) {
      const members = options.initialCluster ?? (options.knownPeers ? undefined : { [options.nodeId]: options.raftAddr });
      if (members) {
        if (members[options.nodeId] === undefined) throw new ClusterError('invalid_member', `--initial-cluster does not name this node (${options.nodeId})`);
        const confState: ConfState = { voters: Object.keys(members).sort(), votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };
        // The log records where members are; a member's own view of the others stays its own.
        await stateMachine.bootstrap(confState, { ...members, [options.nodeId]: options.raftAddr }, clusterIdFor(confState.voters));
      }
    } else if (fresh && (await stateMachine.claimRestored(options.nodeId, options.raftAddr, randomBytes(8).toString('hex')))) {
      options.log('info', 'restored store claimed as a new one-node cluster', { index: stateMachine.applied.index });
    }
    const applied = stateMachine.applied;
    // The store is the state as of its applied index; the log must start no later than that.
    if (applied.index > 0 && (applied.index > wal.lastIndex() || wal.term(applied.index).ok === false || (wal.term(applied.index) as { value: number }).value !== applied.term)) {
      wal.applySnapshot({ index: applied.index, term: applied.term, confState: applied.confState });
    }
    const hardState = wal.initialState().hardState;
    if (applied.index > hardState.commit || hardState.term < applied.term) {
      wal.save({ hardState: { term: Math.max(hardState.term, applied.term), vote: hardState.term >= applied.term ? hardState.vote : null, commit: Math.max(hardState.commit, applied.index) } });
    }
    wal.setConfState(applied.confState);
    node = new ClusterNode(options, wal, stateMachine);
    await node.transport.start();
    node.tickTimer = setInterval(() => node!.enqueue(() => node!.raw.tick()), options.heartbeatIntervalMs);
    node.flushTimer = setInterval(() => void options.store.flushed().catch((error: Error) => node!.fail(error)), STORE_FLUSH_INTERVAL_MS);
    node.log('info', 'raft node started', { nodeId: options.nodeId, appliedIndex: applied.index, lastIndex: wal.lastIndex(), voters: applied.confState.voters, learners: applied.confState.learners });
    node.enqueue(() => undefined);
    return node;
  }

  // ---- writes -------------------------------------------------------------------------------

  /** Replicates a write and resolves once this node has applied it. */
  write(command: WriteCommand, options: WriteOptions): Promise<WriteResult> {
    this.assertUsable();
    const requestId = this.nextRequestId();
    const logCommand: LogCommand = { requestId, idempotencyKey: options.idempotencyKey, timeMs: Date.now(), command };
    if (options.httpRequestId !== undefined) logCommand.httpRequestId = options.httpRequestId;
    // Renamed `raft.forward` once the core hands the proposal to another node (the leader).
    const span = this.tracer?.startSpan('raft.propose', { kind: SpanKind.PRODUCER, attributes: { 'oxirs.node': this.nodeId, 'oxirs.raft.proposal': requestId } }, options.traceContext);
    if (span) logCommand.traceParent = formatTraceParent(span.spanContext());
    const data = encodeLogCommand(logCommand);
    return new Promise<WriteResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.failWrite(requestId, new ClusterError('write_timeout', `The write was not applied within ${options.timeoutMs} ms; it may still be. Retry with the same Idempotency-Key to apply it at most once.`));
      }, options.timeoutMs);
      const waiter: WriteWaiter = { resolve, reject, timer, leader: null, span };
      this.writeWaiters.set(requestId, waiter);
      this.enqueue(() => {
        if (!this.writeWaiters.has(requestId)) return;
        const leader = this.raw.raft.lead;
        const outcome = this.raw.propose(data);
        if (outcome.ok && leader !== null) {
          waiter.leader = leader;
          waiter.proposedAtMs = performance.now();
          if (span) {
            if (leader !== this.nodeId) span.updateName('raft.forward');
            span.setAttribute('oxirs.raft.leader', leader);
          }
          if (this.debugLogs) this.log('debug', leader === this.nodeId ? 'write proposed' : 'write forwarded to the leader', { reqId: options.httpRequestId, proposal: requestId, leader });
          return;
        }
        // Dropped with a leader in place: it is handing over leadership, or too many entries wait for its quorum.
        this.failWrite(requestId, leader === null ? this.noLeaderError() : new ClusterError('no_quorum', 'The leader refused the write for now (it is handing over leadership, or too many writes wait for its quorum); nothing was changed. Retry shortly.'));
      });
    });
  }

  /** Ends a waiting write with an error (counted, and its span closed with the error). */
  private failWrite(requestId: string, error: Error): void {
    const waiter = this.writeWaiters.get(requestId);
    if (!waiter) return;
    this.writeWaiters.delete(requestId);
    clearTimeout(waiter.timer);
    this.metrics?.proposalFailed();
    if (waiter.span) {
      waiter.span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      waiter.span.end();
    }
    waiter.reject(error);
  }

  /** The only member: a write may go straight to the store (see `writeLocally`). */
  isSoleMember(): boolean {
    const cs = this.stateMachine.applied.confState;
    return cs.voters.length === 1 && cs.voters[0] === this.nodeId && cs.learners.length === 0 && cs.votersOutgoing.length === 0;
  }

  /**
   * A write applied to the store without going through the log, allowed only while this node is
   * the only member (a one-node cluster loading a file larger than a log entry may be). Safe:
   * store writes are serialised, a new member always starts from a snapshot (the log starts
   * after index 1), and the membership cannot change while this transaction is open, because
   * configuration changes are applied through store transactions too. Durable when it resolves.
   */
  async writeLocally<T>(body: (writer: StoreWriter) => Promise<T>): Promise<T> {
    this.assertUsable();
    const result = await this.store.write(async (writer) => {
      if (!this.isSoleMember()) throw new ClusterError('payload_too_large', 'This write is larger than a replicated log entry may be.');
      // Counted so an incremental backup (the log) can tell that it would miss this write.
      writer.putMeta(LOCAL_WRITES_KEY, ((writer.getMeta(LOCAL_WRITES_KEY) as number | undefined) ?? 0) + 1);
      return body(writer);
    });
    await this.store.flushed();
    return result;
  }

  // ---- reads --------------------------------------------------------------------------------

  /** Resolves when a read at `consistency` may be evaluated on this node's store. */
  async readBarrier(consistency: Consistency, timeoutMs: number): Promise<void> {
    if (consistency.kind === 'stale') return;
    this.assertUsable();
    const deadline = performance.now() + timeoutMs;
    let index: number;
    if (consistency.kind === 'minIndex') {
      index = consistency.index;
      // A follower hears of a commit with the leader's next message (deferCommitNotices): a read
      // round makes the leader send one now, so this read does not wait for the next heartbeat.
      if (index > this.raw.raft.log.committed) this.readIndex(timeoutMs).catch(() => undefined);
    } else index = await this.readIndex(timeoutMs);
    await this.waitApplied(index, Math.max(1, deadline - performance.now()));
  }

  /** A read index confirmed by a quorum (thesis 6.4): reads arriving together share one round. */
  private readIndex(timeoutMs: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const waiter: ReadWaiter = { resolve, reject, settled: false };
      const timer = setTimeout(() => {
        if (waiter.settled) return;
        waiter.settled = true;
        reject(this.raw.raft.lead === null ? this.noLeaderError() : new ClusterError('no_quorum', `No quorum confirmed a read within ${timeoutMs} ms.`));
      }, timeoutMs);
      waiter.resolve = (index) => {
        clearTimeout(timer);
        resolve(index);
      };
      this.readQueue.push(waiter);
      this.startReadRound();
    });
  }

  private startReadRound(): void {
    if (this.readRound || this.closed) return;
    const waiters = this.readQueue.filter((w) => !w.settled);
    this.readQueue = [];
    if (waiters.length === 0) return;
    // A read index the leader drops (no leader yet, or it has not committed in its term) is asked
    // again, backing off up to the election timeout; answers to earlier asks still count.
    const retryMs = Math.max(2 * this.options.heartbeatIntervalMs, 50);
    const round: ReadRound = { contexts: new Set(), waiters, timer: setTimeout(() => this.askReadIndex(round), retryMs), retryMs };
    this.readRound = round;
    this.askReadIndex(round, false);
  }

  private askReadIndex(round: ReadRound, again = true): void {
    if (this.readRound !== round || this.closed) return;
    if (round.waiters.every((w) => w.settled)) {
      clearTimeout(round.timer);
      this.readRound = undefined;
      this.startReadRound();
      return;
    }
    const context = this.nextRequestId();
    round.contexts.add(context);
    this.enqueue(() => this.raw.readIndex(context));
    if (again) {
      round.retryMs = Math.min(round.retryMs * 2, this.options.electionTimeoutMs);
      round.timer = setTimeout(() => this.askReadIndex(round), round.retryMs);
    }
  }

  private onReadState(rs: ReadState): void {
    const round = this.readRound;
    if (!round || !round.contexts.has(rs.context)) return;
    clearTimeout(round.timer);
    this.readRound = undefined;
    for (const waiter of round.waiters) {
      if (waiter.settled) continue;
      waiter.settled = true;
      waiter.resolve(rs.index);
    }
    this.startReadRound();
  }

  private waitApplied(index: number, timeoutMs: number): Promise<void> {
    if (this.stateMachine.applied.index >= index) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.appliedWaiters = this.appliedWaiters.filter((w) => w !== waiter);
        reject(new ClusterError('index_not_reached', `This node had not applied index ${index} within ${Math.round(timeoutMs)} ms (it has applied ${this.stateMachine.applied.index}).`));
      }, timeoutMs);
      const waiter: AppliedWaiter = {
        index,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.appliedWaiters.push(waiter);
    });
  }

  // ---- backups ------------------------------------------------------------------------------

  /**
   * Applied entries [lo, hi] from the durable log, at most about `maxBytes` of them (at least one),
   * or 'compacted' when the log no longer holds `lo`. Only applied entries: they are committed.
   */
  appliedEntries(lo: number, hi: number, maxBytes: number): Entry[] | 'compacted' {
    const last = Math.min(hi, this.stateMachine.applied.index);
    if (lo > last) return [];
    const result = this.wal.entries(lo, last + 1, maxBytes);
    if (!result.ok) {
      assert(result.miss === 'compacted', `applied entries [${lo}, ${last}] unavailable in the log`);
      return 'compacted';
    }
    return result.value;
  }

  /** The term of log entry `index`, or undefined when the log no longer knows it. */
  logTerm(index: number): number | undefined {
    const result = this.wal.term(index);
    return result.ok ? result.value : undefined;
  }

  /** Keeps the log from being compacted past `index - 1` (an incremental backup reading from `index`) until released. */
  pinLog(index: number): () => void {
    const pin = { index };
    this.logPins.add(pin);
    return () => this.logPins.delete(pin);
  }

  // ---- status and health --------------------------------------------------------------------

  appliedIndex(): number {
    return this.stateMachine.applied.index;
  }

  /** Where this node keeps its state (the store and the Raft log). */
  get dataDir(): string {
    return this.options.dataDir;
  }

  status(): ClusterStatus {
    const status = this.raw.status();
    const applied = this.stateMachine.applied;
    const cs = status.config;
    const role = status.role === 'leader' ? 'leader' : status.role === 'candidate' || status.role === 'preCandidate' ? 'candidate' : cs.learners.includes(this.nodeId) ? 'learner' : 'follower';
    const ids = [...new Set([...cs.voters, ...cs.votersOutgoing, ...cs.learners, ...cs.learnersNext])].sort();
    const members = ids.map((id): MemberStatus => {
      const progress = status.progress[id];
      const match = id === this.nodeId && status.role === 'leader' ? status.lastIndex : progress?.match;
      return {
        id,
        raftAddr: applied.members[id] ?? this.ownView[id] ?? null,
        voter: cs.voters.includes(id) || cs.votersOutgoing.includes(id),
        matchIndex: match ?? null,
        lagEntries: match === undefined ? null : Math.max(0, status.commit - match),
        reachable: id === this.nodeId || this.transport.isConnected(id),
      };
    });
    return { nodeId: this.nodeId, role, term: status.term, leaderId: status.leader, commitIndex: status.commit, appliedIndex: applied.index, members };
  }

  /** The leader's status (here, or over the peer transport within `timeoutMs`), or this node's own. */
  async overview(timeoutMs: number): Promise<ClusterOverview> {
    const leader = this.raw.raft.lead;
    const answeredBy = this.nodeId;
    if (leader === null) return { ...this.status(), answeredBy, leaderKnown: false };
    if (leader === this.nodeId) return { ...this.status(), answeredBy, leaderKnown: true };
    try {
      const status = (await this.rpc.call(leader, { op: 'status' }, timeoutMs)) as ClusterStatus;
      return { ...status, answeredBy, leaderKnown: true };
    } catch (error) {
      const reason = error instanceof ClusterError && error.code === 'write_timeout' ? `did not answer within ${timeoutMs} ms` : `answered: ${(error as Error).message}`;
      return { ...this.status(), answeredBy, leaderKnown: true, leaderError: `The leader ${leader} ${reason}; this is ${this.nodeId}'s own view.` };
    }
  }

  /** Why this node cannot answer a linearizable read now, or undefined when it can. */
  async notReadyReason(timeoutMs: number): Promise<string | undefined> {
    if (this.fatalError) return `the node failed: ${this.fatalError.message}`;
    if (this.closed) return 'the node is stopping';
    if (!this.isMember()) return 'this node is not a member of the cluster';
    if (this.raw.raft.lead === null) return 'no leader is known';
    try {
      await this.readBarrier({ kind: 'linearizable' }, timeoutMs);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /** An order-independent hash of every quad, with the applied index it holds at. */
  datasetHash(): { appliedIndex: number; quads: number; hash: string } {
    const snapshot = this.store.snapshot();
    try {
      const applied = (snapshot.getMeta('raft.applied') as { index: number } | undefined)?.index ?? 0;
      return { appliedIndex: applied, ...datasetHash(snapshot) };
    } finally {
      snapshot.release();
    }
  }

  private isMember(): boolean {
    const cs = this.stateMachine.applied.confState;
    return [cs.voters, cs.votersOutgoing, cs.learners, cs.learnersNext].some((ids) => ids.includes(this.nodeId));
  }

  // ---- membership and leadership ------------------------------------------------------------

  async addMember(id: NodeId, raftAddr: string, learner: boolean, timeoutMs: number): Promise<ClusterStatus> {
    try {
      parseHostPort(raftAddr);
    } catch (error) {
      throw new ClusterError('invalid_member', `raftAddr: ${(error as Error).message}`);
    }
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new ClusterError('invalid_member', 'A member id is 1 to 64 letters, digits, dots, dashes or underscores.');
    return this.onLeader({ op: 'addMember', id, raftAddr, learner }, timeoutMs);
  }

  promoteMember(id: NodeId, timeoutMs: number): Promise<ClusterStatus> {
    return this.onLeader({ op: 'promoteMember', id }, timeoutMs);
  }

  async removeMember(id: NodeId, timeoutMs: number): Promise<ClusterStatus> {
    // The leader is removed after it handed leadership on, so the cluster never waits for an election.
    if (this.raw.raft.lead === id && this.status().members.filter((m) => m.voter).length > 1) {
      await this.onLeader({ op: 'transferLeader', to: null, awayFrom: id }, timeoutMs);
      // This node may learn of the new leader a moment after the old one handed over.
      await this.waitFor(() => this.raw.raft.lead !== null && this.raw.raft.lead !== id, timeoutMs, new ClusterError('write_timeout', `No new leader was known within ${timeoutMs} ms of the handover.`));
    }
    return this.onLeader({ op: 'removeMember', id }, timeoutMs);
  }

  transferLeader(to: NodeId | null, timeoutMs: number): Promise<ClusterStatus> {
    return this.onLeader({ op: 'transferLeader', to, awayFrom: null }, timeoutMs);
  }

  /** Runs an admin operation on the leader: here, or forwarded over the peer transport. */
  private async onLeader(request: RpcRequest, timeoutMs: number): Promise<ClusterStatus> {
    this.assertUsable();
    const leader = this.raw.raft.lead;
    if (leader === null) throw this.noLeaderError();
    if (leader === this.nodeId) return this.runAdmin(request, timeoutMs);
    return (await this.rpc.call(leader, request, timeoutMs)) as ClusterStatus;
  }

  private serveRpc(_from: NodeId, request: RpcRequest): Promise<unknown> {
    if (this.raw.raft.lead !== this.nodeId) return Promise.reject(new ClusterError('no_leader', 'This node is no longer the leader; retry.'));
    return this.runAdmin(request, request.timeoutMs ?? 10_000);
  }

  private async runAdmin(request: RpcRequest, timeoutMs: number): Promise<ClusterStatus> {
    const status = this.raw.status();
    const cs = status.config;
    const isVoter = (id: NodeId) => cs.voters.includes(id) || cs.votersOutgoing.includes(id);
    const isMember = (id: NodeId) => isVoter(id) || cs.learners.includes(id) || cs.learnersNext.includes(id);
    switch (request.op) {
      case 'status':
        return this.status();
      case 'addMember':
        if (isMember(request.id)) {
          // A retried join is answered with success when it asked for what is already there.
          if (cs.learners.includes(request.id) === request.learner && this.stateMachine.applied.members[request.id] === request.raftAddr) return this.status();
          throw new ClusterError('member_exists', `${request.id} is already a member.`);
        }
        await this.proposeConfChange({ transition: 'auto', changes: [{ type: request.learner ? 'addLearner' : 'addVoter', nodeId: request.id }] }, request.id, request.raftAddr, timeoutMs);
        return this.status();
      case 'promoteMember': {
        if (!isMember(request.id)) throw new ClusterError('member_not_found', `${request.id} is not a member.`);
        if (isVoter(request.id)) return this.status();
        const match = status.progress[request.id]?.match ?? 0;
        const lag = status.commit - match;
        if (lag > PROMOTE_MAX_LAG_ENTRIES) throw new ClusterError('not_caught_up', `${request.id} is ${lag} entries behind the commit index; it is promoted once at most ${PROMOTE_MAX_LAG_ENTRIES} behind.`, { lagEntries: lag });
        await this.proposeConfChange({ transition: 'auto', changes: [{ type: 'addVoter', nodeId: request.id }] }, request.id, undefined, timeoutMs);
        return this.status();
      }
      case 'removeMember':
        if (!isMember(request.id)) throw new ClusterError('member_not_found', `${request.id} is not a member.`);
        if (request.id === this.nodeId && cs.voters.length > 1) throw new ClusterError('no_leader', 'The leader is handing over leadership before its removal; retry.');
        await this.proposeConfChange({ transition: 'auto', changes: [{ type: 'removeNode', nodeId: request.id }] }, request.id, undefined, timeoutMs);
        return this.status();
      case 'transferLeader': {
        let to = request.to;
        if (to !== null && !isVoter(to)) throw new ClusterError('member_not_found', `${to} is not a voting member.`);
        if (to === null) {
          const candidates = cs.voters.filter((id) => id !== (request.awayFrom ?? this.nodeId) && id !== this.nodeId);
          candidates.sort((a, b) => (status.progress[b]?.match ?? 0) - (status.progress[a]?.match ?? 0));
          to = candidates[0] ?? null;
          if (to === null) throw new ClusterError('member_not_found', 'There is no other voting member to hand leadership to.');
        }
        if (to === this.nodeId) return this.status();
        const target = to;
        this.enqueue(() => this.raw.transferLeader(target));
        await this.waitFor(() => this.raw.raft.lead === target, timeoutMs, new ClusterError('write_timeout', `Leadership did not move to ${target} within ${timeoutMs} ms.`));
        return this.status();
      }
    }
  }

  private async proposeConfChange(cc: Omit<ConfChange, 'context'>, nodeId: NodeId, raftAddr: string | undefined, timeoutMs: number): Promise<WriteResult> {
    // A leader counts every entry it had when it took over as a possibly pending change until it
    // has applied them (one round: the removal of a leader that just handed over waits for that),
    // and a change in progress (a joint configuration being left) is usually done within a round
    // or two: wait a moment for either before refusing.
    const startedAtMs = performance.now();
    const pendingWaitMs = Math.min(timeoutMs, PENDING_CHANGE_WAIT_MS);
    await this.waitFor(() => this.raw.raft.pendingConfIndex <= this.raw.raft.log.applied, pendingWaitMs, new ClusterError('change_in_progress', 'Another membership change is still being applied; retry.'));
    const remainingMs = Math.max(1, timeoutMs - (performance.now() - startedAtMs));
    const requestId = this.nextRequestId();
    const change: ConfChange = { ...cc, context: encodeMemberContext({ requestId, nodeId, raftAddr }) };
    return new Promise<WriteResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.confWaiters.delete(requestId);
        reject(new ClusterError('write_timeout', `The membership change was not applied within ${timeoutMs} ms; check /cluster/status.`));
      }, remainingMs);
      this.confWaiters.set(requestId, { resolve, reject, timer, leader: this.nodeId });
      this.enqueue(() => {
        const outcome = this.raw.proposeConfChange(change);
        if (outcome.ok) return;
        this.confWaiters.delete(requestId);
        clearTimeout(timer);
        reject(new ClusterError('change_in_progress', 'The leader refused the membership change (another is pending, or it is handing over leadership); retry.'));
      });
    });
  }

  /** Resolves once `condition` holds (checked every 10 ms); rejects with `timeoutError` after `timeoutMs`. */
  private waitFor(condition: () => boolean, timeoutMs: number, timeoutError: ClusterError): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (condition()) resolve();
        else if (performance.now() > deadline) reject(timeoutError);
        else setTimeout(check, 10);
      };
      check();
    });
  }

  // ---- the Ready loop -----------------------------------------------------------------------

  private enqueue(action: () => void): void {
    if (this.closed) return;
    this.inbox.push(action);
    if (!this.loopScheduled) {
      this.loopScheduled = true;
      setImmediate(() => void this.runLoop());
    }
  }

  private drainInbox(): void {
    const actions = this.inbox;
    this.inbox = [];
    for (const action of actions) action();
  }

  private async runLoop(): Promise<void> {
    this.loopScheduled = false;
    if (this.loopRunning || this.closed) return;
    this.loopRunning = true;
    try {
      this.drainInbox();
      while (this.raw.hasReady() && !this.closed) {
        const rd = this.raw.ready();
        await this.handleReady(rd);
        this.raw.advance();
        this.afterAdvance();
        await this.compactLogIfDue();
        this.drainInbox();
      }
    } catch (error) {
      this.fail(error as Error);
    } finally {
      this.loopRunning = false;
    }
    if (this.inbox.length > 0 && !this.loopScheduled && !this.closed) {
      this.loopScheduled = true;
      setImmediate(() => void this.runLoop());
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState) this.onSoftState(rd.softState.leader);
    this.sendAll(rd.messages);
    if (rd.snapshot) await this.installReceivedSnapshot(rd.snapshot);
    let persisted: Promise<void> | undefined;
    if (rd.entries.length > 0 || rd.hardState) {
      persisted = this.wal.saveAsync({ entries: rd.entries, hardState: rd.hardState ?? undefined });
      for (const entry of rd.entries) this.logBytesSinceCompaction += entry.data.byteLength + 32;
      if (this.metrics && rd.entries.length > 0) persisted = this.timed(persisted, this.metrics);
      if (this.tracer && rd.entries.length > 0 && this.raw.raft.lead === this.nodeId) this.startCommitSpans(this.tracer, rd.entries);
    }
    // Committed entries are durable already: apply them while the disk syncs the new ones (as
    // etcd's apply goroutine does), so an answer never waits for the next batch's fsync.
    let applied: Promise<void> | undefined;
    if (rd.committedEntries.length > 0) {
      // The entries were committed before this Ready was made: the proposer's commit latency ends here.
      const committedAtMs = performance.now();
      const applyStartedAtMs = Date.now();
      if (this.commitSpans.size > 0) this.endCommitSpans(rd.committedEntries);
      applied = this.stateMachine.apply(rd.committedEntries).then((results) => this.afterApply(results, committedAtMs, applyStartedAtMs));
    }
    // Both run to the end before anything else happens (an error in either stops the loop).
    await Promise.all([persisted, applied]);
    this.sendAll(rd.messagesAfterPersist);
    for (const rs of rd.readStates) this.onReadState(rs);
  }

  private afterAdvance(): void {
    // Every Ready: the configuration alone, not the whole status with every follower's progress.
    const confState = confStateOf(this.raw.raft.tracker.config);
    if (JSON.stringify(confState) !== JSON.stringify(this.lastConfState)) {
      this.lastConfState = confState;
      this.wal.setConfState(confState);
      this.updatePeers();
      if (!this.isMember()) this.log('warn', 'this node was removed from the cluster; it no longer takes part', { nodeId: this.nodeId });
    }
  }

  /** Drops the log up to the applied index once the store has it on disk (between Readies: the log has one writer). */
  private async compactLogIfDue(): Promise<void> {
    if (this.logBytesSinceCompaction < this.options.compactLogBytes) return;
    let index = this.stateMachine.applied.index;
    for (const pin of this.logPins) index = Math.min(index, pin.index - 1);
    await this.store.flushed();
    if (this.closed || index <= this.wal.firstIndex() - 1 || index > this.wal.lastIndex()) return;
    this.logBytesSinceCompaction = 0;
    this.wal.compact(index);
    this.log('info', 'log compacted', { index });
  }

  private onSoftState(leader: NodeId | null): void {
    this.log('info', 'leader changed', { leader, term: this.raw.raft.term });
    if (leader !== null && leader !== this.knownLeader) this.metrics?.leaderChanged();
    if (leader !== null) this.knownLeader = leader;
    if (leader !== this.nodeId && this.commitSpans.size > 0) {
      // No longer the leader: what it appended may be committed by another, or never.
      for (const span of this.commitSpans.values()) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'leadership lost before the apply' });
        span.end();
      }
      this.commitSpans.clear();
    }
    // A write proposed through another leader may or may not commit: its client must retry.
    for (const [requestId, waiter] of this.writeWaiters) {
      if (waiter.leader === null || waiter.leader === leader) continue;
      this.failWrite(requestId, new ClusterError('leader_changed', 'The leader changed while the write was in flight; it may or may not have been applied. Retry with the same Idempotency-Key to apply it at most once.'));
    }
  }

  /** `persisted`, with its duration given to the metrics once it resolves (one observe per Ready). */
  private timed(persisted: Promise<void>, metrics: RaftMetricsSink): Promise<void> {
    const startedAtMs = performance.now();
    return persisted.then(() => metrics.appendDuration((performance.now() - startedAtMs) / 1000));
  }

  /** Tracing on, on the leader: a commit span for each appended entry that carries a trace. */
  private startCommitSpans(tracer: Tracer, entries: Entry[]): void {
    for (const entry of entries) {
      if (entry.type !== 'normal' || entry.data.byteLength === 0) continue;
      const parent = contextFromTraceParent(decodeLogCommand(entry.data).traceParent);
      if (!parent) continue;
      this.commitSpans.set(entry.index, tracer.startSpan('raft.commit', { kind: SpanKind.CONSUMER, attributes: { 'oxirs.node': this.nodeId, 'oxirs.raft.index': entry.index, 'oxirs.raft.term': entry.term } }, parent));
    }
  }

  /** The commit spans of newly committed entries end; each stays in the map as the parent of its apply span. */
  private endCommitSpans(committed: Entry[]): void {
    for (const entry of committed) this.commitSpans.get(entry.index)?.end();
  }

  /** Tracing on: one apply span per traced entry of the batch (the batch is one store transaction). */
  private traceApplies(tracer: Tracer, results: AppliedEntry[], startedAtMs: number): void {
    const endedAtMs = Date.now();
    for (const result of results) {
      const commitSpan = this.commitSpans.get(result.index);
      this.commitSpans.delete(result.index);
      const parent = commitSpan ? trace.setSpan(ROOT_CONTEXT, commitSpan) : contextFromTraceParent(result.command?.traceParent);
      if (!parent) continue;
      const span = tracer.startSpan('raft.apply', { startTime: startedAtMs, attributes: { 'oxirs.node': this.nodeId, 'oxirs.raft.index': result.index, 'oxirs.raft.batch_entries': results.length } }, parent);
      if (result.outcome && !result.outcome.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: result.outcome.message });
      span.end(endedAtMs);
    }
  }

  private afterApply(results: AppliedEntry[], committedAtMs: number, applyStartedAtMs: number): void {
    if (this.tracer) this.traceApplies(this.tracer, results, applyStartedAtMs);
    for (const result of results) {
      if (result.command && result.outcome) {
        if (this.debugLogs && result.command.httpRequestId !== undefined) {
          this.log('debug', 'write applied', { reqId: result.command.httpRequestId, proposal: result.command.requestId, index: result.index, leader: this.raw.raft.lead === this.nodeId });
        }
        const waiter = this.writeWaiters.get(result.command.requestId);
        if (waiter) {
          this.writeWaiters.delete(result.command.requestId);
          clearTimeout(waiter.timer);
          this.metrics?.proposalCommitted(waiter.proposedAtMs === undefined ? 0 : Math.max(0, committedAtMs - waiter.proposedAtMs) / 1000);
          waiter.span?.end();
          waiter.resolve({ index: result.index, outcome: result.outcome });
        }
      } else if (result.confChange) {
        const context = decodeMemberContext(result.confChange.context);
        const waiter = context && this.confWaiters.get(context.requestId);
        if (context && waiter) {
          this.confWaiters.delete(context.requestId);
          clearTimeout(waiter.timer);
          waiter.resolve({ index: result.index, outcome: { ok: true, insertedQuads: 0, removedQuads: 0 } });
        }
      }
    }
    const applied = this.stateMachine.applied.index;
    if (this.appliedWaiters.length > 0) {
      const ready = this.appliedWaiters.filter((w) => w.index <= applied);
      this.appliedWaiters = this.appliedWaiters.filter((w) => w.index > applied);
      for (const waiter of ready) waiter.resolve();
    }
  }

  /** Dials every member this node knows an address for, and forgets those that left. */
  private updatePeers(): void {
    const applied = this.stateMachine.applied;
    const cs = this.raw ? confStateOf(this.raw.raft.tracker.config) : applied.confState;
    const memberIds = new Set([...cs.voters, ...cs.votersOutgoing, ...cs.learners, ...cs.learnersNext]);
    // Until this node is in a configuration (it is joining), it talks to whoever it was told of.
    const wanted = memberIds.size > 0 ? memberIds : new Set(Object.keys(this.ownView));
    for (const id of Object.keys(this.ownView)) if (memberIds.size === 0 || memberIds.has(id)) wanted.add(id);
    wanted.delete(this.nodeId);
    for (const id of this.transport.peerIds()) if (!wanted.has(id)) this.transport.removePeer(id);
    for (const id of wanted) {
      const address = this.ownView[id] ?? applied.members[id];
      if (address) this.transport.addPeer(id, parseHostPort(address));
    }
  }

  // ---- peer traffic -------------------------------------------------------------------------

  private sendAll(messages: Message[]): void {
    for (const m of messages) {
      if (m.type === 'snapshot') this.sendSnapshot(m);
      else if (this.transport.isConnected(m.to)) this.transport.send(m.to, { t: 'raft', m });
      // The transport keeps nothing for a peer that is away: tell the core, so it stops
      // pipelining appends to it and probes once it is back (etcd's ReportUnreachable).
      else if (m.type === 'append') this.enqueue(() => this.raw.reportUnreachable(m.to));
    }
  }

  private receive(from: NodeId, message: unknown): void {
    const m = message as { t?: string };
    switch (m.t) {
      case 'raft': {
        const raftMessage = (message as { m: Message }).m;
        if (raftMessage.from !== from) return;
        this.enqueue(() => this.raw.step(raftMessage));
        return;
      }
      case 'snapChunk':
        this.receiveSnapshotChunk(from, message as { transferId: string; seq: number; data: Uint8Array });
        return;
      case 'snapEnd':
        this.receiveSnapshotEnd(from, message as { transferId: string; chunks: number; message: InstallSnapshot });
        return;
      default:
        this.rpc.receive(from, message);
    }
  }

  /**
   * Streams the store to a follower that is behind the log: one read transaction, chunk by chunk,
   * paced by the transport's queue, then the InstallSnapshot message labelled with the applied
   * state recorded in that same transaction.
   */
  private sendSnapshot(m: InstallSnapshot): void {
    const to = m.to;
    if (this.snapshotSends.has(to)) return;
    this.snapshotSends.add(to);
    const transferId = this.nextRequestId();
    void (async () => {
      let sent = false;
      const snapshot = this.store.snapshot();
      const started = performance.now();
      try {
        const applied = snapshot.getMeta('raft.applied') as { index: number; term: number; confState: ConfState };
        let seq = 0;
        let bytes = 0;
        for (const chunk of exportSnapshot(snapshot)) {
          while (this.transport.queuedBytes(to) > SNAPSHOT_SEND_WINDOW_BYTES) {
            if (this.closed || !this.transport.isConnected(to) || performance.now() - started > SNAPSHOT_SEND_TIMEOUT_MS) throw new Error('peer went away');
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
          if (!this.transport.isConnected(to)) throw new Error('peer went away');
          this.transport.send(to, { t: 'snapChunk', transferId, seq: seq++, data: chunk });
          bytes += chunk.byteLength;
        }
        const message: InstallSnapshot = { ...m, snapshot: { metadata: { index: applied.index, term: applied.term, confState: applied.confState }, data: new Uint8Array() } };
        this.transport.send(to, { t: 'snapEnd', transferId, chunks: seq, message });
        sent = true;
        this.metrics?.snapshotSent();
        this.log('info', 'snapshot sent', { to, index: applied.index, bytes, ms: Math.round(performance.now() - started) });
      } catch (error) {
        this.log('warn', 'snapshot send failed', { to, error: (error as Error).message });
      } finally {
        snapshot.release();
        this.snapshotSends.delete(to);
        this.enqueue(() => this.raw.reportSnapshot(to, !sent));
      }
    })();
  }

  private receiveSnapshotChunk(from: NodeId, chunk: { transferId: string; seq: number; data: Uint8Array }): void {
    let transfer = this.incoming.get(from);
    if (!transfer || transfer.transferId !== chunk.transferId) {
      transfer?.file.abandon();
      this.incoming.delete(from);
      if (chunk.seq !== 0) return;
      transfer = { transferId: chunk.transferId, file: new SnapshotFileWriter(join(this.snapshotDir, `incoming-${from}-${chunk.transferId}.snap`)) };
      this.incoming.set(from, transfer);
    }
    if (chunk.seq !== transfer.file.chunks) {
      // A chunk went missing (the connection dropped): this transfer is lost; the leader sends again.
      transfer.file.abandon();
      this.incoming.delete(from);
      return;
    }
    transfer.file.append(chunk.data);
  }

  private receiveSnapshotEnd(from: NodeId, end: { transferId: string; chunks: number; message: InstallSnapshot }): void {
    const transfer = this.incoming.get(from);
    if (!transfer || transfer.transferId !== end.transferId) return;
    this.incoming.delete(from);
    if (transfer.file.chunks !== end.chunks) {
      transfer.file.abandon();
      return;
    }
    transfer.file.finish();
    this.metrics?.snapshotReceived();
    const index = end.message.snapshot.metadata.index;
    // The core ignores a snapshot it has already committed past (a duplicate, or a late one from
    // an old leader): keep no file for it. A file at the same index as one waiting is a duplicate.
    if (index <= this.raw.raft.log.committed || this.receivedSnapshots.has(index)) removeSnapshotFile(transfer.file.path);
    else this.receivedSnapshots.set(index, transfer.file.path);
    this.enqueue(() => this.raw.step(end.message));
  }

  /** The core accepted a snapshot: replace the store's content with it, then the log's start. */
  private async installReceivedSnapshot(snapshot: Snapshot): Promise<void> {
    const index = snapshot.metadata.index;
    const path = this.receivedSnapshots.get(index);
    if (!path) throw new Error(`the core accepted snapshot ${index}, but no such snapshot was received`);
    const started = performance.now();
    await installSnapshot(this.store, readSnapshotFile(path));
    await this.store.flushed();
    this.stateMachine.reload();
    const applied = this.stateMachine.applied;
    if (applied.index !== index) throw new Error(`snapshot ${index} holds applied index ${applied.index}`);
    this.wal.applySnapshot(snapshot.metadata);
    this.logBytesSinceCompaction = 0;
    for (const [i, p] of this.receivedSnapshots) {
      if (i <= index) {
        removeSnapshotFile(p);
        this.receivedSnapshots.delete(i);
      }
    }
    this.updatePeers();
    this.log('info', 'snapshot installed', { index, ms: Math.round(performance.now() - started) });
    const ready = this.appliedWaiters.filter((w) => w.index <= index);
    this.appliedWaiters = this.appliedWaiters.filter((w) => w.index > index);
    for (const waiter of ready) waiter.resolve();
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Stops taking part: no more ticks, messages or applies; pending requests fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.tickTimer);
    clearInterval(this.flushTimer);
    const error = new ClusterError('no_leader', 'The node is shutting down.');
    for (const requestId of [...this.writeWaiters.keys()]) this.failWrite(requestId, error);
    for (const waiter of this.confWaiters.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.confWaiters.clear();
    for (const span of this.commitSpans.values()) span.end();
    this.commitSpans.clear();
    if (this.readRound) clearTimeout(this.readRound.timer);
    for (const waiter of [...this.readQueue, ...(this.readRound?.waiters ?? [])]) {
      if (!waiter.settled) {
        waiter.settled = true;
        waiter.reject(error);
      }
    }
    this.rpc.close();
    for (const transfer of this.incoming.values()) transfer.file.abandon();
    await this.transport.close();
    // Wait for a Ready being handled to finish before the log closes.
    for (let i = 0; i < 1000 && this.loopRunning; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    this.wal.close();
    await this.store.flushed().catch((error: Error) => this.log('error', 'store flush failed at shutdown', { error: error.message }));
  }

  private fail(error: Error): void {
    // A Ready cut short by a shutdown (the log was closed under it) is not a failure.
    if (this.closed) {
      this.log('warn', 'raft loop stopped by the shutdown', { error: error.message });
      return;
    }
    // An entry that cannot be applied or a log that cannot be written leaves this replica unable
    // to follow the others: stop taking part rather than diverge.
    this.fatalError = error;
    this.log('error', 'raft loop failed; the node stops taking part', { error: error.stack ?? error.message });
    void this.close().finally(() => this.options.onFatal?.(error));
  }

  private assertUsable(): void {
    if (this.fatalError) throw new ClusterError('no_leader', `This node failed: ${this.fatalError.message}`);
    if (this.closed) throw new ClusterError('no_leader', 'The node is shutting down.');
    if (!this.isMember() && this.stateMachine.applied.index > 0) throw new ClusterError('removed_member', 'This node is not a member of the cluster.');
  }

  private noLeaderError(): ClusterError {
    return new ClusterError('no_leader', 'No leader is known right now (an election is under way, or this node is cut off); retry shortly.');
  }

  private nextRequestId(): string {
    return `${this.nodeId}.${this.requestPrefix}.${++this.requestCounter}`;
  }
}

/**
 * The id of a cluster bootstrapped from a static member list: every member derives the same one
 * from the member ids alone (their addresses are each member's own view), as etcd derives its
 * cluster id from the initial members (so two clusters bootstrapped with the same member names
 * share an id, as in etcd without --initial-cluster-token). A one-member cluster bootstraps alone,
 * so its id also takes random bytes.
 */
function clusterIdFor(voters: NodeId[]): string {
  const seed = voters.length === 1 ? `${voters[0]}\0${randomBytes(8).toString('hex')}` : [...voters].sort().join('\0');
  return createHash('sha256').update(`oxirs-cluster\0${seed}`).digest('hex').slice(0, 16);
}
