/**
 * The Raft state machine (Ongaro's thesis; etcd-io/raft raft.go). Pure: it performs no I/O,
 * owns no clock and no randomness (election jitter comes from `config.random`). It is driven by
 * `tick()` and `step(message)` and accumulates what must be persisted, sent and applied, which
 * `RawNode` hands out in a Ready.
 *
 * Outgoing messages come in two groups: `messages` may be sent before this node's pending
 * writes are durable (the leader's appends, thesis 10.2.1), `messagesAfterPersist` only after
 * (votes and acknowledgements: they promise something about durable state).
 */
import { assert, unreachable } from '../util/assert.ts';
import type { RandomSource } from '../util/prng.ts';
import { applyConfChangeTo, configFromConfState } from './confchange.ts';
import { RaftLog } from './log.ts';
import type {
  AppendResponse,
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  NodeId,
  Snapshot,
  Vote,
} from './messages.ts';
import { decodeConfChange, encodeConfChange, entrySizeBytes } from './messages.ts';
import { Progress } from './progress.ts';
import { ReadOnly } from './read-only.ts';
import type { Storage } from './storage.ts';
import type { TrackerConfig } from './tracker.ts';
import { ProgressTracker, confStateOf } from './tracker.ts';
import { jointCommittedIndex } from './quorum.ts';

export type StateRole = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export interface RaftConfig {
  id: NodeId;
  storage: Storage;
  /** Election jitter: timeouts are drawn uniformly from [electionTimeoutTicks, 2 * electionTimeoutTicks). */
  random: RandomSource;
  electionTimeoutTicks: number;
  // Invariant: heartbeatIntervalTicks < electionTimeoutTicks.
  heartbeatIntervalTicks: number;
  /** The last index the application applied before (re)starting; entries after it are handed out again. */
  appliedIndex: number;
  /** Upper bound on the entries of one append message (at least one entry is always sent). */
  maxSizePerMsgBytes: number;
  /** Flow control: at most this many append messages in flight to one follower. */
  maxInflightMessages: number;
  /** Flow control: at most this many entry bytes in flight to one follower (0: no limit). */
  maxInflightBytes: number;
  /** Upper bound on the committed entries of one Ready. */
  maxCommittedSizePerReadyBytes: number;
  /** Pre-vote (thesis 9.6): a partitioned node does not disrupt the cluster when it returns. */
  preVote: boolean;
  /** Check-quorum (thesis 6.2): a leader that has not heard from a quorum for an election timeout steps down. */
  checkQuorum: boolean;
  /**
   * Leader leases (thesis 6.4.1): the leader answers reads without a heartbeat round while a
   * quorum acknowledged one recently. Requires checkQuorum (followers then refuse votes while
   * they hear from a leader) and tick rates that agree across nodes up to leaseDriftMarginTicks.
   */
  leaseReads: boolean;
  /** Ticks the lease is shortened by, for tick-rate drift between nodes. */
  leaseDriftMarginTicks: number;
  /** Followers drop proposals instead of forwarding them to the leader. */
  disableProposalForwarding: boolean;
  /** Bound on read requests waiting for heartbeat confirmation. */
  maxPendingReads: number;
  /**
   * Backpressure: the leader refuses proposals while this many entries are uncommitted
   * (0: no limit), so a slow quorum makes clients wait rather than grow the log without bound.
   */
  maxUncommittedEntries: number;
  /**
   * When the commit index moves, a follower that has no new entries to receive learns it with
   * its next append or heartbeat instead of an empty append at once, unless it waits for a
   * proposal it forwarded. Saves two messages and a follower wake-up per write at low load; a
   * follower's applied index may then lag by up to a heartbeat interval.
   */
  deferCommitNotices: boolean;
}

export interface ReadState {
  /** The read may be served once the state machine has applied this index. */
  index: number;
  context: string;
}

export type StepOutcome = { ok: true } | { ok: false; reason: 'proposalDropped' | 'notLeader' | 'ignored' };

const OK: StepOutcome = { ok: true };
const DROPPED: StepOutcome = { ok: false, reason: 'proposalDropped' };

/** Message types that may be sent before this node's pending writes are durable. */
const SENDABLE_BEFORE_PERSIST: ReadonlySet<Message['type']> = new Set<Message['type']>([
  'append',
  'snapshot',
  'heartbeat',
  'timeoutNow',
  'readIndexResponse',
  'propose',
  'readIndex',
  'transferLeader',
]);

