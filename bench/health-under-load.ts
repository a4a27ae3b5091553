/**
 * Health checks during a heavy query: a node started as a user starts it (query worker threads
 * on), loaded with the bench dataset, runs a query that keeps a worker busy for seconds while
 * `/health/live` is polled every 20 ms. Reports the health latency p50/p99/max before and during
 * the query: the event loop must stay free (target: the query adds under 50 ms).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { generateDataset } from './dataset.ts';
import { CLI, freePort, runNode, startNode } from './processes.ts';
import type { BenchOptions } from './run.ts';

const POLL_INTERVAL_MS = 20;
const HEAVY_QUERY =
  'PREFIX ex: <http://example.org/> SELECT ?org (COUNT(?p) AS ?n) (SUM(?age) AS ?total) WHERE { ?p ex:worksFor ?org ; ex:age ?age ; ex:knows ?f . ?f ex:age ?fage } GROUP BY ?org ORDER BY DESC(?n) LIMIT 10';

async function pollHealth(url: string, untilMs: number): Promise<number[]> {
  const latencies: number[] = [];
  while (performance.now() < untilMs) {
    const started = performance.now();
    const response = await fetch(`${url}/health/live`);
    await response.arrayBuffer();
    latencies.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
  return latencies;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const describe = (values: number[]) => `p50 ${percentile(values, 50).toFixed(1)} ms, p99 ${percentile(values, 99).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms (${values.length} polls)`;

export async function runHealthUnderLoadBench(options: BenchOptions): Promise<void> {
  mkdirSync(options.workDir, { recursive: true });
  const file = join(options.workDir, `dataset-${options.triples}.nt`);
  await generateDataset(file, options.triples);
  const dataDir = join(options.workDir, 'health-bench-node');
  rmSync(dataDir, { recursive: true, force: true });
  const node = await startNode(dataDir, await freePort());
  try {
    await runNode([CLI, 'load', '--endpoint', node.url, file]);
    const idle = await pollHealth(node.url, performance.now() + 2000);
    const started = performance.now();
    const query = fetch(`${node.url}/query?query=${encodeURIComponent(HEAVY_QUERY)}`).then(async (r) => {
      await r.arrayBuffer();
      return { status: r.status, seconds: (performance.now() - started) / 1000 };
    });
    const busy: number[] = [];
    let done = false;
    void query.then(() => (done = true));
    while (!done) busy.push(...(await pollHealth(node.url, performance.now() + 250)));
    const result = await query;
    console.log(`heavy query: HTTP ${result.status} after ${result.seconds.toFixed(1)} s`);
    console.log(`/health/live idle:        ${describe(idle)}`);
    console.log(`/health/live during query: ${describe(busy)}`);
    console.log(`added by the query at p99: ${(percentile(busy, 99) - percentile(idle, 99)).toFixed(1)} ms (target < 50 ms)`);
  } finally {
    node.child.kill('SIGTERM');
    if (node.child.exitCode === null) await once(node.child, 'exit');
    rmSync(dataDir, { recursive: true, force: true });
  }
}
