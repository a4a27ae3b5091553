/**
 * A small deterministic pseudo-random generator (xoshiro128**, seeded through splitmix32).
 * One seed reproduces a whole run: the Raft core takes its election jitter from one of these
 * (passed in by config) and the simulator draws every fault from one. Not for cryptography.
 */
import { assert } from './assert.ts';

/** What the Raft core needs from a random source; `Prng` implements it. */
export interface RandomSource {
  /** A uniform integer in [0, n). */
  nextInt(n: number): number;
}

function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [next, z >>> 0];
}

export class Prng implements RandomSource {
  // Invariant: not all four words are zero (xoshiro would then only ever return zero).
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    assert(Number.isFinite(seed), 'prng seed must be a finite number');
    // Fold a seed of up to 53 bits into the 32-bit splitmix state.
    let state = (seed >>> 0) ^ Math.floor(seed / 0x100000000);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(state);
      state = next;
      words.push(out);
    }
    [this.s0, this.s1, this.s2, this.s3] = words;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform float in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** A uniform integer in [0, n), n >= 1 (rejection sampling, so no modulo bias). */
  nextInt(n: number): number {
    assert(Number.isInteger(n) && n >= 1 && n <= 0x100000000, `nextInt bound out of range: ${n}`);
    const limit = 0x100000000 - (0x100000000 % n);
    for (let attempt = 0; attempt < 1000; attempt++) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
    return this.nextUint32() % n;
  }

  /** A uniform integer in [lo, hi). */
  nextRange(lo: number, hi: number): number {
    assert(hi > lo, `empty range [${lo}, ${hi})`);
    return lo + this.nextInt(hi - lo);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.nextFloat() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick from an empty array');
    return items[this.nextInt(items.length)];
  }

  /** An independent generator derived from this one (advances this one by one draw). */
  fork(): Prng {
    return new Prng(this.nextUint32() * 0x200000 + (this.nextUint32() >>> 11));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
