/**
 * Computes the configuration that results from a membership change (etcd confchange/): a single
 * step when at most one voter changes (thesis 4.1), otherwise a joint configuration C_old,new
 * that is left later (thesis 4.3). Configurations take effect when the entry is applied.
 */
import type { ConfChange, ConfChangeSingle, NodeId } from './messages.ts';
import type { TrackerConfig } from './tracker.ts';
import { cloneTrackerConfig } from './tracker.ts';

export type ConfChangeResult = { ok: true; config: TrackerConfig } | { ok: false; reason: string };

export function isLeaveJoint(cc: ConfChange): boolean {
  return cc.changes.length === 0;
}

/** Whether the change must go through a joint configuration. */
export function entersJoint(cc: ConfChange): boolean {
  return cc.transition !== 'auto' || cc.changes.length > 1;
}

export function applyConfChangeTo(current: TrackerConfig, cc: ConfChange): ConfChangeResult {
  if (isLeaveJoint(cc)) return leaveJoint(current);
  if (entersJoint(cc)) return enterJoint(current, cc.transition !== 'jointExplicit', cc.changes);
  return simple(current, cc.changes);
}

function enterJoint(current: TrackerConfig, autoLeave: boolean, changes: ConfChangeSingle[]): ConfChangeResult {
  if (current.voters.outgoing.size > 0) return { ok: false, reason: 'already in a joint configuration' };
  if (current.voters.incoming.size === 0) return { ok: false, reason: 'cannot make a zero-voter configuration joint' };
  const config = cloneTrackerConfig(current);
  config.voters = { incoming: new Set(current.voters.incoming), outgoing: new Set(current.voters.incoming) };
  applyChanges(config, changes);
  config.autoLeave = autoLeave;
  return check(config);
}

function leaveJoint(current: TrackerConfig): ConfChangeResult {
  if (current.voters.outgoing.size === 0) return { ok: false, reason: 'not in a joint configuration' };
  const config = cloneTrackerConfig(current);
  for (const id of config.learnersNext) config.learners.add(id);
  config.learnersNext = new Set();
  config.voters = { incoming: config.voters.incoming, outgoing: new Set() };
  config.autoLeave = false;
  return check(config);
}

function simple(current: TrackerConfig, changes: ConfChangeSingle[]): ConfChangeResult {
  if (current.voters.outgoing.size > 0) return { ok: false, reason: 'a simple change cannot be applied in a joint configuration' };
  const config = cloneTrackerConfig(current);
  applyChanges(config, changes);
  let differ = 0;
  for (const id of config.voters.incoming) if (!current.voters.incoming.has(id)) differ++;
  for (const id of current.voters.incoming) if (!config.voters.incoming.has(id)) differ++;
  if (differ > 1) return { ok: false, reason: 'more than one voter changed without joint consensus' };
  return check(config);
}

function applyChanges(config: TrackerConfig, changes: ConfChangeSingle[]): void {
  for (const change of changes) {
    const id: NodeId = change.nodeId;
    switch (change.type) {
      case 'addVoter':
        config.voters.incoming.add(id);
        config.learners.delete(id);
        config.learnersNext.delete(id);
        break;
      case 'addLearner':
        config.voters.incoming.delete(id);
        config.learners.delete(id);
        config.learnersNext.delete(id);
        // A voter of the outgoing half stays a voter until the joint config is left.
        if (config.voters.outgoing.has(id)) config.learnersNext.add(id);
        else config.learners.add(id);
        break;
      case 'removeNode':
        config.voters.incoming.delete(id);
        config.learners.delete(id);
        config.learnersNext.delete(id);
        break;
    }
  }
}

function check(config: TrackerConfig): ConfChangeResult {
  if (config.voters.incoming.size === 0) return { ok: false, reason: 'removed all voters' };
  for (const id of config.learners) {
    if (config.voters.incoming.has(id) || config.voters.outgoing.has(id)) return { ok: false, reason: `${id} is both learner and voter` };
  }
  for (const id of config.learnersNext) {
    if (!config.voters.outgoing.has(id)) return { ok: false, reason: `${id} in learnersNext but not an outgoing voter` };
  }
  if (config.voters.outgoing.size === 0 && config.autoLeave) return { ok: false, reason: 'autoLeave outside a joint configuration' };
  return { ok: true, config };
}

/** Build the tracker configuration described by a ConfState (restart or snapshot). */
export function configFromConfState(cs: { voters: NodeId[]; votersOutgoing: NodeId[]; learners: NodeId[]; learnersNext: NodeId[]; autoLeave: boolean }): TrackerConfig {
  return {
    voters: { incoming: new Set(cs.voters), outgoing: new Set(cs.votersOutgoing) },
    learners: new Set(cs.learners),
    learnersNext: new Set(cs.learnersNext),
    autoLeave: cs.autoLeave,
  };
}
