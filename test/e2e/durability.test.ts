// A real node process, loaded over the Graph Store Protocol, killed with SIGKILL in the middle of
// a stream of writes: after a restart every acknowledged write is there, and every write is all
// or nothing (each request's triples are all present or all absent).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startNode, stopNode, killAllNodes } from './node-process.ts';

const dirs: string[] = [];
after(() => {
  killAllNodes();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const TRIPLES_PER_WRITE = 20;
const WRITERS = 4;
/** The kill comes once this many writes were acknowledged (writers keep going meanwhile), at most after KILL_AFTER_MAX_MS. */
const ACKED_BEFORE_KILL = 40;
const KILL_AFTER_MAX_MS = 60_000;

function payload(writer: number, sequence: number): string {
  let text = '';
  for (let k = 0; k < TRIPLES_PER_WRITE; k++) text += `<http://e/w${writer}/s${sequence}> <http://e/p${k}> "v${k}" .\n`;
  return text;
}

test('acknowledged writes survive kill -9; unacknowledged ones are all or nothing', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxirs-e2e-'));
  dirs.push(dataDir);
  const port = await freePort();
  let node = await startNode(dataDir, port);
  const acknowledged = new Set<string>();
  const attempted = new Set<string>();
  let stop = false;
  const writer = async (w: number) => {
    for (let sequence = 0; !stop && sequence < 100_000; sequence++) {
      attempted.add(`${w}/${sequence}`);
      try {
        const response = await fetch(`${node.url}/data?default`, {
          method: 'POST',
          headers: { 'content-type': 'application/n-triples' },
          body: payload(w, sequence),
        });
        if (response.status === 204 || response.status === 201) acknowledged.add(`${w}/${sequence}`);
        else assert.fail(`unexpected status ${response.status}`);
      } catch {
        return; // the node died under us
      }
    }
  };
  const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
  // Not a fixed time: a loaded machine acknowledges few writes in the first seconds of a node.
  const killBy = Date.now() + KILL_AFTER_MAX_MS;
  while (acknowledged.size < ACKED_BEFORE_KILL && Date.now() < killBy) await new Promise((r) => setTimeout(r, 20));
  node.child.kill('SIGKILL');
  stop = true;
  await Promise.all(writers);
  await new Promise((r) => node.child.exitCode !== null || node.child.signalCode !== null ? r(null) : node.child.once('exit', r));
  assert.ok(acknowledged.size > 10, `only ${acknowledged.size} writes were acknowledged before the kill`);

  node = await startNode(dataDir, port);
  const response = await fetch(`${node.url}/data?default`, { headers: { accept: 'application/n-triples' } });
  assert.equal(response.status, 200);
  const lines = (await response.text()).split('\n').filter(Boolean);
  const perWrite = new Map<string, number>();
  for (const line of lines) {
    const match = /^<http:\/\/e\/w(\d+)\/s(\d+)>/.exec(line);
    assert.ok(match, `unexpected triple ${line}`);
    const key = `${match[1]}/${match[2]}`;
    perWrite.set(key, (perWrite.get(key) ?? 0) + 1);
  }
  for (const key of acknowledged) assert.equal(perWrite.get(key), TRIPLES_PER_WRITE, `acknowledged write ${key} lost`);
  for (const [key, count] of perWrite) {
    assert.ok(attempted.has(key), `write ${key} was never sent`);
    assert.equal(count, TRIPLES_PER_WRITE, `write ${key} is partial: ${count} triples`);
  }
  assert.equal(await stopNode(node), 0, 'graceful stop exits 0');
});

test('SIGTERM stops a node cleanly and its data is there after restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxirs-e2e-'));
  dirs.push(dataDir);
  const port = await freePort();
  let node = await startNode(dataDir, port);
  const put = await fetch(`${node.url}/data?graph=${encodeURIComponent('http://e/g')}`, {
    method: 'PUT',
    headers: { 'content-type': 'text/turtle' },
    body: '@prefix e: <http://e/> . e:s e:p "kept", _:b .',
  });
  assert.equal(put.status, 201);
  assert.equal(await stopNode(node, 'SIGTERM'), 0);
  node = await startNode(dataDir, port);
  const text = await (await fetch(`${node.url}/data`, { headers: { accept: 'application/n-quads' } })).text();
  assert.match(text, /<http:\/\/e\/s> <http:\/\/e\/p> "kept" <http:\/\/e\/g> \./);
  assert.match(text, /<http:\/\/e\/s> <http:\/\/e\/p> _:\S+ <http:\/\/e\/g> \./);
  assert.equal(await stopNode(node), 0);
});

test('SIGTERM lets an in-flight load finish and commit before the node exits', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxirs-e2e-'));
  dirs.push(dataDir);
  const port = await freePort();
  let node = await startNode(dataDir, port);
  const { request } = await import('node:http');
  // A keep-alive client (Node's default agent): the answer must close the connection, or the
  // shutdown would wait for the server's idle timeout.
  const response = new Promise<string>((resolve, reject) => {
    const req = request(`${node.url}/data?default`, { method: 'POST', headers: { 'content-type': 'application/n-triples' } }, (res) => {
      res.resume();
      resolve(`${res.statusCode} connection: ${res.headers.connection}`);
    });
    req.on('error', reject);
    req.write('<http://e/slow> <http://e/p> "first" .\n');
    // The rest of the body arrives after the node was told to stop.
    setTimeout(() => req.end('<http://e/slow> <http://e/p> "second" .\n'), 500);
  });
  await new Promise((r) => setTimeout(r, 200));
  const exited = stopNode(node, 'SIGTERM');
  assert.equal(await response, '204 connection: close');
  assert.equal(await exited, 0);
  node = await startNode(dataDir, port);
  const text = await (await fetch(`${node.url}/data?default`, { headers: { accept: 'application/n-triples' } })).text();
  assert.equal(text.split('\n').filter(Boolean).length, 2);
  assert.equal(await stopNode(node), 0);
});
