/**
 * A deterministic simulation of a whole Raft cluster. One seed drives everything: the scenario
 * (swarm testing), a virtual clock, a network that delays, drops, duplicates and reorders
 * messages and cuts partitions, crashes that lose whatever a node had not persisted (including
 * crashes in the middle of handling a Ready: after its early messages went out, before its
 * writes), restarts, membership changes, leadership transfers, snapshots with compaction, and
 * clients running put/get/cas against a replicated key-value store (reads through ReadIndex).
 *
 * Phase 1 (safety) runs all of that; phase 2 (liveness) heals everything and requires that a
 * write commits within a bound and then, with the client load stopped, that every member of
 * the configuration applies it within the same bound. Checkers outside the code under
 * test watch the whole run (checkers.ts, linearizability.ts).
 */
import { MemoryStorage } from '../../src/raft/memory-storage.ts';
import type { ConfChange, ConfState, Entry, Message, NodeId, Snapshot } from '../../src/raft/messages.ts';
import { decodeConfChange } from '../../src/raft/messages.ts';
import { RawNode } from '../../src/raft/raw-node.ts';
import type { Ready } from '../../src/raft/raw-node.ts';
import { assert } from '../../src/util/assert.ts';
import { Prng } from '../../src/util/prng.ts';
import { SafetyChecker, SafetyViolation } from './checkers.ts';
import { EventQueue } from './event-queue.ts';
import { KvStateMachine, decodeRequest, encodeRequest } from './kv.ts';
import type { KvCommand } from './kv.ts';
import { checkHistory } from './linearizability.ts';
import type { OpInput, Operation } from './linearizability.ts';
import type { Scenario } from './scenario.ts';
import { drawScenario, withLivenessBound } from './scenario.ts';

export interface SimOptions {
  seed: number;
  /** Keep an event log (for `npm run sim -- --seed S`). */
  verbose?: boolean;
  /** Override parts of the drawn scenario (scripted experiments). */
  scenarioOverrides?: Partial<Scenario>;
}

export interface SimStats {
  events: number;
  virtualMs: number;
  operations: number;
  ackedWrites: number;
  completedReads: number;
  leadersElected: number;
  crashes: number;
  committedIndex: number;
  livenessMs: number;
}

export interface SimResult {
  seed: number;
  ok: boolean;
  failure: string | null;
  scenario: Scenario;
  stats: SimStats;
  log: string[];
}

/** Bounds that keep every run finite whatever the scenario. */
const MAX_EVENTS = 3_000_000;
const MAX_READY_ROUNDS_PER_EVENT = 1000;

interface ClientOp extends Operation {
  done: boolean;
  /** Definitely had no effect (refused before entering any log): left out of the history. */
  discarded: boolean;
  /** Called once when the operation completes, is refused or times out. */
  onDone?: () => void;
}

class SimNode {
  readonly id: NodeId;
  // The disk: survives crashes. Written only from a Ready's persist step and from applying.
  readonly storage = new MemoryStorage();
  kv = new KvStateMachine();
  confState: ConfState = { voters: [], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };
  // Volatile: lost on a crash.
  raw: RawNode | null = null;
  incarnation = 0;
  decommissioned = false;
  tornCrashPending = false;
  lastCommitSeen = 0;
  pendingWrites = new Map<string, ClientOp>();
  pendingReads = new Map<string, { op: ClientOp; index: number | null }>();

  constructor(id: NodeId) {
    this.id = id;
  }

  alive(): boolean {
    return this.raw !== null;
  }
}

class Failure extends Error {
  override name = 'SimFailure';
}

export class Simulation {
  readonly seed: number;
  readonly scenario: Scenario;
  private readonly prng: Prng;
  private readonly queue = new EventQueue();
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly checker = new SafetyChecker();
  private readonly cut = new Set<string>(); // directed links "a>b" that drop everything
  private readonly log: string[] = [];
  private readonly verbose: boolean;
  private readonly history: ClientOp[] = [];
  private readonly everMember = new Set<NodeId>();
  private stamp = 0;
  private events = 0;
  private crashes = 0;
  private healed = false;
  private healedAtMs = 0;
  private healStamp = 0;
  private livenessWrite: { index: number } | null = null;
  private livenessMs = -1;
  private opIds = 0;
  private readonly opByRequest = new Map<string, ClientOp>();
  private latestConfIndex = 0;
  private pendingDecommission: { index: number; members: NodeId[]; removed: NodeId[] } | null = null;
  // Network fault rates: the liveness phase sets them to zero.
  private dropRate: number;
  private duplicateRate: number;
  private longDelayRate: number;

