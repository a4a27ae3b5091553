/**
 * Store benchmark, side by side with Oxigraph's WASM build (npm `oxigraph`, in memory) on the
 * same generated N-Triples file, in one run:
 * - load rate: our `oxirs-cluster load` through HTTP into a running node (time measured by the
 *   CLI from opening the file to the server's commit answer) vs Oxigraph's `store.load` of the
 *   same file (time from reading the file to the end of the load);
 * - pattern-scan rates, every term decoded, on each side;
 * - our store's size on disk and the peak RSS of each process.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { ROOT, CLI, freePort, runNode, startNode, directoryBytes } from './processes.ts';
import { generateDataset } from './dataset.ts';
import { peakRssBytes } from './peak-rss.ts';
import type { BenchOptions } from './run.ts';

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const rate = (count: number, seconds: number) => Math.round(count / seconds);

export async function runStoreBench(options: BenchOptions): Promise<void> {
  mkdirSync(options.workDir, { recursive: true });
  const file = join(options.workDir, `dataset-${options.triples}.nt`);
  const triples = await generateDataset(file, options.triples);
  console.log(`dataset: ${triples} triples, ${mib(statSync(file).size)} of N-Triples (${file})`);

  const dataDir = join(options.workDir, 'store-bench-node');
  rmSync(dataDir, { recursive: true, force: true });
  const port = await freePort();
  const { child: node } = await startNode(dataDir, port);
  let loadSeconds: number;
  let serverPeakRss: number;
  try {
    const output = await runNode([CLI, 'load', '--endpoint', `http://127.0.0.1:${port}`, file]);
    const match = /: (\d+) quads in ([\d.]+) s/.exec(output);
    if (!match) throw new Error(`unexpected load output: ${output}`);
    loadSeconds = Number(match[2]);
    serverPeakRss = peakRssBytes(node.pid!);
  } finally {
    node.kill('SIGTERM');
    await once(node, 'exit');
  }
  const diskBytes = directoryBytes(dataDir);
  const ours = JSON.parse(await runNode(['--import', 'tsx', join(ROOT, 'bench', 'store-scan.ts'), join(dataDir, 'store')]));
  const oxigraph = JSON.parse(await runNode(['--import', 'tsx', join(ROOT, 'bench', 'oxigraph-load.ts'), file]));

  const rows: Array<[string, string, string, string]> = [];
  const ourLoadRate = rate(triples, loadSeconds);
  const oxLoadRate = rate(triples, oxigraph.loadSeconds);
  rows.push(['load (quads/s)', String(ourLoadRate), String(oxLoadRate), (ourLoadRate / oxLoadRate).toFixed(2)]);
  for (const name of Object.keys(ours.scans)) {
    const a = ours.scans[name];
    const b = oxigraph.scans[name];
    if (a.quads !== b.quads) throw new Error(`scan ${name}: we found ${a.quads} quads, Oxigraph ${b.quads}`);
    const ourRate = rate(a.quads, a.seconds);
    const oxRate = rate(b.quads, b.seconds);
    rows.push([`scan ${name} (quads/s)`, String(ourRate), String(oxRate), (ourRate / oxRate).toFixed(2)]);
  }
  rows.push(['size on disk', mib(diskBytes), 'in memory', '']);
  rows.push(['peak RSS during load', `${mib(serverPeakRss)} (server)`, mib(oxigraph.peakRssBytes), '']);
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length), ['metric', 'oxirs-cluster', 'oxigraph', 'ratio'][c].length));
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ');
  console.log(line(['metric', 'oxirs-cluster', 'oxigraph', 'ratio']));
  for (const row of rows) console.log(line(row));
  console.log('(ratio > 1: oxirs-cluster is faster)');
  rmSync(dataDir, { recursive: true, force: true });
}
