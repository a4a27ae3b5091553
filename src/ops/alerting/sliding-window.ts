/**
 * Snapshots of a cumulative metric (a counter total, histogram buckets) over a sliding time
 * window, so a rule can ask "what happened during the last windowMs": the newest snapshot against
 * the oldest one still inside the window (or, once the window is full, the last one taken at or
 * before its start). Bounded: old snapshots are dropped as the window slides, and never more than
 * MAX_SNAPSHOTS are kept whatever the clock does.
 */
const MAX_SNAPSHOTS = 10_000;

export class SlidingWindow<T> {
  private readonly snapshots: Array<{ atMs: number; value: T }> = [];

  constructor(readonly windowMs: number) {}

  /** Records `value` taken at `atMs` and returns the snapshot that starts the window (possibly itself). */
  push(atMs: number, value: T): { atMs: number; value: T } {
    this.snapshots.push({ atMs, value });
    const start = atMs - this.windowMs;
    // Keep exactly one snapshot at or before the window's start: it is the baseline.
    while (this.snapshots.length > 1 && this.snapshots[1].atMs <= start) this.snapshots.shift();
    if (this.snapshots.length > MAX_SNAPSHOTS) this.snapshots.shift();
    return this.snapshots[0];
  }

  clear(): void {
    this.snapshots.length = 0;
  }
}
