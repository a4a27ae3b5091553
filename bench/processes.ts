/** Child processes for the benchmarks: nodes as the end-to-end tests start them, and plain runs. */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../test/e2e/node-process.ts';

export { ROOT, CLI, freePort, startNode } from '../test/e2e/node-process.ts';

/** Runs `node ARGS...` to completion; resolves with its output, rejects on a non-zero exit. */
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
