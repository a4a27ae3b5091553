/**
 * Swarm testing: the whole shape of a simulated world is drawn from the seed, so the seed set
 * explores many different worlds (cluster sizes, fault mixes, timing) instead of one tuned one.
 */
import type { Prng } from '../../src/util/prng.ts';

export interface Scenario {
  /** Voters at start (1 to 7). */
  initialVoters: number;
  /** Ids available for members added later (never reused after removal). */
  spareNodes: number;
  tickMs: number;
  electionTimeoutTicks: number;
  heartbeatIntervalTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
  /** Leader leases for reads (only with checkQuorum). */
  leaseReads: boolean;
  /** Followers learn the commit index lazily (RaftConfig.deferCommitNotices), as the cluster runs. */
  deferCommitNotices: boolean;
  maxSizePerMsgBytes: number;
  maxInflightMessages: number;
  /** Network: one-way delay in [delayMinMs, delayMaxMs); some messages get a long extra delay. */
  delayMinMs: number;
  delayMaxMs: number;
  dropRate: number;
  duplicateRate: number;
  longDelayRate: number;
  /** Mean time between partition changes (0: none). */
  partitionEveryMs: number;
  /** Mean time between crashes (0: none); a crash restarts after up to restartMaxMs. */
  crashEveryMs: number;
  restartMaxMs: number;
  /** Chance that a crash hits in the middle of handling a Ready (after sending, before persisting). */
  tornCrashRate: number;
  /** Chance per Ready that changes the hard state of a torn crash right there. */
  tornCrashOnHardStateRate: number;
  /** Chance that a random crash picks the leader. */
  crashLeaderBias: number;
  /**
   * Chance that a node notices its leader's connection close (the leader crashed, or a partition
   * cut the link) and calls leaderLost, as the cluster's transport does.
   */
  leaderLostNoticeRate: number;
  /** Chance that a leader crashes right after a Ready that advanced its commit index. */
  leaderCrashAfterCommitRate: number;
  /** Chance that a node crashes right after a Ready in which it became leader. */
  leaderCrashAfterElectionRate: number;
  /** Mean time between membership changes (0: none). */
  confChangeEveryMs: number;
  /** Mean time between leadership transfers (0: none). */
  transferEveryMs: number;
  /** Snapshot and compact every this many applied entries (0: never). */
  snapshotEveryEntries: number;
  compactKeepEntries: number;
  clients: number;
  keys: number;
  clientThinkMaxMs: number;
  clientTimeoutMs: number;
  readRate: number;
  casRate: number;
  safetyPhaseMs: number;
  /** After healing, a write must commit and all members converge within this. */
  livenessBoundMs: number;
}

export function drawScenario(prng: Prng): Scenario {
  const drawn = drawBaseScenario(prng);
  const base = { ...drawn, leaseReads: drawn.checkQuorum && prng.chance(0.5) };
  return prng.chance(0.3) ? leaderChurn(base, prng) : base;
}

function drawBaseScenario(prng: Prng): Scenario {
  const initialVoters = prng.pick([1, 2, 3, 3, 3, 4, 5, 5, 5, 6, 7]);
  const tickMs = 10;
  const delayMaxMs = prng.pick([3, 10, 20, 40, 80]);
  // Raft's timing requirement (paper 5.6): a round trip well below the election timeout.
  const minElectionTicks = Math.max(5, Math.ceil((4 * delayMaxMs) / tickMs));
  const electionTimeoutTicks = prng.nextRange(minElectionTicks, minElectionTicks + 11);
  const heartbeatIntervalTicks = prng.nextRange(1, Math.max(2, Math.floor(electionTimeoutTicks / 3)));
  const faulty = (rate: number): boolean => prng.chance(rate);
  return {
    initialVoters,
    spareNodes: prng.nextRange(0, 4),
    tickMs,
    electionTimeoutTicks,
    heartbeatIntervalTicks,
    preVote: prng.chance(0.5),
    checkQuorum: prng.chance(0.5),
    leaseReads: false, // drawn below: needs checkQuorum
    deferCommitNotices: prng.chance(0.5),
    maxSizePerMsgBytes: prng.pick([1, 200, 1000, 64 * 1024]),
    maxInflightMessages: prng.pick([1, 2, 4, 16]),
    delayMinMs: 1,
    delayMaxMs,
    dropRate: faulty(0.6) ? prng.pick([0.01, 0.05, 0.1, 0.2]) : 0,
    duplicateRate: faulty(0.5) ? prng.pick([0.01, 0.05, 0.1]) : 0,
    longDelayRate: faulty(0.4) ? prng.pick([0.01, 0.05]) : 0,
    partitionEveryMs: faulty(0.7) ? prng.pick([100, 300, 800]) : 0,
    crashEveryMs: faulty(0.7) ? prng.pick([100, 300, 800]) : 0,
    restartMaxMs: prng.pick([20, 200, 1000]),
    tornCrashRate: prng.pick([0, 0.5, 1]),
    tornCrashOnHardStateRate: faulty(0.5) ? prng.pick([0.02, 0.1, 0.3]) : 0,
    crashLeaderBias: prng.pick([0.2, 0.5, 0.8]),
    leaderCrashAfterCommitRate: faulty(0.4) ? prng.pick([0.02, 0.1, 0.3]) : 0,
    leaderCrashAfterElectionRate: faulty(0.3) ? prng.pick([0.1, 0.3]) : 0,
    leaderLostNoticeRate: prng.pick([0, 0.5, 1]),
    confChangeEveryMs: faulty(0.5) ? prng.pick([100, 300, 1000]) : 0,
    transferEveryMs: faulty(0.4) ? prng.pick([200, 600]) : 0,
    snapshotEveryEntries: faulty(0.6) ? prng.pick([3, 10, 40]) : 0,
    compactKeepEntries: prng.pick([0, 2, 10]),
    clients: prng.nextRange(1, 5),
    keys: prng.nextRange(1, 4),
    clientThinkMaxMs: prng.pick([2, 10, 40]),
    clientTimeoutMs: Math.max(6 * delayMaxMs, prng.pick([100, 300, 1000])),
    readRate: prng.pick([0.2, 0.5, 0.7]),
    casRate: prng.pick([0, 0.2, 0.4]),
    safetyPhaseMs: prng.nextRange(1500, 4000),
    livenessBoundMs: 0, // set below from the timing parameters
  };
}

/**
 * A profile of the swarm aimed at leader churn: three voters, one entry per append, and crashes
 * at the delicate moments (right after winning an election, right after advancing the commit
 * index) with fast restarts. This is where logs diverge across terms (paper Figure 8).
 */
function leaderChurn(s: Scenario, prng: Prng): Scenario {
  return {
    ...s,
    initialVoters: 3,
    maxSizePerMsgBytes: 1,
    maxInflightMessages: prng.pick([1, 2]),
    leaderCrashAfterCommitRate: 0.5,
    leaderCrashAfterElectionRate: 0.5,
    restartMaxMs: 50,
    safetyPhaseMs: 4000,
  };
}

/** The liveness bound follows from the timing: several election rounds plus catch-up. */
export function withLivenessBound(s: Scenario): Scenario {
  const electionMs = s.electionTimeoutTicks * s.tickMs * 2;
  return { ...s, livenessBoundMs: 40 * electionMs + 40 * s.delayMaxMs + 4000 };
}