  constructor(options: SimOptions) {
    this.seed = options.seed;
    this.prng = new Prng(options.seed);
    this.scenario = withLivenessBound({ ...drawScenario(this.prng.fork()), ...options.scenarioOverrides });
    this.verbose = options.verbose ?? false;
    this.dropRate = this.scenario.dropRate;
    this.duplicateRate = this.scenario.duplicateRate;
    this.longDelayRate = this.scenario.longDelayRate;
  }

  private note(text: string): void {
    if (this.verbose) this.log.push(`${String(this.queue.nowMs).padStart(6)}ms  ${text}`);
  }

  private nextStamp(): number {
    return ++this.stamp;
  }

  // ---- setup ----

  private bootstrap(): void {
    const s = this.scenario;
    const voters: NodeId[] = [];
    for (let i = 1; i <= s.initialVoters; i++) voters.push(`n${i}`);
    const confState: ConfState = { voters, votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };
    // The initial configuration is a snapshot at index 1, so a member added later learns the
    // whole membership history from a snapshot rather than from an incomplete log.
    const initialKv = new KvStateMachine();
    initialKv.appliedIndex = 1;
    const snapshot: Snapshot = { metadata: { index: 1, term: 1, confState }, data: initialKv.serialize() };
    for (const id of voters) {
      const node = new SimNode(id);
      node.storage.applySnapshot(snapshot);
      node.storage.setHardState({ term: 1, vote: null, commit: 1 });
      node.kv.restore(snapshot.data, 1);
      node.confState = confState;
      this.nodes.set(id, node);
      this.everMember.add(id);
    }
    for (let i = 1; i <= s.spareNodes; i++) this.nodes.set(`n${s.initialVoters + i}`, new SimNode(`n${s.initialVoters + i}`));
    for (const node of this.nodes.values()) this.start(node);
  }

  private start(node: SimNode): void {
    assert(!node.alive() && !node.decommissioned, `start of ${node.id} while alive or decommissioned`);
    const s = this.scenario;
    node.incarnation++;
    node.raw = new RawNode({
      id: node.id,
      storage: node.storage,
      random: this.prng.fork(),
      electionTimeoutTicks: s.electionTimeoutTicks,
      heartbeatIntervalTicks: s.heartbeatIntervalTicks,
      appliedIndex: node.kv.appliedIndex,
      maxSizePerMsgBytes: s.maxSizePerMsgBytes,
      maxInflightMessages: s.maxInflightMessages,
      maxInflightBytes: 0,
      maxCommittedSizePerReadyBytes: 64 * 1024,
      preVote: s.preVote,
      checkQuorum: s.checkQuorum,
      leaseReads: s.leaseReads,
      leaseDriftMarginTicks: 0,
      disableProposalForwarding: false,
      maxPendingReads: 64,
      maxUncommittedEntries: 64,
      deferCommitNotices: s.deferCommitNotices,
    });
    node.tornCrashPending = false;
    this.note(`${node.id} starts (incarnation ${node.incarnation}, applied ${node.kv.appliedIndex}, last index ${node.storage.lastIndex()})`);
    const incarnation = node.incarnation;
    const tick = (): void => {
      if (node.raw === null || node.incarnation !== incarnation) return;
      node.raw.tick();
      this.drain(node);
      this.queue.after(s.tickMs, tick);
    };
    this.queue.after(1 + this.prng.nextInt(s.tickMs), tick);
  }

  private crash(node: SimNode, why: string): void {
    if (!node.alive()) return;
    this.crashes++;
    node.raw = null;
    node.tornCrashPending = false;
    // In-flight client requests at this node get no answer: their clients time out.
    node.pendingWrites.clear();
    node.pendingReads.clear();
    this.note(`${node.id} CRASH (${why})`);
    for (const other of this.nodes.values()) if (other !== node) this.mayNoticeLostLeader(other, node.id);
  }

  /** `observer`'s connection to `lost` closed: if that is its leader, it may call leaderLost soon. */
  private mayNoticeLostLeader(observer: SimNode, lost: NodeId): void {
    if (!observer.alive() || !this.prng.chance(this.scenario.leaderLostNoticeRate)) return;
    const incarnation = observer.incarnation;
    this.queue.after(1 + this.prng.nextInt(this.scenario.delayMaxMs), () => {
      const raw = observer.raw;
      if (raw === null || observer.incarnation !== incarnation || raw.raft.lead !== lost) return;
      this.note(`${observer.id} lost its leader ${lost}`);
      raw.leaderLost();
      this.drain(observer);
    });
  }

