/** The fixed seed set `npm test` runs, split in halves so the two test files run in parallel. */
import assert from 'node:assert/strict';
import { runSeed } from './simulator.ts';

export const SEEDS_PER_HALF = 500;
const CHUNK = 50;

export function seedsOfHalf(half: 0 | 1): number[] {
  const seeds: number[] = [];
  for (let i = 0; i < SEEDS_PER_HALF; i++) seeds.push(1 + half * SEEDS_PER_HALF + i);
  return seeds;
}

/** Runs seeds in chunks; each chunk is one test so progress and failures are visible. */
export function chunks(seeds: number[]): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < seeds.length; i += CHUNK) out.push(seeds.slice(i, i + CHUNK));
  return out;
}

export function assertSeedsPass(seeds: number[]): void {
  const failures: string[] = [];
  for (const seed of seeds) {
    const result = runSeed({ seed });
    if (!result.ok) failures.push(`seed ${seed}: ${result.failure}  (replay: npm run sim -- --seed ${seed})`);
  }
  assert.deepEqual(failures, []);
}
