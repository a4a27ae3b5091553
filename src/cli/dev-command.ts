/**
 * `oxirs-cluster dev`: a local N-node cluster as N child processes on 127.0.0.1. Node i serves
 * HTTP on port+i-1 and Raft on port+1000+i-1, keeps its data in <data-dir>/n<i>, and the first
 * start bootstraps the membership; later starts reuse the data unless --fresh. SIGINT or SIGTERM
 * stops every child cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from './node-config.ts';

export interface DevFlags {
  nodes: string;
  port: string;
  dataDir: string;
  fresh?: boolean;
}

const CLI = resolve(import.meta.dirname, '..', '..', 'bin', 'oxirs-cluster.js');
const READY_TIMEOUT_MS = 60_000;

export async function devCommand(flags: DevFlags): Promise<void> {
  const count = Number(flags.nodes);
  const port = Number(flags.port);
  if (!Number.isInteger(count) || count < 1 || count > 9) throw new ConfigError('--nodes must be an integer from 1 to 9');
  if (!Number.isInteger(port) || port < 1 || port + 1000 + count - 1 > 65535) throw new ConfigError('--port must leave room for port+1000+nodes');
  if (flags.fresh) rmSync(flags.dataDir, { recursive: true, force: true });
  const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const initialCluster = ids.map((id, i) => `${id}=127.0.0.1:${port + 1000 + i}`).join(',');
  const children: ChildProcess[] = ids.map((id, i) =>
    spawn(
      process.execPath,
      [CLI, 'start', '--node-id', id, '--data-dir', join(flags.dataDir, id), '--http', `127.0.0.1:${port + i}`, '--raft', `127.0.0.1:${port + 1000 + i}`, '--initial-cluster', initialCluster, '--log-level', 'warn', '--query-workers', '1'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    ),
  );
  let stopping = false;
  const exited = children.map((child) => new Promise<number | null>((done) => child.once('exit', (code) => done(code))));
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('stopping the cluster...\n');
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(exited);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  // A child that dies on its own takes the others down: a dev cluster is all or nothing.
  children.forEach((child, i) =>
    void exited[i].then((code) => {
      if (stopping) return;
      process.stderr.write(`node ${ids[i]} exited (code ${code}); stopping the others\n`);
      void stop();
    }),
  );
  // Wait for every node to print that it is ready, then print the cluster's URLs.
  await Promise.all(
    children.map(
      (child, i) =>
        new Promise<void>((ready, fail) => {
          const timer = setTimeout(() => fail(new Error(`node ${ids[i]} did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
          let output = '';
          child.stdout!.on('data', (bytes: Buffer) => {
            output += bytes.toString();
            if (output.includes(' ready ')) {
              clearTimeout(timer);
              ready();
            }
          });
        }),
    ),
  );
  const lines = [`oxirs-cluster dev: ${count} nodes on 127.0.0.1 (data in ${flags.dataDir}; Ctrl-C stops them)`];
  ids.forEach((id, i) => lines.push(`  ${id}  SPARQL http://127.0.0.1:${port + i}/sparql   status http://127.0.0.1:${port + i}/cluster/status   Raft 127.0.0.1:${port + 1000 + i}`));
  lines.push(`  dashboard http://127.0.0.1:${port}/ (every node serves it and shows the whole cluster)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