  // ---- the Ready loop (raw-node.ts documents the contract) ----

  private drain(node: SimNode): void {
    for (let round = 0; round < MAX_READY_ROUNDS_PER_EVENT; round++) {
      const raw = node.raw;
      if (raw === null || !raw.hasReady()) return;
      this.handleReady(node, raw, raw.ready());
    }
    throw new Failure(`${node.id}: Ready loop did not settle in ${MAX_READY_ROUNDS_PER_EVENT} rounds`);
  }

  private handleReady(node: SimNode, raw: RawNode, rd: Ready): void {
    const raft = raw.raft;
    const s = this.scenario;
    if (rd.softState !== null) {
      this.note(`${node.id} is ${rd.softState.role} in term ${raft.term} (leader ${rd.softState.leader ?? '-'})`);
      if (rd.softState.role === 'leader') {
        this.checker.onLeader(raft.term, node.id, (i) => raft.log.term(i), raft.log.lastIndex(), raft.log.firstIndex());
      }
    }
    // Crash points at the most delicate moments: a leader whose commit index just advanced (no
    // follower knows yet) and a node that just became leader (its first entry is on its disk
    // only). There the crash comes after persisting and before anything is sent.
    const leaderCommitted = raft.role === 'leader' && rd.hardState !== null && rd.hardState.commit > node.lastCommitSeen;
    if (rd.hardState !== null) node.lastCommitSeen = rd.hardState.commit;
    const delicate =
      !this.healed &&
      ((leaderCommitted && this.prng.chance(s.leaderCrashAfterCommitRate)) || (rd.softState?.role === 'leader' && this.prng.chance(s.leaderCrashAfterElectionRate)));
    // Otherwise a caller may send the early messages before or after persisting (both are
    // correct), and may crash in between: after sending but before persisting (the writes are
    // lost), or after persisting but before sending (the messages are lost).
    const sendFirst = !delicate && this.prng.chance(0.5);
    const torn = delicate || node.tornCrashPending || (rd.hardState !== null && this.prng.chance(this.healed ? 0 : s.tornCrashOnHardStateRate));
    if (sendFirst) {
      for (const m of rd.messages) this.send(m);
      if (torn && (rd.hardState !== null || rd.entries.length > 0 || rd.snapshot !== null)) {
        this.crash(node, 'torn: after sending, before persisting');
        this.scheduleRestart(node);
        return;
      }
    }
    this.persist(node, rd);
    if (!sendFirst) {
      if (torn && (rd.messages.length > 0 || rd.messagesAfterPersist.length > 0 || delicate)) {
        this.crash(node, delicate ? 'delicate moment: after persisting, before sending' : 'torn: after persisting, before sending');
        this.scheduleRestart(node);
        return;
      }
      for (const m of rd.messages) this.send(m);
    }
    for (const m of rd.messagesAfterPersist) this.send(m);
    // Apply.
    for (const e of rd.committedEntries) this.apply(node, raw, e);
    for (const rs of rd.readStates) {
      const pending = node.pendingReads.get(rs.context);
      if (pending) pending.index = rs.index;
    }
    this.serveReads(node);
    raw.advance();
    this.maybeSnapshot(node);
    if (rd.committedEntries.length > 0 || rd.snapshot !== null) this.maybeDecommission();
  }

  /** Writes a Ready's snapshot, entries and hard state to the node's disk. */
  private persist(node: SimNode, rd: Ready): void {
    if (rd.snapshot !== null) {
      node.storage.applySnapshot(rd.snapshot);
      node.kv.restore(rd.snapshot.data, rd.snapshot.metadata.index);
      node.confState = rd.snapshot.metadata.confState;
      this.noteMembers(rd.snapshot.metadata.confState, rd.snapshot.metadata.index);
      this.note(`${node.id} installs snapshot at ${rd.snapshot.metadata.index}`);
    }
    if (rd.entries.length > 0) {
      node.storage.append(rd.entries);
      for (const e of rd.entries) {
        const prev = node.storage.term(e.index - 1);
        this.checker.onPersist(node.id, e, prev.ok ? prev.value : null);
      }
    }
    if (rd.hardState !== null) node.storage.setHardState(rd.hardState);
  }

