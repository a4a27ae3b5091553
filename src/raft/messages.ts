/**
 * The data the Raft core exchanges with its caller and its peers: log entries, hard state,
 * snapshots, configurations and the message union. Messages whose `type` starts with `local`
 * never cross the network: they are how the caller (or the core itself) drives the state machine.
 */

/** Node ids are opaque strings (the cluster layer maps them to addresses). */
export type NodeId = string;

/** `normal` carries application data; `confChange` carries an encoded `ConfChange`. */
export type EntryType = 'normal' | 'confChange';

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/** What must be durable before any message that depends on it is sent (Raft paper, Figure 2). */
export interface HardState {
  term: number;
  /** The candidate voted for in `term`, or null. */
  vote: NodeId | null;
  commit: number;
}

/**
 * A cluster configuration. In joint consensus (thesis 4.3) both `voters` (incoming) and
 * `votersOutgoing` must agree; outside it `votersOutgoing` is empty.
 */
export interface ConfState {
  voters: NodeId[];
  votersOutgoing: NodeId[];
  learners: NodeId[];
  /** Voters of the outgoing config that become learners when the joint config is left. */
  learnersNext: NodeId[];
  /** Leave the joint config automatically once it is committed. */
  autoLeave: boolean;
}

export interface SnapshotMetadata {
  /** The last entry the snapshot includes, and its term. */
  index: number;
  term: number;
  confState: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array;
}

export type ConfChangeType = 'addVoter' | 'addLearner' | 'removeNode';

export interface ConfChangeSingle {
  type: ConfChangeType;
  nodeId: NodeId;
}

/**
 * A membership change. With one voter change it may apply in a single step; otherwise (or with
 * `transition` other than `auto`) it goes through a joint configuration. An empty `changes`
 * list leaves a joint configuration.
 * - `auto`: single step when safe, else joint that is left automatically.
 * - `jointImplicit`: always joint, left automatically.
 * - `jointExplicit`: always joint, left by proposing an empty ConfChange.
 */
export interface ConfChange {
  transition: 'auto' | 'jointImplicit' | 'jointExplicit';
  changes: ConfChangeSingle[];
  /** Opaque to the core; the application's data about the change (etcd's Context). */
  context?: string;
}

export function emptyConfState(): ConfState {
  return { voters: [], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };
}

export function isEmptySnapshot(snapshot: Snapshot | null): boolean {
  return snapshot === null || snapshot.metadata.index === 0;
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(cc));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const cc = JSON.parse(new TextDecoder().decode(data)) as ConfChange;
  const decoded: ConfChange = { transition: cc.transition, changes: cc.changes.map((c) => ({ type: c.type, nodeId: c.nodeId })) };
  if (typeof cc.context === 'string') decoded.context = cc.context;
  return decoded;
}

/** Fields every message carries. `term` is 0 for local messages and for proposals. */
interface Envelope {
  from: NodeId;
  to: NodeId;
  term: number;
}

