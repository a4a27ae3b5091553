/**
 * Safety checkers that watch the whole cluster from outside the code under test (Raft paper,
 * Figure 3 properties). They see only what nodes persist, apply and report, and throw a
 * SafetyViolation the moment a property breaks.
 */
import type { Entry, NodeId } from '../../src/raft/messages.ts';

export class SafetyViolation extends Error {
  override name = 'SafetyViolation';
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface AppliedRecord {
  term: number;
  data: Uint8Array;
  node: NodeId;
  /** The applying node's term when it applied: at least the term of the leader that committed it. */
  witnessTerm: number;
}

export class SafetyChecker {
  /** Election safety: at most one leader per term. */
  private leaderOfTerm = new Map<number, NodeId>();
  /** Log matching: every persisted (index, term) has one entry and one predecessor term. */
  private entryAt = new Map<string, { data: Uint8Array; prevTerm: number | null }>();
  /** State machine safety: what was applied at each index, first seen. */
  readonly applied = new Map<number, AppliedRecord>();
  /** Highest applied index whose witness term is below t, per observed term (for leader completeness). */
  private appliedByWitness: Array<{ witnessTerm: number; index: number }> = [];
  leadersElected = 0;

  onLeader(term: number, id: NodeId, termAt: (index: number) => number | null, lastIndex: number, firstIndex: number): void {
    const existing = this.leaderOfTerm.get(term);
    if (existing !== undefined && existing !== id) {
      throw new SafetyViolation(`election safety: both ${existing} and ${id} are leaders of term ${term}`);
    }
    if (existing === undefined) this.leadersElected++;
    this.leaderOfTerm.set(term, id);
    // Leader completeness: every entry committed in an earlier term is in the new leader's log.
    let required = 0;
    for (const r of this.appliedByWitness) if (r.witnessTerm < term && r.index > required) required = r.index;
    if (required === 0) return;
    if (lastIndex < required) {
      throw new SafetyViolation(`leader completeness: leader ${id} of term ${term} has last index ${lastIndex} < committed ${required}`);
    }
    if (required >= firstIndex) {
      const t = termAt(required);
      const rec = this.applied.get(required)!;
      if (t !== rec.term) throw new SafetyViolation(`leader completeness: leader ${id} of term ${term} has term ${t} at committed index ${required}, applied with term ${rec.term}`);
    }
  }

  onPersist(node: NodeId, entry: Entry, prevTerm: number | null): void {
    const key = `${entry.index}/${entry.term}`;
    const seen = this.entryAt.get(key);
    if (!seen) {
      this.entryAt.set(key, { data: entry.data, prevTerm });
      return;
    }
    if (!sameBytes(seen.data, entry.data)) throw new SafetyViolation(`log matching: ${node} persisted a different entry at index ${entry.index} term ${entry.term}`);
    if (prevTerm !== null && seen.prevTerm !== null && prevTerm !== seen.prevTerm) {
      throw new SafetyViolation(`log matching: ${node} has term ${prevTerm} before (${entry.index}, ${entry.term}), another log has ${seen.prevTerm}`);
    }
    if (seen.prevTerm === null && prevTerm !== null) seen.prevTerm = prevTerm;
  }

  onApply(node: NodeId, entry: Entry, nodeTerm: number): void {
    const seen = this.applied.get(entry.index);
    if (!seen) {
      this.applied.set(entry.index, { term: entry.term, data: entry.data, node, witnessTerm: nodeTerm });
      this.appliedByWitness.push({ witnessTerm: nodeTerm, index: entry.index });
      if (this.appliedByWitness.length > 64) this.compactWitnesses();
      return;
    }
    if (seen.term !== entry.term || !sameBytes(seen.data, entry.data)) {
      throw new SafetyViolation(`state machine safety: ${node} applied (${entry.index}, term ${entry.term}) but ${seen.node} applied term ${seen.term} there`);
    }
  }

  /** Keep, per witness term, only the highest index (all that leader completeness needs). */
  private compactWitnesses(): void {
    const best = new Map<number, number>();
    for (const r of this.appliedByWitness) best.set(r.witnessTerm, Math.max(best.get(r.witnessTerm) ?? 0, r.index));
    this.appliedByWitness = [...best].map(([witnessTerm, index]) => ({ witnessTerm, index }));
  }
}
