/** Starting nodes and CLI runs as child processes for the benchmarks. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { once } from 'node:events';

export const ROOT = resolve(import.meta.dirname, '..');
export const CLI = join(ROOT, 'bin', 'oxirs-cluster.js');

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

export function runNode(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('exit', (code) => (code === 0 ? resolvePromise(out + err) : reject(new Error(`${args.join(' ')} exited ${code}: ${err}`))));
  });
}

export async function startNode(dataDir: string, port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'start', '--data-dir', dataDir, '--http', `127.0.0.1:${port}`, '--log-level', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const deadline = Date.now() + 30_000;
  for await (const chunk of child.stdout!) {
    out += chunk;
    if (out.includes('Health:')) break;
    if (Date.now() > deadline) throw new Error('node did not start within 30 s');
  }
  return { child, url: `http://127.0.0.1:${port}` };
}

export function directoryBytes(path: string): number {
  let total = 0;
  for (const name of readdirSync(path)) {
    const entry = join(path, name);
    const stat = statSync(entry);
    // LMDB files are sparse up to the map size: count allocated blocks, not the apparent size.
    total += stat.isDirectory() ? directoryBytes(entry) : stat.blocks * 512;
  }
  return total;
}