  private apply(node: SimNode, raw: RawNode, e: Entry): void {
    this.checker.onApply(node.id, e, raw.raft.term);
    if (e.type === 'confChange') {
      node.kv.markApplied(e.index);
      const cc: ConfChange = decodeConfChange(e.data);
      const cs = raw.applyConfChange(cc);
      node.confState = cs;
      node.storage.setConfState(cs);
      this.note(`${node.id} applies conf change at ${e.index}: ${JSON.stringify(cc.changes)} -> voters [${cs.voters}] outgoing [${cs.votersOutgoing}] learners [${cs.learners}]`);
      this.noteMembers(cs, e.index);
      return;
    }
    if (e.data.byteLength === 0) {
      node.kv.markApplied(e.index);
      return;
    }
    const request = decodeRequest(e.data);
    const result = node.kv.apply(e.index, request);
    if (this.healed && this.livenessWrite === null && (this.opByRequest.get(`${request.clientId}:${request.seq}`)?.callTime ?? 0) > this.healStamp) {
      this.livenessWrite = { index: e.index };
    }
    const op = node.pendingWrites.get(`${request.clientId}:${request.seq}`);
    if (!op || op.done || result === null) return;
    node.pendingWrites.delete(`${request.clientId}:${request.seq}`);
    this.complete(op, result.kind === 'cas' ? { kind: 'cas', ok: result.ok } : { kind: 'put' });
    this.note(`client ${op.clientId} ${describe(op)} acked at index ${e.index} by ${node.id}`);
  }

  /**
   * Members removed from the configuration are shut down for good, as an operator would, but
   * only once every remaining member has applied the removal (before that, a remaining member
   * may still need the removed one's vote to learn that the removal committed).
   */
  private noteMembers(cs: ConfState, index: number): void {
    // Only the newest configuration counts: a node may install an older snapshot late.
    if (index <= this.latestConfIndex) return;
    this.latestConfIndex = index;
    const members = new Set([...cs.voters, ...cs.votersOutgoing, ...cs.learners]);
    for (const id of members) this.everMember.add(id);
    const removed = [...this.everMember].filter((id) => !members.has(id) && !this.nodes.get(id)!.decommissioned);
    this.pendingDecommission = removed.length > 0 ? { index, members: [...members], removed } : null;
  }

  private maybeDecommission(): void {
    const pending = this.pendingDecommission;
    if (pending === null) return;
    for (const id of pending.members) if (this.nodes.get(id)!.kv.appliedIndex < pending.index) return;
    this.pendingDecommission = null;
    for (const id of pending.removed) {
      const node = this.nodes.get(id)!;
      this.crash(node, 'removed from the configuration');
      node.decommissioned = true;
      this.note(`${id} decommissioned`);
    }
  }

  private serveReads(node: SimNode): void {
    for (const [context, pending] of node.pendingReads) {
      if (pending.index === null || node.kv.appliedIndex < pending.index) continue;
      node.pendingReads.delete(context);
      if (pending.op.done) continue;
      const value = node.kv.get(pending.op.key);
      this.complete(pending.op, { kind: 'get', value });
      this.note(`client ${pending.op.clientId} get ${pending.op.key} = ${value} served by ${node.id} at index ${pending.index}`);
    }
  }

  private maybeSnapshot(node: SimNode): void {
    const every = this.scenario.snapshotEveryEntries;
    if (every === 0 || node.raw === null) return;
    const applied = node.kv.appliedIndex;
    if (applied - node.storage.snapshotIndex() < every) return;
    node.storage.createSnapshot(applied, node.confState, node.kv.serialize());
    const compactTo = applied - this.scenario.compactKeepEntries;
    if (compactTo > node.storage.firstIndex()) node.storage.compact(compactTo);
  }

  // ---- network ----

  private send(m: Message): void {
    const s = this.scenario;
    const from = this.nodes.get(m.from)!;
    const deliver = (): void => {
      const to = this.nodes.get(m.to);
      if (m.type === 'snapshot') {
        // The transport tells the sender whether a snapshot got through (etcd ReportSnapshot).
        const ok = to !== undefined && to.raw !== null;
        if (from.raw !== null) {
          from.raw.reportSnapshot(m.to, !ok);
          this.drain(from);
        }
      }
      if (!to || to.raw === null) return;
      // A link cut while the message was in flight loses it too.
      if (this.cut.has(`${m.from}>${m.to}`)) return;
      to.raw.step(m);
      this.drain(to);
    };
    const lost = this.cut.has(`${m.from}>${m.to}`) || this.prng.chance(this.dropRate);
    if (lost) {
      if (m.type === 'snapshot') this.queue.after(s.delayMinMs, () => {
        if (from.raw !== null) {
          from.raw.reportSnapshot(m.to, true);
          this.drain(from);
        }
      });
      return;
    }
    const copies = this.prng.chance(this.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delayMs = s.delayMinMs + this.prng.nextInt(Math.max(1, s.delayMaxMs - s.delayMinMs));
      if (this.prng.chance(this.longDelayRate)) delayMs += this.prng.nextInt(20 * s.electionTimeoutTicks * s.tickMs);
      this.queue.after(delayMs, deliver);
    }
  }

