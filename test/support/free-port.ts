/**
 * Ports for the servers tests start, shared by every test process.
 * Ports come from below the kernel's ephemeral range (Linux: 32768-60999), so no socket bound to
 * port 0 and no outgoing connection can take one between its choice and its bind (listen(0) and
 * close did: EADDRINUSE in CI), and each is claimed with a lock file across processes.
 */
import { createServer } from 'node:net';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NODE_PORT_MIN = 20_000;
const NODE_PORT_SPREAD = 12_000;
const PORT_ATTEMPTS_MAX = 200;
const chosenPorts = new Set<number>();

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  // (events.once(server, 'listening') would reject on the error, so the race is done by hand.)
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.once('listening', () => resolve(true));
    server.listen(port, '127.0.0.1');
  });
  if (!listening) return false;
  server.close();
  await once(server, 'close');
  return true;
}

/**
 * Test files run in parallel processes. A port is claimed by creating a lock file named after it
 * (O_EXCL, atomic across processes) holding the claimer's pid, so two processes never pick the
 * same port between checking it and binding it (per-pid slices of the range still collided, once
 * in a run of the scenarios 6 times in a row). A lock whose process is gone is taken over; a
 * process removes its own locks when it exits.
 */
const PORT_LOCK_DIR = join(tmpdir(), 'oxirs-e2e-port-locks');
mkdirSync(PORT_LOCK_DIR, { recursive: true });
process.on('exit', () => {
  for (const port of chosenPorts) rmSync(join(PORT_LOCK_DIR, String(port)), { force: true });
});

function claimPort(port: number): boolean {
  const lock = join(PORT_LOCK_DIR, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      // An empty lock is one being written right now: not stale.
      let owner = 0;
      try {
        owner = Number(readFileSync(lock, 'utf8'));
      } catch {
        continue; // released in between: try to create it again
      }
      if (!(owner > 0) || processAlive(owner)) return false;
      rmSync(lock, { force: true });
    }
  }
  return false;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A port no other test process holds and nothing listens on, below the ephemeral range. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < PORT_ATTEMPTS_MAX; attempt++) {
    const port = NODE_PORT_MIN + Math.floor(Math.random() * NODE_PORT_SPREAD);
    if (chosenPorts.has(port) || !claimPort(port)) continue;
    chosenPorts.add(port);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in [${NODE_PORT_MIN}, ${NODE_PORT_MIN + NODE_PORT_SPREAD}) after ${PORT_ATTEMPTS_MAX} attempts`);
}