export class Raft {
  readonly id: NodeId;
  // Invariant: term and vote are persisted (via Ready) before any message in messagesAfterPersist is sent.
  term = 0;
  /** Who we voted for in `term` (paper Figure 2 votedFor). */
  vote: NodeId | null = null;
  role: StateRole = 'follower';
  /** The leader of `term` as far as we know. */
  lead: NodeId | null = null;
  /** Leadership transfer target while one is in progress (thesis 3.10). */
  leadTransferee: NodeId | null = null;
  // Invariant: only one configuration change may be pending (proposed but not applied) at a time:
  // a new one is refused while pendingConfIndex > log.applied (thesis 4.1).
  pendingConfIndex = 0;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  private readOnly: ReadOnly;
  /** Per follower, the last index of each proposal it forwarded and waits to see committed (ascending). */
  private readonly forwardedIndexes = new Map<NodeId, number[]>();
  readStates: ReadState[] = [];
  messages: Message[] = [];
  messagesAfterPersist: Message[] = [];

  /** Ticks since this node started (never reset): the clock of leader leases. */
  private tickCount = 0;
  /**
   * After a restart we may have promised a leader, just before crashing, not to vote for an
   * election timeout: keep refusing votes for that long, as if a leader were known (leases).
   */
  private leaseGuardAfterRestart: boolean;
  /** A TimeoutNow was sent in this term: another node may campaign at any time, so no lease. */
  private transferAttemptedThisTerm = false;
  /** The term whose own vote waits for its hard state to be persisted (0: none). */
  private selfVotePendingTerm = 0;
  private electionElapsedTicks = 0;
  private heartbeatElapsedTicks = 0;
  // Invariant: electionTimeoutTicks <= randomizedElectionTimeoutTicks < 2 * electionTimeoutTicks.
  private randomizedElectionTimeoutTicks = 0;
  private readonly config: RaftConfig;

  constructor(config: RaftConfig) {
    assert(config.heartbeatIntervalTicks > 0 && config.heartbeatIntervalTicks < config.electionTimeoutTicks, 'heartbeat interval must be in (0, election timeout)');
    assert(config.maxInflightMessages >= 1, 'maxInflightMessages must be >= 1');
    assert(!config.leaseReads || config.checkQuorum, 'leader leases need checkQuorum');
    assert(config.leaseDriftMarginTicks >= 0 && config.leaseDriftMarginTicks < config.electionTimeoutTicks - 1, 'lease drift margin must leave a lease');
    this.config = config;
    this.id = config.id;
    this.leaseGuardAfterRestart = config.checkQuorum;
    this.log = new RaftLog(config.storage, config.maxCommittedSizePerReadyBytes);
    this.tracker = new ProgressTracker(config.maxInflightMessages, config.maxInflightBytes);
    this.readOnly = new ReadOnly(config.maxPendingReads);
    const { hardState, confState } = config.storage.initialState();
    this.tracker.applyConfig(configFromConfState(confState), this.log.lastIndex());
    if (hardState.term !== 0 || hardState.vote !== null || hardState.commit !== 0) this.loadState(hardState);
    if (config.appliedIndex > 0) {
      assert(config.appliedIndex <= this.log.committed, `applied ${config.appliedIndex} > committed ${this.log.committed}`);
      this.log.appliedTo(config.appliedIndex);
    }
    this.becomeFollower(this.term, null);
  }

