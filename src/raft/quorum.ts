/**
 * Quorum arithmetic over majority configurations and joint configurations (thesis 4.3: during
 * joint consensus, decisions need a majority of both the old and the new voters).
 */
import type { NodeId } from './messages.ts';

export type VoteResult = 'won' | 'lost' | 'pending';

/**
 * The largest index acknowledged by a majority of `voters`, given each voter's acknowledged
 * index (missing = 0). An empty config commits everything (so a joint config with an empty half
 * reduces to the other half).
 */
export function majorityCommittedIndex(voters: ReadonlySet<NodeId>, acked: (id: NodeId) => number): number {
  if (voters.size === 0) return Number.MAX_SAFE_INTEGER;
  const indexes: number[] = [];
  for (const id of voters) indexes.push(acked(id));
  indexes.sort((a, b) => b - a);
  return indexes[Math.floor(voters.size / 2)];
}

export function majorityVoteResult(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const quorum = Math.floor(voters.size / 2) + 1;
  if (granted >= quorum) return 'won';
  if (granted + missing >= quorum) return 'pending';
  return 'lost';
}

/** A joint configuration: `incoming` and `outgoing` (empty outside joint consensus). */
export interface JointVoters {
  incoming: ReadonlySet<NodeId>;
  outgoing: ReadonlySet<NodeId>;
}

export function jointCommittedIndex(voters: JointVoters, acked: (id: NodeId) => number): number {
  return Math.min(majorityCommittedIndex(voters.incoming, acked), majorityCommittedIndex(voters.outgoing, acked));
}

export function jointVoteResult(voters: JointVoters, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const a = majorityVoteResult(voters.incoming, votes);
  const b = majorityVoteResult(voters.outgoing, votes);
  if (a === b) return a;
  if (a === 'lost' || b === 'lost') return 'lost';
  return 'pending';
}

export function isJoint(voters: JointVoters): boolean {
  return voters.outgoing.size > 0;
}

export function allVoters(voters: JointVoters): Set<NodeId> {
  return new Set([...voters.incoming, ...voters.outgoing]);
}
