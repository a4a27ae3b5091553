/**
 * Bounded memory: loads a file ten times the bench size (10M triples by default) through
 * `oxirs-cluster load` into a node that runs inside a memory cgroup limited to 1 GiB, so the
 * kernel holds the node to 1 GiB of RAM (it reclaims page cache first and kills the process if
 * anonymous memory alone goes over). Reports whether the load completed, the rate, the node's
 * peak anonymous RSS (sampled every 250 ms), its VmHWM (which also counts LMDB's memory-mapped
 * file pages, page cache the kernel reclaims on demand) and the cgroup's peak charge.
 */
import { readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { generateDataset } from './dataset.ts';
import { CLI, freePort, runNode, startNode } from './processes.ts';
import { createMemoryCgroup } from './memory-cgroup.ts';
import { peakRssBytes } from './peak-rss.ts';
import { mib } from './store.ts';
import type { BenchOptions } from './run.ts';

const LIMIT_BYTES = 2 ** 30;
const SAMPLE_INTERVAL_MS = 250;

function anonymousRssBytes(pid: number): number {
  const match = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

export async function runBoundedMemoryBench(options: BenchOptions): Promise<void> {
  mkdirSync(options.workDir, { recursive: true });
  const triples = options.triples * 10;
  const file = join(options.workDir, `dataset-${triples}.nt`);
  await generateDataset(file, triples);
  const cgroup = createMemoryCgroup(`oxirs-bench-${process.pid}`, LIMIT_BYTES);
  if (typeof cgroup === 'string') {
    console.log(`skipped: ${cgroup}`);
    return;
  }
  const dataDir = join(options.workDir, 'bounded-memory-node');
  rmSync(dataDir, { recursive: true, force: true });
  const node = await startNode(dataDir, await freePort());
  cgroup.add(node.child.pid!);
  let peakAnonymous = 0;
  const sampler = setInterval(() => {
    if (node.child.exitCode === null) peakAnonymous = Math.max(peakAnonymous, anonymousRssBytes(node.child.pid!));
  }, SAMPLE_INTERVAL_MS);
  try {
    const output = await runNode([CLI, 'load', '--endpoint', node.url, file]);
    const match = /: (\d+) quads in ([\d.]+) s/.exec(output);
    if (!match) throw new Error(`unexpected load output: ${output}`);
    const vmHwm = peakRssBytes(node.child.pid!);
    console.log(`loaded ${match[1]} quads in ${match[2]} s (${Math.round(Number(match[1]) / Number(match[2]))} quads/s) with the node limited to ${mib(LIMIT_BYTES)}`);
    console.log(`node peak anonymous RSS ${mib(peakAnonymous)}; VmHWM ${mib(vmHwm)} (includes mapped file pages); cgroup peak ${mib(cgroup.peakBytes())}, limit hits ${cgroup.limitHits()}`);
  } finally {
    clearInterval(sampler);
    node.child.kill('SIGTERM');
    if (node.child.exitCode === null) await once(node.child, 'exit');
    cgroup.remove();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
