/**
 * Backup benchmark (`npm run bench -- --only backup [--triples N]`): a node process holding the
 * generated dataset (1M triples by default) takes a full backup while one client writes as fast
 * as it can, one small INSERT DATA at a time, recording each write's latency:
 *   1. `oxirs-cluster backup create --endpoint ... --target DIR` (the node streams its snapshot,
 *      the CLI compresses): wall time, bytes, and the writes' latency during it;
 *   2. POST /admin/backups (the node compresses into its configured target), the same;
 * against the same writes' latency before any backup. Then, in this process on the stopped
 * node's store, the snapshot export through gzip at several levels (time and size), and the
 * dataset hash alone.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { CLI, directoryBytes, freePort, runNode, startNode } from './processes.ts';
import { generateDataset } from './dataset.ts';
import { HttpClient } from './http-client.ts';
import { mib } from './store.ts';
import type { BenchOptions } from './run.ts';
import { QuadStore } from '../src/store/quad-store.ts';
import { exportSnapshot } from '../src/store/store-snapshot.ts';
import { datasetHash } from '../src/store/dataset-hash.ts';

interface Sample {
  atMs: number;
  latencyMs: number;
}

function stats(samples: Sample[]): { writes: number; p50: number; p99: number; max: number } {
  const sorted = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { writes: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

export async function runBackupBench(options: BenchOptions): Promise<void> {
  mkdirSync(options.workDir, { recursive: true });
  const file = join(options.workDir, `dataset-${options.triples}.nt`);
  const triples = await generateDataset(file, options.triples);
  const dataDir = join(options.workDir, 'backup-bench-node');
  const cliTarget = join(options.workDir, 'backup-bench-cli');
  const nodeTarget = join(options.workDir, 'backup-bench-node-target');
  for (const dir of [dataDir, cliTarget, nodeTarget]) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const config = join(options.workDir, 'backup-bench-config.json');
  writeFileSync(config, JSON.stringify({ backup: { target: nodeTarget } }));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const { child: node } = await startNode(dataDir, port, ['--config', config]);
  const client = new HttpClient(1);
  const samples: Sample[] = [];
  let stopping = false;
  let seq = 0;
  const writeLoop = async () => {
    // Bounded by `stopping` and by a cap on writes.
    while (!stopping && seq < 10_000_000) {
      const started = performance.now();
      const answer = await client.post(origin, '/update', 'application/sparql-update', `INSERT DATA { <urn:bench:${seq}> <urn:p> "${seq}" }`);
      if (answer.status !== 204) throw new Error(`write ${seq}: ${answer.status} ${answer.body}`);
      samples.push({ atMs: started, latencyMs: performance.now() - started });
      seq++;
    }
  };
  let loop: Promise<void> = Promise.resolve();
  const during = (from: number, to: number) => samples.filter((s) => s.atMs + s.latencyMs >= from && s.atMs <= to);
  const rows: string[][] = [];
  try {
    await runNode([CLI, 'load', '--endpoint', origin, file]);
    console.log(`dataset: ${triples} triples loaded`);
    loop = writeLoop();
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    let from = performance.now();
    await sleep(3_000);
    const before = stats(during(from, performance.now()));
    rows.push(['no backup (3 s)', '', '', String(before.writes), before.p50.toFixed(1), before.p99.toFixed(1), before.max.toFixed(1)]);

    from = performance.now();
    const output = await runNode([CLI, 'backup', 'create', '--endpoint', origin, '--target', cliTarget]);
    let to = performance.now();
    const cliBytes = Number(/(\d+) bytes/.exec(output)?.[1]);
    const cli = stats(during(from, to));
    rows.push(['backup create (CLI)', ((to - from) / 1000).toFixed(2), mib(cliBytes), String(cli.writes), cli.p50.toFixed(1), cli.p99.toFixed(1), cli.max.toFixed(1)]);
    await sleep(1_000);

    from = performance.now();
    const answer = await fetch(`${origin}/admin/backups`, { method: 'POST', body: '{}' });
    to = performance.now();
    const body = (await answer.json()) as { backup: { files: Array<{ sizeBytes: number }> } };
    if (answer.status !== 201) throw new Error(`POST /admin/backups: ${answer.status} ${JSON.stringify(body)}`);
    const inNode = stats(during(from, to));
    rows.push(['POST /admin/backups (in node)', ((to - from) / 1000).toFixed(2), mib(body.backup.files[0].sizeBytes), String(inNode.writes), inNode.p50.toFixed(1), inNode.p99.toFixed(1), inNode.max.toFixed(1)]);
  } finally {
    stopping = true;
    await loop.catch((error: Error) => console.log(`write loop failed: ${error.message}`));
    client.close();
    node.kill('SIGTERM');
    await once(node, 'exit');
  }
  const header = ['phase', 'backup s', 'size', 'writes', 'p50 ms', 'p99 ms', 'max ms'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log('(write latency of one closed-loop client, sequential INSERT DATA of one triple)');

  // Compression levels and the dataset hash, on the same store (node stopped).
  const store = QuadStore.open({ path: join(dataDir, 'store') });
  try {
    for (const level of [0, 1, 3, 6]) {
      const snapshot = store.snapshot();
      const started = performance.now();
      let raw = 0;
      let compressed = 0;
      const gzip = createGzip({ level });
      const counting = async function* () {
        for (const chunk of exportSnapshot(snapshot)) {
          raw += chunk.byteLength;
          yield chunk;
        }
      };
      Readable.from(counting()).pipe(gzip);
      for await (const chunk of gzip) compressed += (chunk as Buffer).length;
      snapshot.release();
      console.log(`gzip level ${level}: ${((performance.now() - started) / 1000).toFixed(2)} s, ${mib(raw)} -> ${mib(compressed)}`);
    }
    const snapshot = store.snapshot();
    const started = performance.now();
    const { quads } = datasetHash(snapshot);
    snapshot.release();
    console.log(`dataset hash of ${quads} quads: ${((performance.now() - started) / 1000).toFixed(2)} s`);
    console.log(`store on disk: ${mib(directoryBytes(join(dataDir, 'store')))}`);
  } finally {
    await store.close();
  }
}
