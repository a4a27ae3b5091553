// Half 2 of the fixed simulated seed set (see seed-set.ts): safety under faults, then liveness.
import { test } from 'node:test';
import { assertSeedsPass, chunks, seedsOfHalf } from './seed-set.ts';

for (const seeds of chunks(seedsOfHalf(1))) {
  test(`simulated seeds ${seeds[0]}..${seeds[seeds.length - 1]}`, () => assertSeedsPass(seeds));
}
