/**
 * `npm run sim -- --seed S`            replay one run exactly and print its event log
 * `npm run sim -- --seeds N --seconds T [--from F]`  a randomized campaign: run up to N seeds
 *                                        (from a random start, or F) for at most T seconds and
 *                                        print every failing seed.
 */
import { parseArgs } from 'node:util';
import { runSeed } from './simulator.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    seeds: { type: 'string' },
    seconds: { type: 'string' },
    from: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

if (values.seed !== undefined) {
  const result = runSeed({ seed: Number(values.seed), verbose: true });
  if (!values.quiet) for (const line of result.log) console.log(line);
  console.log(`scenario ${JSON.stringify(result.scenario)}`);
  console.log(`stats ${JSON.stringify(result.stats)}`);
  console.log(result.ok ? `seed ${result.seed}: ok` : `seed ${result.seed}: FAILED ${result.failure}`);
  process.exit(result.ok ? 0 : 1);
}

const seedCount = Number(values.seeds ?? '1000');
const seconds = Number(values.seconds ?? '60');
// The campaign's start seed is the only nondeterministic choice, and it is printed.
const from = values.from !== undefined ? Number(values.from) : Math.floor(Math.random() * 2 ** 40);
console.log(`campaign: up to ${seedCount} seeds from ${from}, at most ${seconds}s`);
const startedMs = Date.now();
let run = 0;
const failing: number[] = [];
for (let i = 0; i < seedCount; i++) {
  if (Date.now() - startedMs > seconds * 1000) break;
  const seed = from + i;
  const result = runSeed({ seed });
  run++;
  if (!result.ok) {
    failing.push(seed);
    console.log(`FAIL seed ${seed}: ${result.failure}`);
  }
  if (run % 1000 === 0) console.log(`${run} seeds, ${failing.length} failing, ${((Date.now() - startedMs) / 1000).toFixed(0)}s`);
}
const elapsedS = (Date.now() - startedMs) / 1000;
console.log(`campaign done: ${run} seeds in ${elapsedS.toFixed(1)}s (${(run / elapsedS).toFixed(1)} seeds/s), ${failing.length} failing${failing.length ? `: ${failing.join(' ')}` : ''}`);
process.exit(failing.length === 0 ? 0 : 1);
