/**
 * The configuration (voters, joint halves, learners) and every member's Progress, owned by the
 * leader and rebuilt from the ConfState on every node (etcd tracker/tracker.go).
 */
import type { ConfState, NodeId } from './messages.ts';
import { Progress } from './progress.ts';
import type { VoteResult } from './quorum.ts';
import { allVoters, jointCommittedIndex, jointVoteResult } from './quorum.ts';

export interface TrackerConfig {
  voters: { incoming: Set<NodeId>; outgoing: Set<NodeId> };
  // Invariant: learners and voters (either half) are disjoint.
  learners: Set<NodeId>;
  // Invariant: every member of learnersNext is in voters.outgoing (it becomes a learner on leaving joint).
  learnersNext: Set<NodeId>;
  autoLeave: boolean;
}

export function emptyTrackerConfig(): TrackerConfig {
  return { voters: { incoming: new Set(), outgoing: new Set() }, learners: new Set(), learnersNext: new Set(), autoLeave: false };
}

export function cloneTrackerConfig(c: TrackerConfig): TrackerConfig {
  return {
    voters: { incoming: new Set(c.voters.incoming), outgoing: new Set(c.voters.outgoing) },
    learners: new Set(c.learners),
    learnersNext: new Set(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

export function confStateOf(c: TrackerConfig): ConfState {
  const sorted = (s: Set<NodeId>): NodeId[] => [...s].sort();
  return {
    voters: sorted(c.voters.incoming),
    votersOutgoing: sorted(c.voters.outgoing),
    learners: sorted(c.learners),
    learnersNext: sorted(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

export class ProgressTracker {
  config: TrackerConfig = emptyTrackerConfig();
  progress = new Map<NodeId, Progress>();
  /** Votes received in the current (pre-)campaign: true = granted. */
  votes = new Map<NodeId, boolean>();
  readonly maxInflightMessages: number;
  readonly maxInflightBytes: number;

  constructor(maxInflightMessages: number, maxInflightBytes: number) {
    this.maxInflightMessages = maxInflightMessages;
    this.maxInflightBytes = maxInflightBytes;
  }

  /** The largest index replicated (durably acknowledged) on a quorum of voters. */
  committed(): number {
    return jointCommittedIndex(this.config.voters, (id) => this.progress.get(id)?.match ?? 0);
  }

  voterIds(): Set<NodeId> {
    return allVoters(this.config.voters);
  }

  isVoter(id: NodeId): boolean {
    return this.config.voters.incoming.has(id) || this.config.voters.outgoing.has(id);
  }

  /** Every member (voters and learners), sorted for a deterministic send order. */
  memberIds(): NodeId[] {
    return [...this.progress.keys()].sort();
  }

  /** Did a quorum hear from us recently (thesis 6.2)? `self` is always active. */
  quorumActive(self: NodeId): boolean {
    const votes = new Map<NodeId, boolean>();
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      votes.set(id, id === self || pr.recentActive);
    }
    return jointVoteResult(this.config.voters, votes) === 'won';
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voterIds()) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: jointVoteResult(this.config.voters, this.votes) };
  }

  /** Install a new configuration, keeping progress of members that stay. */
  applyConfig(config: TrackerConfig, lastIndex: number): void {
    this.config = config;
    const members = new Set([...allVoters(config.voters), ...config.learners]);
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id);
    for (const id of members) {
      const isLearner = config.learners.has(id);
      const pr = this.progress.get(id);
      if (pr) pr.isLearner = isLearner;
      else {
        const fresh = new Progress(lastIndex + 1, this.maxInflightMessages, this.maxInflightBytes, isLearner);
        // A new member counts as active so that adding it does not make the leader step down at once.
        fresh.recentActive = true;
        this.progress.set(id, fresh);
      }
    }
  }
}