/** Local: the election timer fired, or the caller asks to campaign (thesis 3.4). */
export interface LocalHup extends Envelope {
  type: 'localHup';
  /** Set for a campaign started by a leadership transfer (TimeoutNow): skips pre-vote and leases. */
  transfer: boolean;
}
/** Local: the leader's heartbeat timer fired. */
export interface LocalBeat extends Envelope {
  type: 'localBeat';
}
/** Local: the leader checks that a quorum was recently active (thesis 6.2). */
export interface LocalCheckQuorum extends Envelope {
  type: 'localCheckQuorum';
}
/** Local: the caller could not reach `from` (a send failed). */
export interface LocalUnreachable extends Envelope {
  type: 'localUnreachable';
}
/** Local: the caller reports whether sending a snapshot to `from` finished. */
export interface LocalSnapshotStatus extends Envelope {
  type: 'localSnapshotStatus';
  rejected: boolean;
}
/** A proposal: local from the caller, or forwarded by a follower to the leader. */
export interface Propose extends Envelope {
  type: 'propose';
  /** Entries with index and term 0; the leader assigns both. */
  entries: Entry[];
}
/** AppendEntries (paper 5.3). An empty `entries` is a probe. */
export interface Append extends Envelope {
  type: 'append';
  /** Index and term of the entry just before `entries`. */
  index: number;
  logTerm: number;
  entries: Entry[];
  commit: number;
}
export interface AppendResponse extends Envelope {
  type: 'appendResponse';
  /** Accepted: the last index now matching the leader. Rejected: the `index` that was rejected. */
  index: number;
  reject: boolean;
  /**
   * On reject, a hint for fast backtracking: the follower's largest index `hintIndex` <= the
   * rejected index whose term is <= `hintLogTerm` (etcd's findConflictByTerm).
   */
  hintIndex: number;
  hintLogTerm: number;
}
/** RequestVote (paper 5.2, 5.4.1) or a pre-vote (thesis 9.6). */
export interface Vote extends Envelope {
  type: 'vote' | 'preVote';
  /** The candidate's last log index and term. */
  index: number;
  logTerm: number;
  /** The campaign was started by a leadership transfer. */
  transfer: boolean;
}
export interface VoteResponse extends Envelope {
  type: 'voteResponse' | 'preVoteResponse';
  reject: boolean;
}
/** InstallSnapshot (paper 7), sent whole. */
export interface InstallSnapshot extends Envelope {
  type: 'snapshot';
  snapshot: Snapshot;
}
export interface Heartbeat extends Envelope {
  type: 'heartbeat';
  /** min(leader commit, follower match), so a follower never commits past its log. */
  commit: number;
  /** ReadIndex context being confirmed by this round, or null. */
  context: string | null;
  /** The leader's tick count when it sent this round, echoed back for leader leases. */
  leaseTick: number;
}
export interface HeartbeatResponse extends Envelope {
  type: 'heartbeatResponse';
  context: string | null;
  leaseTick: number;
}
/** Ask the leader to hand leadership to `from` (sent to the leader, or local on it). */
export interface TransferLeader extends Envelope {
  type: 'transferLeader';
  transferee: NodeId;
}
/** The leader tells the transferee to campaign at once (thesis 3.10). */
export interface TimeoutNow extends Envelope {
  type: 'timeoutNow';
}
/** A linearizable read request (thesis 6.4): local, or forwarded by a follower to the leader. */
export interface ReadIndex extends Envelope {
  type: 'readIndex';
  context: string;
}
export interface ReadIndexResponse extends Envelope {
  type: 'readIndexResponse';
  context: string;
  index: number;
}

export type Message =
  | LocalHup
  | LocalBeat
  | LocalCheckQuorum
  | LocalUnreachable
  | LocalSnapshotStatus
  | Propose
  | Append
  | AppendResponse
  | Vote
  | VoteResponse
  | InstallSnapshot
  | Heartbeat
  | HeartbeatResponse
  | TransferLeader
  | TimeoutNow
  | ReadIndex
  | ReadIndexResponse;

export type MessageType = Message['type'];

export function isLocalMessage(m: Message): boolean {
  return m.type.startsWith('local');
}

/** Responses to a message of another node (they never start a term change by themselves). */
export function isResponseMessage(m: Message): boolean {
  return (
    m.type === 'appendResponse' ||
    m.type === 'voteResponse' ||
    m.type === 'preVoteResponse' ||
    m.type === 'heartbeatResponse' ||
    m.type === 'readIndexResponse'
  );
}

export function entrySizeBytes(entry: Entry): number {
  return entry.data.byteLength + 24;
}

/** Entries from the start of `entries` whose total size is at most maxSizeBytes (at least one). */
export function limitSize(entries: Entry[], maxSizeBytes: number): Entry[] {
  if (entries.length === 0) return entries;
  let size = entrySizeBytes(entries[0]);
  let count = 1;
  for (; count < entries.length; count++) {
    size += entrySizeBytes(entries[count]);
    if (size > maxSizeBytes) break;
  }
  return count === entries.length ? entries : entries.slice(0, count);
}
