/** A read-only picture of a node for metrics and dashboards (etcd status.go). */
import type { ConfState, NodeId } from './messages.ts';
import type { ProgressState } from './progress.ts';
import type { Raft, StateRole } from './raft.ts';
import { confStateOf } from './tracker.ts';

export interface PeerStatus {
  match: number;
  next: number;
  state: ProgressState;
  recentActive: boolean;
  isLearner: boolean;
  inflightMessages: number;
}

export interface Status {
  id: NodeId;
  role: StateRole;
  term: number;
  vote: NodeId | null;
  leader: NodeId | null;
  commit: number;
  applied: number;
  lastIndex: number;
  leadTransferee: NodeId | null;
  config: ConfState;
  /** Per-member replication state; only filled in on the leader. */
  progress: Record<NodeId, PeerStatus>;
}

export function statusOf(raft: Raft): Status {
  const progress: Record<NodeId, PeerStatus> = {};
  if (raft.role === 'leader') {
    for (const [id, pr] of raft.tracker.progress) {
      progress[id] = { match: pr.match, next: pr.next, state: pr.state, recentActive: pr.recentActive, isLearner: pr.isLearner, inflightMessages: pr.inflights.count() };
    }
  }
  return {
    id: raft.id,
    role: raft.role,
    term: raft.term,
    vote: raft.vote,
    leader: raft.lead,
    commit: raft.log.committed,
    applied: raft.log.applied,
    lastIndex: raft.log.lastIndex(),
    leadTransferee: raft.leadTransferee,
    config: confStateOf(raft.tracker.config),
    progress,
  };
}