  // ---- clients ----

  private startClients(): void {
    for (let c = 1; c <= this.scenario.clients; c++) {
      const state = { seq: 0, lastSeen: new Map<string, string | null>(), lastServer: null as NodeId | null };
      const next = (): void => this.issue(c, state, next);
      this.queue.after(this.prng.nextInt(20), next);
    }
  }

  private issue(clientId: number, state: { seq: number; lastSeen: Map<string, string | null>; lastServer: NodeId | null }, next: () => void): void {
    // Once a write after healing has committed, the load stops so that lagging members
    // (a learner behind a lone voter, say) must catch up within the bound.
    if (this.livenessWrite !== null) return;
    const s = this.scenario;
    const ids = [...this.nodes.keys()].filter((id) => !this.nodes.get(id)!.decommissioned);
    // Half the time a client goes back to the node that answered it last (as real clients
    // stick to a leader they found), which is how stale leaders get asked.
    const sticky = state.lastServer !== null && ids.includes(state.lastServer) && this.prng.chance(0.5);
    const target = this.nodes.get(sticky ? state.lastServer! : this.prng.pick(ids))!;
    const key = `k${this.prng.nextInt(s.keys)}`;
    state.seq++;
    const seq = state.seq;
    const r = this.prng.nextFloat();
    let input: OpInput;
    if (r < s.readRate) input = { kind: 'get' };
    else if (r < s.readRate + s.casRate) input = { kind: 'cas', expected: state.lastSeen.get(key) ?? null, value: `c${clientId}.${seq}` };
    else input = { kind: 'put', value: `c${clientId}.${seq}` };
    const op: ClientOp = { id: ++this.opIds, clientId, key, input, output: { kind: 'unknown' }, callTime: this.nextStamp(), returnTime: Infinity, done: false, discarded: false };
    this.history.push(op);
    if (input.kind !== 'get') this.opByRequest.set(`${clientId}:${seq}`, op);
    const finish = (): void => {
      if (op.output.kind !== 'unknown' && !op.discarded) state.lastServer = target.id;
      if (op.output.kind === 'get') state.lastSeen.set(key, op.output.value);
      if (op.output.kind === 'cas' && op.output.ok && op.input.kind === 'cas') state.lastSeen.set(key, op.input.value);
      this.queue.after(1 + this.prng.nextInt(s.clientThinkMaxMs), next);
    };
    op.onDone = finish;
    this.queue.after(s.clientTimeoutMs, () => {
      if (op.done) return;
      op.done = true;
      this.note(`client ${clientId} ${describe(op)} timed out (indeterminate)`);
      finish();
    });
    this.note(`client ${clientId} ${describe(op)} -> ${target.id}`);
    const raw = target.raw;
    if (raw === null) return; // the node is down: the request times out
    if (input.kind === 'get') {
      const context = `read-${op.id}`;
      target.pendingReads.set(context, { op, index: null });
      if (!raw.readIndex(context).ok) {
        target.pendingReads.delete(context);
        this.refuse(op);
        return;
      }
    } else {
      const command: KvCommand = input.kind === 'put' ? { kind: 'put', key, value: input.value } : { kind: 'cas', key, expected: input.expected, value: input.value };
      target.pendingWrites.set(`${clientId}:${seq}`, op);
      if (!raw.propose(encodeRequest({ clientId, seq, command })).ok) {
        target.pendingWrites.delete(`${clientId}:${seq}`);
        this.refuse(op);
        return;
      }
    }
    this.drain(target);
  }

  /** The node refused the request outright: it entered no log, so it had no effect. */
  private refuse(op: ClientOp): void {
    op.done = true;
    op.discarded = true;
    this.note(`client ${op.clientId} ${describe(op)} refused`);
    op.onDone?.();
  }

  private complete(op: ClientOp, output: Operation['output']): void {
    assert(!op.done, 'an operation completes once');
    op.done = true;
    op.output = output;
    op.returnTime = this.nextStamp();
    op.onDone?.();
  }

  // ---- faults ----

