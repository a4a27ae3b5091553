/**
 * Starts and stops real `oxirs-cluster start` processes on 127.0.0.1 for end-to-end tests.
 * Every process started here is tracked so a test can kill whatever is left in its `after`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'bin', 'oxirs-cluster.js');
const STARTUP_TIMEOUT_MS = 30_000;

export { freePort } from '../support/free-port.ts';

export interface NodeProcess {
  child: ChildProcess;
  url: string;
  output(): string;
}

const running = new Set<ChildProcess>();

export async function startNode(dataDir: string, port: number, extraArgs: string[] = []): Promise<NodeProcess> {
  const child = spawn(process.execPath, [CLI, 'start', '--data-dir', dataDir, '--http', `127.0.0.1:${port}`, '--log-level', 'warn', ...extraArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const started = Date.now();
  while (!output.includes('Health:')) {
    if (child.exitCode !== null) throw new Error(`node exited with ${child.exitCode}: ${output}`);
    if (Date.now() - started > STARTUP_TIMEOUT_MS) throw new Error(`node did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

/** A node that has not exited this long after the signal is killed: a hung shutdown must not hang the test file, and a slow one (a loaded CI machine) must still finish. */
const STOP_GRACE_MS = 120_000;

export async function stopNode(node: NodeProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return node.child.exitCode;
  const exited = once(node.child, 'exit');
  node.child.kill(signal);
  const overdue = setTimeout(() => node.child.kill('SIGKILL'), STOP_GRACE_MS);
  try {
    const [code] = await exited;
    return code as number | null;
  } finally {
    clearTimeout(overdue);
  }
}

export function killAllNodes(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Runs the CLI to completion; returns exit code and output. */
export function runCli(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}
