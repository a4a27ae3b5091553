/**
 * The caller's handle on a Raft node (etcd rawnode.go). The caller's loop, in full:
 *
 *   on a timer:        node.tick()
 *   on a message:      node.step(message)
 *   on a client call:  node.propose(data) / node.readIndex(context) / ...
 *   then, while node.hasReady():
 *     const rd = node.ready();
 *     send rd.messages                       (safe before the writes below are durable)
 *     persist rd.snapshot, rd.entries, rd.hardState (durably: fsync)
 *     send rd.messagesAfterPersist           (votes and acks promise durable state)
 *     apply rd.snapshot then rd.committedEntries to the state machine
 *       (confChange entries: call node.applyConfChange and persist the returned ConfState)
 *     serve rd.readStates once applied >= readState.index
 *     node.advance()
 *
 * No ready() may be taken before the previous one was advanced.
 */
import { assert } from '../util/assert.ts';
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, Snapshot } from './messages.ts';
import { encodeConfChange } from './messages.ts';
import type { RaftConfig, ReadState, StateRole, StepOutcome } from './raft.ts';
import { Raft } from './raft.ts';
import type { Status } from './status.ts';
import { statusOf } from './status.ts';

export interface SoftState {
  leader: NodeId | null;
  role: StateRole;
}

export interface Ready {
  /** Changed volatile state, for information (not persisted). */
  softState: SoftState | null;
  /** Changed hard state to persist, or null. */
  hardState: HardState | null;
  /** A snapshot to persist and apply, or null. */
  snapshot: Snapshot | null;
  /** Entries to append to stable storage (they may replace a conflicting suffix). */
  entries: Entry[];
  /** Entries to apply, in order; all already durable. */
  committedEntries: Entry[];
  /** Messages that may be sent before the writes above are durable. */
  messages: Message[];
  /** Messages to send only after the writes above are durable. */
  messagesAfterPersist: Message[];
  readStates: ReadState[];
}

export class RawNode {
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  /** The Ready handed out and not yet advanced. */
  private inProgress: Ready | null = null;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.softState();
    this.prevHardState = this.raft.hardState();
  }

  private softState(): SoftState {
    return { leader: this.raft.lead, role: this.raft.role };
  }

  tick(): void {
    this.raft.tick();
  }

  /** Start an election now (if this node may). */
  campaign(): StepOutcome {
    return this.raft.step({ type: 'localHup', from: this.raft.id, to: this.raft.id, term: 0, transfer: false });
  }

  propose(data: Uint8Array): StepOutcome {
    return this.raft.step({ type: 'propose', from: this.raft.id, to: this.raft.id, term: 0, entries: [{ term: 0, index: 0, type: 'normal', data }] });
  }

  /** Propose several entries at once (one append on the leader). */
  proposeBatch(datas: Uint8Array[]): StepOutcome {
    assert(datas.length > 0, 'empty batch');
    const entries: Entry[] = datas.map((data) => ({ term: 0, index: 0, type: 'normal', data }));
    return this.raft.step({ type: 'propose', from: this.raft.id, to: this.raft.id, term: 0, entries });
  }

  proposeConfChange(cc: ConfChange): StepOutcome {
    const data = encodeConfChange(cc);
    return this.raft.step({ type: 'propose', from: this.raft.id, to: this.raft.id, term: 0, entries: [{ term: 0, index: 0, type: 'confChange', data }] });
  }

  /** Apply a committed configuration change entry; persist the returned ConfState with the apply. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** Deliver a message from a peer. Local message types are refused here. */
  step(m: Message): StepOutcome {
    assert(!m.type.startsWith('local'), `local message ${m.type} cannot be stepped from outside`);
    if (m.to !== this.raft.id) return { ok: false, reason: 'ignored' };
    // Unknown senders' responses are dropped by the role handlers; everything else is processed.
    return this.raft.step(m);
  }

  /** Ask for a linearizable read; a ReadState with this context appears in a later Ready. */
  readIndex(context: string): StepOutcome {
    return this.raft.step({ type: 'readIndex', from: this.raft.id, to: this.raft.id, term: 0, context });
  }

  transferLeader(transferee: NodeId): StepOutcome {
    return this.raft.step({ type: 'transferLeader', from: this.raft.id, to: this.raft.id, term: 0, transferee });
  }

  reportUnreachable(id: NodeId): void {
    this.raft.step({ type: 'localUnreachable', from: id, to: this.raft.id, term: 0 });
  }

  /** The connection to the leader closed: see Raft.leaderLost. */
  leaderLost(): void {
    this.raft.leaderLost();
  }

  reportSnapshot(id: NodeId, rejected: boolean): void {
    this.raft.step({ type: 'localSnapshotStatus', from: id, to: this.raft.id, term: 0, rejected });
  }

  hasReady(): boolean {
    const r = this.raft;
    const soft = this.softState();
    if (soft.leader !== this.prevSoftState.leader || soft.role !== this.prevSoftState.role) return true;
    const hs = r.hardState();
    if (hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote || hs.commit !== this.prevHardState.commit) return true;
    if (r.log.unstable.snapshot !== null) return true;
    if (r.log.unstableEntries().length > 0) return true;
    if (r.messages.length > 0 || r.messagesAfterPersist.length > 0 || r.readStates.length > 0) return true;
    return r.log.hasNextCommittedEntries();
  }

  ready(): Ready {
    assert(this.inProgress === null, 'ready() called again before advance()');
    const r = this.raft;
    const soft = this.softState();
    const hs = r.hardState();
    const hardChanged = hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote || hs.commit !== this.prevHardState.commit;
    const softChanged = soft.leader !== this.prevSoftState.leader || soft.role !== this.prevSoftState.role;
    const rd: Ready = {
      softState: softChanged ? soft : null,
      hardState: hardChanged ? hs : null,
      snapshot: r.log.unstable.snapshot,
      entries: [...r.log.unstableEntries()],
      committedEntries: r.log.nextCommittedEntries(),
      messages: r.messages,
      messagesAfterPersist: r.messagesAfterPersist,
      readStates: r.readStates,
    };
    r.messages = [];
    r.messagesAfterPersist = [];
    r.readStates = [];
    if (softChanged) this.prevSoftState = soft;
    this.inProgress = rd;
    return rd;
  }

  /** The caller did everything the last Ready asked. */
  advance(): void {
    const rd = this.inProgress;
    assert(rd !== null, 'advance() without a Ready');
    this.inProgress = null;
    const r = this.raft;
    if (rd.hardState !== null) this.prevHardState = rd.hardState;
    if (rd.snapshot !== null) {
      r.log.stableSnapshotTo(rd.snapshot.metadata.index);
      r.appliedSnapshot(rd.snapshot.metadata.index);
    }
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1];
      r.log.stableTo(last.index, last.term);
    }
    r.onPersisted(this.prevHardState);
    if (rd.committedEntries.length > 0) r.appliedTo(rd.committedEntries[rd.committedEntries.length - 1].index);
  }

  status(): Status {
    return statusOf(this.raft);
  }
}