  private memberIds(): NodeId[] {
    return [...this.nodes.values()].filter((n) => !n.decommissioned).map((n) => n.id);
  }

  private leader(): SimNode | null {
    let best: SimNode | null = null;
    for (const node of this.nodes.values()) {
      if (node.raw === null || node.raw.raft.role !== 'leader') continue;
      if (best === null || node.raw.raft.term > best.raw!.raft.term) best = node;
    }
    return best;
  }

  private every(meanMs: number, action: () => void): void {
    if (meanMs === 0) return;
    const loop = (): void => {
      if (this.healed) return;
      action();
      this.queue.after(1 + this.prng.nextInt(2 * meanMs), loop);
    };
    this.queue.after(1 + this.prng.nextInt(2 * meanMs), loop);
  }

  private scheduleRestart(node: SimNode): void {
    this.queue.after(1 + this.prng.nextInt(this.scenario.restartMaxMs), () => {
      if (!node.alive() && !node.decommissioned && !this.healed) this.start(node);
    });
  }

  private startFaults(): void {
    const s = this.scenario;
    this.every(s.partitionEveryMs, () => this.repartition());
    this.every(s.crashEveryMs, () => {
      const candidates = this.memberIds().filter((id) => this.nodes.get(id)!.alive());
      if (candidates.length === 0) return;
      const leader = this.leader();
      const node = this.nodes.get(leader && this.prng.chance(s.crashLeaderBias) ? leader.id : this.prng.pick(candidates))!;
      if (this.prng.chance(s.tornCrashRate)) {
        node.tornCrashPending = true;
        this.note(`${node.id} will crash in its next Ready`);
      } else {
        this.crash(node, 'random');
        this.scheduleRestart(node);
      }
    });
    this.every(s.confChangeEveryMs, () => this.changeMembership());
    this.every(s.transferEveryMs, () => {
      const leader = this.leader();
      if (!leader) return;
      const voters = leader.raw!.status().config.voters.filter((id) => id !== leader.id);
      if (voters.length === 0) return;
      const to = this.prng.pick(voters);
      this.note(`transfer leadership ${leader.id} -> ${to}`);
      leader.raw!.transferLeader(to);
      this.drain(leader);
    });
  }

  private repartition(): void {
    this.repartitionLinks();
    // A cut link closes the connection over it: a follower cut from its leader may notice.
    for (const node of this.nodes.values()) {
      const lead = node.raw?.raft.lead;
      if (lead && lead !== node.id && (this.cut.has(`${lead}>${node.id}`) || this.cut.has(`${node.id}>${lead}`))) this.mayNoticeLostLeader(node, lead);
    }
  }