  private loadState(hs: HardState): void {
    assert(hs.commit >= this.log.committed && hs.commit <= this.log.lastIndex(), `hard state commit ${hs.commit} outside [${this.log.committed}, ${this.log.lastIndex()}]`);
    this.log.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /**
   * May this node campaign? Voters may. So may a non-voter (learner or removed) of a non-empty
   * configuration, though always through a pre-vote and never counting itself: if it was the
   * leader that committed its own removal or demotion and crashed before the others learned of
   * the commit, its log may be the only one up to date enough for the remaining voters of a
   * joint configuration, and without it they could never elect anyone. Thesis 4.2.2: a leader
   * may manage a cluster it is not part of. The pre-vote keeps stale learners from disrupting.
   */
  promotable(): boolean {
    if (this.log.unstable.snapshot !== null) return false;
    return this.tracker.voterIds().size > 0;
  }

  private isVoter(): boolean {
    return this.tracker.isVoter(this.id);
  }

  // ---- sending ----

  private send(m: Message): void {
    assert(m.from === this.id, 'messages are sent from this node');
    if (m.type === 'vote' || m.type === 'preVote' || m.type === 'voteResponse' || m.type === 'preVoteResponse') {
      assert(m.term !== 0, `${m.type} must carry a term`);
    } else if (m.type === 'propose' || m.type === 'readIndex' || m.type === 'transferLeader') {
      // Forwarded requests carry no term: the leader treats them like local messages.
    } else {
      m.term = this.term;
    }
    if (SENDABLE_BEFORE_PERSIST.has(m.type)) this.messages.push(m);
    else this.messagesAfterPersist.push(m);
  }

  /** Sends an append (or a snapshot) to `to` if flow control allows; true if something was sent. */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.tracker.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const slice = this.log.entriesFrom(pr.next, this.config.maxSizePerMsgBytes);
    if (prevTerm === null || !slice.ok) return this.maybeSendSnapshot(to, pr);
    const entries = slice.entries;
    if (entries.length === 0 && !sendIfEmpty) return false;
    let sizeBytes = 0;
    for (const e of entries) sizeBytes += entrySizeBytes(e);
    this.send({ type: 'append', from: this.id, to, term: this.term, index: prevIndex, logTerm: prevTerm, entries, commit: this.log.committed });
    pr.sentEntries(prevIndex + entries.length, entries.length, sizeBytes);
    return true;
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    // A follower we have not heard from recently may be down: do not start a large transfer.
    if (!pr.recentActive) return false;
    const snapshot = this.log.snapshot();
    if (snapshot === null || snapshot.metadata.index === 0) return false;
    this.send({ type: 'snapshot', from: this.id, to, term: this.term, snapshot });
    pr.becomeSnapshot(snapshot.metadata.index);
    return true;
  }

  private bcastAppend(): void {
    for (const id of this.tracker.memberIds()) if (id !== this.id) this.sendAppend(id);
  }

  /** The commit index moved past `committedBefore`: tells the followers (see RaftConfig.deferCommitNotices). */
  private bcastCommit(committedBefore: number): void {
    // A configuration change (or a new leader's first entries, which may hold one) is told at
    // once: a member it removes hears nothing more from this leader once it is applied here.
    const confChangeCommitted = this.pendingConfIndex > committedBefore && this.pendingConfIndex <= this.log.committed;
    if (!this.config.deferCommitNotices || confChangeCommitted) return this.bcastAppend();
    for (const id of this.tracker.memberIds()) {
      if (id === this.id) continue;
      const indexes = this.forwardedIndexes.get(id);
      const waiting = indexes !== undefined && indexes[0] <= this.log.committed;
      if (!this.maybeSendAppend(id, waiting) || !indexes) continue;
      // Whatever was sent carries the commit index: the follower's committed proposals are told.
      while (indexes.length > 0 && indexes[0] <= this.log.committed) indexes.shift();
      if (indexes.length === 0) this.forwardedIndexes.delete(id);
    }
  }

  private bcastHeartbeat(context: string | null): void {
    for (const id of this.tracker.memberIds()) {
      if (id === this.id) continue;
      const pr = this.tracker.progress.get(id)!;
      // Never tell a follower to commit past what it is known to hold.
      const commit = Math.min(pr.match, this.log.committed);
      this.send({ type: 'heartbeat', from: this.id, to: id, term: this.term, commit, context, leaseTick: this.tickCount });
    }
  }

