/** The simulator's agenda: events ordered by virtual time, ties broken by insertion order. */
import { assert } from '../../src/util/assert.ts';

interface Event {
  timeMs: number;
  seq: number;
  run: () => void;
}

export class EventQueue {
  private heap: Event[] = [];
  private seq = 0;
  nowMs = 0;

  schedule(atMs: number, run: () => void): void {
    assert(atMs >= this.nowMs, `event scheduled in the past: ${atMs} < ${this.nowMs}`);
    const e: Event = { timeMs: atMs, seq: this.seq++, run };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  after(delayMs: number, run: () => void): void {
    this.schedule(this.nowMs + delayMs, run);
  }

  size(): number {
    return this.heap.length;
  }

  /** Runs the next event; false when none is left. */
  runNext(): boolean {
    const h = this.heap;
    if (h.length === 0) return false;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l], h[m])) m = l;
        if (r < h.length && less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    this.nowMs = top.timeMs;
    top.run();
    return true;
  }

  peekTimeMs(): number | null {
    return this.heap.length === 0 ? null : this.heap[0].timeMs;
  }
}

function less(a: Event, b: Event): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
}