  private repartitionLinks(): void {
    this.cut.clear();
    const ids = this.memberIds();
    const kind = this.prng.nextInt(6);
    const isolate = (a: NodeId[], b: NodeId[], oneWay: boolean): void => {
      for (const x of a) for (const y of b) {
        this.cut.add(`${x}>${y}`);
        if (!oneWay) this.cut.add(`${y}>${x}`);
      }
    };
    const shuffled = [...ids];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = this.prng.nextInt(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const split = 1 + this.prng.nextInt(Math.max(1, shuffled.length - 1));
    const a = shuffled.slice(0, split);
    const b = shuffled.slice(split);
    switch (kind) {
      case 0:
        this.note('partition healed');
        return;
      case 1:
        isolate(a, b, false);
        this.note(`partition [${a}] | [${b}]`);
        return;
      case 2:
        isolate(a, b, true);
        this.note(`one-way partition [${a}] -/-> [${b}]`);
        return;
      case 3: {
        const leader = this.leader();
        if (!leader) return;
        isolate([leader.id], ids.filter((id) => id !== leader.id), false);
        this.note(`leader ${leader.id} isolated`);
        return;
      }
      case 4: {
        // A bridge: two halves that only talk through one node.
        if (b.length < 2) return;
        const bridge = b[0];
        isolate(a, b.slice(1), false);
        this.note(`bridge: [${a}] <-> ${bridge} <-> [${b.slice(1)}]`);
        return;
      }
      case 5: {
        // Random individual link cuts.
        for (const x of ids) for (const y of ids) if (x !== y && this.prng.chance(0.2)) this.cut.add(`${x}>${y}`);
        this.note(`random link cuts: ${[...this.cut].join(' ')}`);
        return;
      }
    }
  }

  private changeMembership(): void {
    const leader = this.leader();
    if (!leader) return;
    const cs = leader.raw!.status().config;
    const spares = [...this.nodes.values()].filter((n) => !n.decommissioned && !this.everMember.has(n.id)).map((n) => n.id);
    // Operators move leadership away before removing the leader, so never pick it here.
    const removable = cs.voters.filter((id) => id !== leader.id);
    let cc: ConfChange | null = null;
    const transition = this.prng.pick(['auto', 'jointImplicit', 'jointExplicit'] as const);
    if (cs.votersOutgoing.length > 0) {
      if (!cs.autoLeave) cc = { transition: 'auto', changes: [] };
    } else {
      const choice = this.prng.nextInt(6);
      if (choice === 0 && spares.length > 0) cc = { transition: 'auto', changes: [{ type: 'addLearner', nodeId: this.prng.pick(spares) }] };
      else if (choice === 1 && cs.learners.length > 0 && cs.voters.length < 7) cc = { transition, changes: [{ type: 'addVoter', nodeId: this.prng.pick(cs.learners) }] };
      else if (choice === 2 && spares.length > 0 && cs.voters.length < 7) cc = { transition, changes: [{ type: 'addVoter', nodeId: this.prng.pick(spares) }] };
      else if (choice === 3 && removable.length > 0) cc = { transition, changes: [{ type: 'removeNode', nodeId: this.prng.pick(removable) }] };
      else if (choice === 4 && removable.length > 0) cc = { transition, changes: [{ type: 'addLearner', nodeId: this.prng.pick(removable) }] };
      else if (choice === 5 && removable.length > 0 && (spares.length > 0 || cs.learners.length > 0)) {
        const incoming = spares.length > 0 ? this.prng.pick(spares) : this.prng.pick(cs.learners);
        cc = { transition: transition === 'auto' ? 'jointImplicit' : transition, changes: [{ type: 'addVoter', nodeId: incoming }, { type: 'removeNode', nodeId: this.prng.pick(removable) }] };
      }
    }
    if (cc === null) return;
    const outcome = leader.raw!.proposeConfChange(cc);
    this.note(`propose conf change ${JSON.stringify(cc)} at ${leader.id}: ${outcome.ok ? 'accepted' : 'refused'}`);
    this.drain(leader);
  }

  // ---- phases ----

  private heal(): void {
    this.healed = true;
    this.healedAtMs = this.queue.nowMs;
    this.healStamp = this.nextStamp();
    this.cut.clear();
    this.dropRate = 0;
    this.duplicateRate = 0;
    this.longDelayRate = 0;
    this.note('=== HEAL: liveness phase begins ===');
    for (const node of this.nodes.values()) {
      node.tornCrashPending = false;
      if (!node.alive() && !node.decommissioned) this.start(node);
    }
  }

  /** The current configuration: the one applied at the highest index anywhere. */
  private currentMembers(): NodeId[] {
    let best: SimNode | null = null;
    for (const node of this.nodes.values()) if (!node.decommissioned && (best === null || node.kv.appliedIndex > best.kv.appliedIndex)) best = node;
    const cs = best!.confState;
    return [...new Set([...cs.voters, ...cs.votersOutgoing, ...cs.learners])];
  }

  private livenessReached(): boolean {
    if (this.livenessWrite === null) return false;
    const index = this.livenessWrite.index;
    for (const id of this.currentMembers()) {
      const node = this.nodes.get(id)!;
      if (!node.alive() || node.kv.appliedIndex < index) return false;
    }
    return true;
  }

  run(): SimResult {
    let failure: string | null = null;
    try {
      this.bootstrap();
      this.startClients();
      this.startFaults();
      const safetyEndMs = this.scenario.safetyPhaseMs;
      while (this.queue.nowMs < safetyEndMs && (this.queue.peekTimeMs() ?? Infinity) < safetyEndMs) this.step();
      this.heal();
      // Phase 2a: a write issued after healing must commit within the bound. Phase 2b: then
      // every member must apply it, within the bound plus the time to ship what it lags by
      // (one window of maxInflightMessages appends per round trip, one entry per append at worst).
      // A voter needed for the quorum may first have to catch up on what it lags by.
      let healLagEntries = 0;
      let longestLog = 0;
      for (const node of this.nodes.values()) longestLog = Math.max(longestLog, node.storage.lastIndex());
      for (const id of this.currentMembers()) healLagEntries = Math.max(healLagEntries, longestLog - this.nodes.get(id)!.kv.appliedIndex);
      const catchUpMs = (lagEntries: number): number => Math.ceil((lagEntries * 4 * this.scenario.delayMaxMs) / this.scenario.maxInflightMessages);
      let deadlineMs = this.healedAtMs + this.scenario.livenessBoundMs + catchUpMs(healLagEntries);
      let catchUpDeadlineSet = false;
      while (!this.livenessReached()) {
        if (this.livenessWrite !== null && !catchUpDeadlineSet) {
          catchUpDeadlineSet = true;
          let lagEntries = 0;
          for (const id of this.currentMembers()) lagEntries = Math.max(lagEntries, this.livenessWrite.index - this.nodes.get(id)!.kv.appliedIndex);
          deadlineMs = this.queue.nowMs + this.scenario.livenessBoundMs + catchUpMs(lagEntries);
        }
        const next = this.queue.peekTimeMs();
        if (next === null || next > deadlineMs) {
          this.note(`statuses at liveness failure:\n${[...this.nodes.values()].map((n) => (n.raw ? JSON.stringify(n.raw.status()) : `${n.id} down`)).join('\n')}`);
          throw new Failure(`liveness: ${this.livenessWrite === null ? 'no write committed' : `members did not all apply index ${this.livenessWrite.index}`} by ${deadlineMs}ms (healed at ${this.healedAtMs}ms, bound ${this.scenario.livenessBoundMs}ms; members ${this.currentMembers()}, leader ${this.leader()?.id ?? 'none'})`);
        }
        this.step();
      }
      this.livenessMs = this.queue.nowMs - this.healedAtMs;
      this.note(`=== liveness reached after ${this.livenessMs}ms ===`);
      this.finalChecks();
    } catch (error) {
      if (error instanceof Failure || error instanceof SafetyViolation) failure = `${error.name}: ${error.message}`;
      else if (error instanceof Error) failure = `${error.name}: ${error.message}\n${(error.stack ?? '').split('\n').slice(1, 6).join('\n')}`;
      else failure = String(error);
      this.note(`FAILURE ${failure}`);
    }
    let committedIndex = 0;
    for (const node of this.nodes.values()) committedIndex = Math.max(committedIndex, node.kv.appliedIndex);
    return {
      seed: this.seed,
      ok: failure === null,
      failure,
      scenario: this.scenario,
      stats: {
        events: this.events,
        virtualMs: this.queue.nowMs,
        operations: this.history.length,
        ackedWrites: this.history.filter((op) => op.output.kind === 'put' || op.output.kind === 'cas').length,
        completedReads: this.history.filter((op) => op.output.kind === 'get').length,
        leadersElected: this.checker.leadersElected,
        crashes: this.crashes,
        committedIndex,
        livenessMs: this.livenessMs,
      },
      log: this.log,
    };
  }

  private step(): void {
    if (++this.events > MAX_EVENTS) throw new Failure(`more than ${MAX_EVENTS} events`);
    this.queue.runNext();
  }

  private finalChecks(): void {
    // No acknowledged write lost: each acked write is applied, at one index, on the final leader's history.
    const appliedRequests = new Set<string>();
    for (const rec of this.checker.applied.values()) {
      const r = rec.data.byteLength === 0 ? null : decodeRequestSafe(rec.data);
      if (r !== null) appliedRequests.add(`${r.clientId}:${r.seq}`);
    }
    for (const op of this.history) {
      if (op.output.kind !== 'put' && op.output.kind !== 'cas') continue;
      if (!appliedRequests.has(`${op.clientId}:${opSeq(op)}`)) throw new SafetyViolation(`acknowledged write lost: client ${op.clientId} ${describe(op)}`);
    }
    const ops: Operation[] = this.history.filter((op) => !op.discarded);
    const result = checkHistory(ops);
    if (result.ok === false) throw new SafetyViolation(`linearizability: ${result.reason}`);
    if (result.ok === 'unknown') this.note(`linearizability check of key ${result.key} gave up (search bound)`);
  }
}


function decodeRequestSafe(data: Uint8Array): { clientId: number; seq: number } | null {
  try {
    return decodeRequest(data);
  } catch {
    return null;
  }
}

function opSeq(op: Operation): number {
  const value = op.input.kind === 'get' ? '' : op.input.value;
  return Number(value.split('.')[1]);
}

function describe(op: Operation): string {
  switch (op.input.kind) {
    case 'get':
      return `#${op.id} get ${op.key}`;
    case 'put':
      return `#${op.id} put ${op.key}=${op.input.value}`;
    case 'cas':
      return `#${op.id} cas ${op.key} ${op.input.expected}->${op.input.value}`;
  }
}

export function runSeed(options: SimOptions): SimResult {
  return new Simulation(options).run();
}