  // ---- role changes ----

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = null;
      this.transferAttemptedThisTerm = false;
    }
    this.lead = null;
    this.electionElapsedTicks = 0;
    this.heartbeatElapsedTicks = 0;
    this.randomizedElectionTimeoutTicks = this.config.electionTimeoutTicks + this.config.random.nextInt(this.config.electionTimeoutTicks);
    this.leadTransferee = null;
    this.tracker.resetVotes();
    const lastIndex = this.log.lastIndex();
    for (const id of [...this.tracker.progress.keys()]) {
      const old = this.tracker.progress.get(id)!;
      const pr = new Progress(lastIndex + 1, this.config.maxInflightMessages, this.config.maxInflightBytes, old.isLearner);
      if (id === this.id) pr.match = this.log.persistedLastIndex();
      this.tracker.progress.set(id, pr);
    }
    this.pendingConfIndex = 0;
    this.readOnly = new ReadOnly(this.config.maxPendingReads);
    this.forwardedIndexes.clear();
  }

  becomeFollower(term: number, lead: NodeId | null): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become a pre-candidate');
    // Pre-vote changes neither term nor vote (thesis 9.6).
    this.tracker.resetVotes();
    this.lead = null;
    this.role = 'preCandidate';
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become a candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', `only a candidate becomes leader (was ${this.role})`);
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.tracker.progress.get(this.id);
    if (self) self.becomeReplicate();
    // Conservatively treat every uncommitted entry as a possible configuration change.
    this.pendingConfIndex = this.log.lastIndex();
    // A no-op entry of the new term lets the leader commit entries of earlier terms (paper 5.4.2, 8).
    this.appendEntries([{ term: 0, index: 0, type: 'normal', data: new Uint8Array() }]);
  }

  /** Appends proposals to the leader's log. Its own progress advances only once they are persisted. */
  private appendEntries(entries: Entry[]): void {
    let index = this.log.lastIndex();
    this.log.append(entries.map((e) => ({ term: this.term, index: ++index, type: e.type, data: e.data })));
  }

  /** Called (via advance) when the caller has persisted a Ready; `hardState` is now durable. */
  onPersisted(hardState: HardState): void {
    if (this.role === 'candidate' && this.selfVotePendingTerm === this.term && hardState.term === this.term && hardState.vote === this.id) {
      this.selfVotePendingTerm = 0;
      if (this.poll(this.id, true) === 'won') {
        this.becomeLeader();
        this.bcastAppend();
      }
      return;
    }
    if (this.role !== 'leader') return;
    const self = this.tracker.progress.get(this.id);
    if (!self) return;
    const committedBefore = this.log.committed;
    if (self.maybeUpdate(this.log.persistedLastIndex()) && this.maybeCommit()) this.bcastCommit(committedBefore);
  }

  /** Paper 5.4.2: commit the largest index replicated on a quorum, but only if it is of this term. */
  private maybeCommit(): boolean {
    return this.log.maybeCommit(this.tracker.committed(), this.term);
  }

  // ---- ticks ----

  tick(): void {
    this.tickCount++;
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  /**
   * A side channel says the leader is gone (its process died: the connection to it closed).
   * Forget it, so this node grants pre-votes at once (etcd's ForgetLeader), and bring the election
   * timer forward by one election timeout, so the wait left is random within [0, election
   * timeout) instead of a full timeout after the last heartbeat. Only timing changes: a leader
   * that is in fact alive keeps leading, since pre-vote needs a majority that lost it too, and
   * its next message makes it this node's leader again.
   */
  leaderLost(): void {
    if (this.role !== 'follower' || this.lead === null) return;
    this.lead = null;
    this.electionElapsedTicks = Math.max(this.electionElapsedTicks, this.config.electionTimeoutTicks);
    this.leaseGuardAfterRestart = false;
  }

  private tickElection(): void {
    this.electionElapsedTicks++;
    if (this.electionElapsedTicks >= this.config.electionTimeoutTicks) this.leaseGuardAfterRestart = false;
    if (this.promotable() && this.electionElapsedTicks >= this.randomizedElectionTimeoutTicks) {
      this.electionElapsedTicks = 0;
      this.step({ type: 'localHup', from: this.id, to: this.id, term: 0, transfer: false });
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsedTicks++;
    this.electionElapsedTicks++;
    if (this.electionElapsedTicks >= this.config.electionTimeoutTicks) {
      this.electionElapsedTicks = 0;
      if (this.config.checkQuorum) this.step({ type: 'localCheckQuorum', from: this.id, to: this.id, term: 0 });
      // A transfer that did not finish within an election timeout is abandoned (thesis 3.10).
      if (this.role === 'leader' && this.leadTransferee !== null) this.leadTransferee = null;
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsedTicks >= this.config.heartbeatIntervalTicks) {
      this.heartbeatElapsedTicks = 0;
      this.step({ type: 'localBeat', from: this.id, to: this.id, term: 0 });
    }
  }

  // ---- elections ----

  private hasUnappliedConfChanges(): boolean {
    if (this.log.applied >= this.log.committed) return false;
    const slice = this.log.slice(Math.max(this.log.applied + 1, this.log.firstIndex()), this.log.committed + 1, Number.MAX_SAFE_INTEGER);
    if (!slice.ok) return false;
    return slice.entries.some((e) => e.type === 'confChange');
  }

  private hup(transfer: boolean): void {
    if (this.role === 'leader') return;
    if (!this.promotable()) return;
    // A configuration change that is committed but not applied may change who may vote.
    if (this.hasUnappliedConfChanges()) return;
    if (!this.isVoter() || (this.config.preVote && !transfer)) this.campaign('preVote', false);
    else this.campaign('vote', transfer);
  }

  private campaign(kind: 'preVote' | 'vote', transfer: boolean): void {
    let term: number;
    if (kind === 'preVote') {
      this.becomePreCandidate();
      term = this.term + 1; // the term we would campaign in, without moving to it
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    if (kind === 'preVote') {
      // A pre-vote changes no durable state, so our own counts at once.
      if (this.poll(this.id, true) === 'won') {
        this.campaign('vote', false);
        return;
      }
    } else {
      // Our own vote counts only once (term, vote) is durable (onPersisted): otherwise a single
      // voter could win, crash before persisting, and vote for someone else in the same term.
      this.selfVotePendingTerm = this.term;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const id of [...this.tracker.voterIds()].sort()) {
      if (id === this.id) continue;
      this.send({ type: kind, from: this.id, to: id, term, index: lastIndex, logTerm: lastTerm, transfer });
    }
  }

  private poll(id: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    this.tracker.recordVote(id, granted);
    return this.tracker.tallyVotes().result;
  }

  // ---- step ----

  step(m: Message): StepOutcome {
    // Term rules first (paper Figure 2, "Rules for Servers"), then dispatch by role.
    if (m.term === 0) {
      // Local message, or a forwarded request: no term rules.
    } else if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        // Thesis 4.2.3 / 6.2: while we hear from a leader, ignore candidates (unless a transfer).
        const inLease = this.config.checkQuorum && (this.lead !== null || this.leaseGuardAfterRestart) && this.electionElapsedTicks < this.config.electionTimeoutTicks;
        if (!m.transfer && inLease) return { ok: false, reason: 'ignored' };
      }
      if (m.type === 'preVote') {
        // A pre-vote never changes our term.
      } else if (m.type === 'preVoteResponse' && !m.reject) {
        // We move to the new term only when the pre-vote succeeds.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if ((this.config.checkQuorum || this.config.preVote || !this.isVoter()) && (m.type === 'heartbeat' || m.type === 'append')) {
        // A stale leader learns our term here. Needed when pre-vote or check-quorum kept it from
        // seeing our term, and when we are not a voter: we never campaign (except by pre-vote,
        // which moves no terms), so nothing else would ever tell it.
        this.send({ type: 'appendResponse', from: this.id, to: m.from, term: this.term, index: 0, reject: false, hintIndex: 0, hintLogTerm: 0 });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResponse', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return { ok: false, reason: 'ignored' };
    }

    switch (m.type) {
      case 'localHup':
        this.hup(m.transfer);
        return OK;
      case 'vote':
      case 'preVote':
        this.handleVoteRequest(m);
        return OK;
      default:
        switch (this.role) {
          case 'leader':
            return this.stepLeader(m);
          case 'candidate':
          case 'preCandidate':
            return this.stepCandidate(m);
          case 'follower':
            return this.stepFollower(m);
        }
    }
  }

  private handleVoteRequest(m: Vote): void {
    // We can vote for m.from if we already did in this term, or have not voted and know no
    // leader, or it is a pre-vote for a later term.
    const canVote = this.vote === m.from || (this.vote === null && this.lead === null) || (m.type === 'preVote' && m.term > this.term);
    const responseType = m.type === 'vote' ? 'voteResponse' : 'preVoteResponse';
    // Election restriction (paper 5.4.1): only a candidate whose log is at least as up-to-date.
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // A granted pre-vote answers in the candidate's future term, so it is not taken as stale.
      this.send({ type: responseType, from: this.id, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsedTicks = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: responseType, from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  private stepLeader(m: Message): StepOutcome {
    switch (m.type) {
      case 'localBeat':
        this.bcastHeartbeat(this.readOnly.lastPendingContext());
        return OK;
      case 'localCheckQuorum':
        if (!this.tracker.quorumActive(this.id)) {
          this.becomeFollower(this.term, null);
          return OK;
        }
        for (const [id, pr] of this.tracker.progress) if (id !== this.id) pr.recentActive = false;
        return OK;
      case 'propose':
        return this.leaderPropose(m.entries, m.from);
      case 'readIndex':
        this.leaderReadIndex(m.from, m.context);
        return OK;
      case 'transferLeader':
        this.leaderTransfer(m.transferee);
        return OK;
      default:
        break;
    }
    const pr = this.tracker.progress.get(m.from);
    if (!pr) return { ok: false, reason: 'ignored' };
    switch (m.type) {
      case 'appendResponse':
        this.leaderAppendResponse(m, pr);
        return OK;
      case 'heartbeatResponse': {
        pr.recentActive = true;
        pr.probeSent = false;
        if (m.leaseTick > pr.leaseAckedTick) pr.leaseAckedTick = m.leaseTick;
        // The follower is reachable but the window stayed full: an append was probably lost.
        // Free one slot so replication resumes (a gap is then rejected and probed).
        if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
        if (pr.match < this.log.lastIndex() || pr.state === 'probe') this.sendAppend(m.from);
        if (m.context === null) return OK;
        const acks = this.readOnly.recvAck(m.from, m.context);
        if (acks === null) return OK;
        const votes = new Map<NodeId, boolean>();
        votes.set(this.id, true);
        for (const id of acks) votes.set(id, true);
        if (this.tallyAcks(votes)) {
          for (const rs of this.readOnly.advance(m.context)) this.respondToRead(rs.from, rs.context, rs.index);
        }
        return OK;
      }
      case 'localSnapshotStatus':
        if (pr.state !== 'snapshot') return OK;
        if (!m.rejected) {
          pr.becomeProbe();
          // Wait for the follower's answer to the snapshot before probing again.
          pr.probeSent = true;
        } else {
          pr.pendingSnapshot = 0;
          pr.becomeProbe();
        }
        return OK;
      case 'localUnreachable':
        if (pr.state === 'replicate') pr.becomeProbe();
        return OK;
      case 'voteResponse':
      case 'preVoteResponse':
      case 'heartbeat':
      case 'append':
      case 'snapshot':
      case 'timeoutNow':
      case 'readIndexResponse':
      case 'localHup':
      case 'vote':
      case 'preVote':
        return { ok: false, reason: 'ignored' };
      default:
        return unreachable(m, 'message');
    }
  }

  private tallyAcks(votes: Map<NodeId, boolean>): boolean {
    const saved = this.tracker.votes;
    this.tracker.votes = votes;
    const won = this.tracker.tallyVotes().result === 'won';
    this.tracker.votes = saved;
    return won;
  }

  private leaderPropose(entries: Entry[], from: NodeId): StepOutcome {
    assert(entries.length > 0, 'empty proposal');
    if (!this.tracker.progress.has(this.id)) return DROPPED; // removed from the configuration
    if (this.leadTransferee !== null) return DROPPED; // thesis 3.10: no proposals during a transfer
    const uncommitted = this.log.lastIndex() - this.log.committed;
    if (this.config.maxUncommittedEntries > 0 && uncommitted > 0 && uncommitted + entries.length > this.config.maxUncommittedEntries) return DROPPED;
    const accepted: Entry[] = [];
    for (const e of entries) {
      if (e.type === 'confChange') {
        const cc = decodeConfChange(e.data);
        const alreadyPending = this.pendingConfIndex > this.log.applied;
        const valid = applyConfChangeTo(this.tracker.config, cc).ok;
        if (alreadyPending || !valid) {
          // Keep the entry's slot but make it a no-op, as etcd does.
          accepted.push({ term: 0, index: 0, type: 'normal', data: new Uint8Array() });
          continue;
        }
        this.pendingConfIndex = this.log.lastIndex() + accepted.length + 1;
      }
      accepted.push(e);
    }
    this.appendEntries(accepted);
    if (from !== this.id && this.config.deferCommitNotices) {
      const indexes = this.forwardedIndexes.get(from) ?? [];
      indexes.push(this.log.lastIndex());
      this.forwardedIndexes.set(from, indexes);
    }
    this.bcastAppend();
    return OK;
  }

  private leaderReadIndex(from: NodeId, context: string): void {
    // If this node alone is a quorum, nobody else can be leader: answer at once. (Not merely
    // "one voter": a leader that demoted itself may lead a one-voter config it is not part of.)
    if (this.tallyAcks(new Map([[this.id, true]]))) {
      this.respondToRead(from, context, this.log.committed);
      return;
    }
    // Thesis 6.4 step 1: the leader must have committed an entry of its own term, else its
    // commit index may be behind the cluster's. Refused; the client retries.
    if (this.log.term(this.log.committed) !== this.term) return;
    if (this.leaseValid()) {
      this.respondToRead(from, context, this.log.committed);
      return;
    }
    if (!this.readOnly.add(context, this.log.committed, from)) return;
    // Step 2: a heartbeat round acknowledged by a quorum confirms we are still leader.
    this.bcastHeartbeat(context);
  }

  private respondToRead(to: NodeId, context: string, index: number): void {
    if (to === this.id) this.readStates.push({ index, context });
    else this.send({ type: 'readIndexResponse', from: this.id, to, term: this.term, index, context });
  }

  private leaderTransfer(transferee: NodeId): void {
    const pr = this.tracker.progress.get(transferee);
    if (!pr || pr.isLearner) return;
    if (this.leadTransferee === transferee) return;
    if (transferee === this.id) return;
    this.leadTransferee = transferee;
    this.electionElapsedTicks = 0;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(transferee);
    else this.sendAppend(transferee);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.transferAttemptedThisTerm = true;
    this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
  }

  /**
   * Thesis 6.4.1: a quorum acknowledged a heartbeat sent at tick T, and none of them will vote
   * for another candidate for an election timeout after receiving it, so no other leader can
   * exist before T + electionTimeout - 1 (a follower's tick phase may lag ours by one tick).
   */
  private leaseValid(): boolean {
    if (!this.config.leaseReads || this.transferAttemptedThisTerm || this.leadTransferee !== null) return false;
    const acked = (id: NodeId): number => (id === this.id ? this.tickCount : (this.tracker.progress.get(id)?.leaseAckedTick ?? -1));
    const start = jointCommittedIndex(this.tracker.config.voters, acked);
    if (start < 0) return false;
    return this.tickCount < start + this.config.electionTimeoutTicks - 1 - this.config.leaseDriftMarginTicks;
  }

  private leaderAppendResponse(m: AppendResponse, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      let probeHint = m.hintIndex;
      if (m.hintLogTerm > 0) probeHint = this.log.findConflictByTerm(m.hintIndex, m.hintLogTerm).index;
      if (pr.maybeDecrTo(m.index, probeHint)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    const updated = pr.maybeUpdate(m.index);
    // A probe answered at exactly our match still tells us where the logs agree.
    if (!updated && !(pr.match === m.index && pr.state === 'probe')) return;
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);

    const committedBefore = this.log.committed;
    if (this.maybeCommit()) this.bcastCommit(committedBefore);
    else if (wasPaused) this.sendAppend(m.from);
    // Pipelining: keep the window full while there is more to send (bounded by the window).
    for (let i = 0; i < this.config.maxInflightMessages && this.maybeSendAppend(m.from, false); i++);
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
  }

  private stepCandidate(m: Message): StepOutcome {
    switch (m.type) {
      case 'propose':
      case 'readIndex':
      case 'transferLeader':
        return DROPPED;
      case 'append':
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        return OK;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m.from, m.commit, m.context, m.leaseTick);
        return OK;
      case 'snapshot':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m.from, m.snapshot);
        return OK;
      case 'voteResponse':
      case 'preVoteResponse': {
        const expected = this.role === 'preCandidate' ? 'preVoteResponse' : 'voteResponse';
        if (m.type !== expected) return { ok: false, reason: 'ignored' };
        const result = this.poll(m.from, !m.reject);
        if (result === 'won') {
          if (this.role === 'preCandidate') this.campaign('vote', false);
          else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (result === 'lost') {
          this.becomeFollower(this.term, null);
        }
        return OK;
      }
      default:
        return { ok: false, reason: 'ignored' };
    }
  }

  private stepFollower(m: Message): StepOutcome {
    switch (m.type) {
      case 'propose':
        if (this.lead === null || this.config.disableProposalForwarding) return DROPPED;
        this.send({ type: 'propose', from: this.id, to: this.lead, term: 0, entries: m.entries });
        return OK;
      case 'append':
        this.electionElapsedTicks = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return OK;
      case 'heartbeat':
        this.electionElapsedTicks = 0;
        this.lead = m.from;
        this.handleHeartbeat(m.from, m.commit, m.context, m.leaseTick);
        return OK;
      case 'snapshot':
        this.electionElapsedTicks = 0;
        this.lead = m.from;
        this.handleSnapshot(m.from, m.snapshot);
        return OK;
      case 'transferLeader':
        if (this.lead === null) return DROPPED;
        this.send({ type: 'transferLeader', from: this.id, to: this.lead, term: 0, transferee: m.transferee });
        return OK;
      case 'timeoutNow':
        // Thesis 3.10: the leader hands over; campaign at once, skipping pre-vote. A non-voter
        // ignores it (it may have been demoted while the message was in flight).
        if (!this.isVoter()) return { ok: false, reason: 'ignored' };
        this.hup(true);
        return OK;
      case 'readIndex':
        if (this.lead === null) return DROPPED;
        this.send({ type: 'readIndex', from: this.id, to: this.lead, term: 0, context: m.context });
        return OK;
      case 'readIndexResponse':
        if (m.from !== this.lead) return { ok: false, reason: 'ignored' };
        this.readStates.push({ index: m.index, context: m.context });
        return OK;
      default:
        return { ok: false, reason: 'ignored' };
    }
  }

  // ---- follower handlers ----

  private handleAppend(m: Extract<Message, { type: 'append' }>): void {
    if (m.index < this.log.committed) {
      this.send({ type: 'appendResponse', from: this.id, to: m.from, term: this.term, index: this.log.committed, reject: false, hintIndex: 0, hintLogTerm: 0 });
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== null) {
      this.send({ type: 'appendResponse', from: this.id, to: m.from, term: this.term, index: lastNew, reject: false, hintIndex: 0, hintLogTerm: 0 });
      return;
    }
    // Reject with a hint so the leader can skip a whole term of mismatched entries (thesis 3.5).
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send({ type: 'appendResponse', from: this.id, to: m.from, term: this.term, index: m.index, reject: true, hintIndex: hint.index, hintLogTerm: hint.term });
  }

  private handleHeartbeat(from: NodeId, commit: number, context: string | null, leaseTick: number): void {
    this.log.commitTo(Math.min(commit, this.log.lastIndex()));
    this.send({ type: 'heartbeatResponse', from: this.id, to: from, term: this.term, context, leaseTick });
  }

  private handleSnapshot(from: NodeId, snapshot: Snapshot): void {
    const index = this.restore(snapshot) ? this.log.lastIndex() : this.log.committed;
    this.send({ type: 'appendResponse', from: this.id, to: from, term: this.term, index, reject: false, hintIndex: 0, hintLogTerm: 0 });
  }

  /** Installs a snapshot from the leader; false if it brings nothing new. */
  private restore(snapshot: Snapshot): boolean {
    const { index, term } = snapshot.metadata;
    if (index <= this.log.committed) return false;
    if (this.log.matchTerm(index, term)) {
      // We already hold the snapshot's last entry: just fast-forward the commit index.
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(snapshot);
    this.tracker.applyConfig(configFromConfState(snapshot.metadata.confState), this.log.lastIndex());
    this.pendingConfIndex = 0;
    return true;
  }

  // ---- applying ----

  /** The caller applied entries up to `index` (via advance). */
  appliedTo(index: number): void {
    this.log.appliedTo(index);
    // Leave a joint configuration automatically once it is applied (thesis 4.3).
    if (this.role === 'leader' && this.tracker.config.autoLeave && this.log.applied >= this.pendingConfIndex) {
      const data = encodeConfChange({ transition: 'auto', changes: [] });
      this.step({ type: 'propose', from: this.id, to: this.id, term: 0, entries: [{ term: 0, index: 0, type: 'confChange', data }] });
    }
  }

  /** The caller applied a snapshot (via advance). */
  appliedSnapshot(index: number): void {
    if (index > this.log.applied) this.log.applied = index;
  }

  /** Applies a committed configuration change; returns the configuration now in force. */
  applyConfChange(cc: ConfChange): ConfState {
    const result = applyConfChangeTo(this.tracker.config, cc);
    assert(result.ok, `a committed configuration change must be valid: ${result.ok ? '' : result.reason}`);
    return this.switchToConfig(result.config);
  }

  private switchToConfig(config: TrackerConfig): ConfState {
    this.tracker.applyConfig(config, this.log.lastIndex());
    const cs = confStateOf(config);
    // A leader that removed or demoted itself keeps leading (as etcd does by default): it no
    // longer counts towards quorums and refuses proposals, but it keeps replicating so the others
    // learn that the change committed. Stepping down at once could leave the remaining voters of
    // a joint configuration unable to elect anyone (they may still need its vote, and its log
    // may be the longest). The caller shuts it down once the others have applied the change.
    if (this.role !== 'leader' || cs.voters.length === 0) return cs;
    // The quorum changed: something may now be committed, and new members need appends.
    if (this.maybeCommit()) this.bcastAppend();
    else for (const id of this.tracker.memberIds()) if (id !== this.id) this.maybeSendAppend(id, false);
    if (this.leadTransferee !== null && !this.tracker.isVoter(this.leadTransferee)) this.leadTransferee = null;
    return cs;
  }

  /** Election timeout bookkeeping, exposed for status only. */
  electionElapsed(): number {
    return this.electionElapsedTicks;
  }
}
