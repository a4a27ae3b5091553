/**
 * Flow control for one follower: the append messages sent but not yet acknowledged, by the last
 * index each carried. The leader stops sending when the window is full (count or bytes) and frees
 * slots as acknowledgements arrive (etcd tracker/inflights.go).
 */
import { assert } from '../util/assert.ts';

export class Inflights {
  // Invariant: lastIndexes is strictly increasing; lastIndexes.length <= maxCount.
  private lastIndexes: number[] = [];
  private sizesBytes: number[] = [];
  private totalBytes = 0;
  readonly maxCount: number;
  /** 0 means no byte limit. */
  readonly maxBytes: number;

  constructor(maxCount: number, maxBytes: number) {
    assert(maxCount >= 1, 'inflights need at least one slot');
    this.maxCount = maxCount;
    this.maxBytes = maxBytes;
  }

  add(lastIndex: number, sizeBytes: number): void {
    assert(!this.full(), 'adding to a full inflights window');
    const n = this.lastIndexes.length;
    assert(n === 0 || lastIndex > this.lastIndexes[n - 1], `inflight ${lastIndex} not after ${this.lastIndexes[n - 1]}`);
    this.lastIndexes.push(lastIndex);
    this.sizesBytes.push(sizeBytes);
    this.totalBytes += sizeBytes;
  }

  /** Frees every inflight message whose last index is <= `index`. */
  freeLE(index: number): void {
    let k = 0;
    while (k < this.lastIndexes.length && this.lastIndexes[k] <= index) {
      this.totalBytes -= this.sizesBytes[k];
      k++;
    }
    if (k > 0) {
      this.lastIndexes.splice(0, k);
      this.sizesBytes.splice(0, k);
    }
  }

  /** Frees the oldest slot (its message was probably lost): lets one more append through. */
  freeFirstOne(): void {
    if (this.lastIndexes.length === 0) return;
    this.freeLE(this.lastIndexes[0]);
  }

  full(): boolean {
    return this.lastIndexes.length >= this.maxCount || (this.maxBytes > 0 && this.totalBytes >= this.maxBytes);
  }

  count(): number {
    return this.lastIndexes.length;
  }

  reset(): void {
    this.lastIndexes = [];
    this.sizesBytes = [];
    this.totalBytes = 0;
  }
}
