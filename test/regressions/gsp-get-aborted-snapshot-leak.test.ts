// GET /data takes a store snapshot (an LMDB read transaction) and releases it in the `finally`
// of the async generator that streams the body. If the client is gone before the body starts
// (Fastify then destroys the Readable at once), the generator is closed before it ever ran:
// `return()` on an unstarted generator skips its `finally`, so the read transaction is never
// released. Each such request leaks one reader slot (and pins old pages).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { buildApp } from '../../src/server/app.ts';
import { startMember, stopMember, until } from '../support/in-process-cluster.ts';
import { freePort } from '../e2e/node-process.ts';

for (const [name, path] of [
  ['GET /data', '/data?default'],
  ['GET /sparql (in-process evaluation)', `/sparql?query=${encodeURIComponent('SELECT * { ?s ?p ?o }')}`],
] as const) test(`${name} whose client went away before the body started releases its store snapshot`, async () => {
  const root = mkdtempSync(join(tmpdir(), 'oxirs-review-leak-'));
  const member = await startMember('solo', root, `127.0.0.1:${await freePort()}`, {});
  let open = 0;
  const store = member.store;
  const original = store.snapshot.bind(store);
  store.snapshot = () => {
    const snapshot = original();
    open++;
    const release = snapshot.release.bind(snapshot);
    let done = false;
    snapshot.release = () => {
      if (!done) {
        done = true;
        open--;
      }
      release();
    };
    return snapshot;
  };
  const { app } = buildApp({ node: member.node });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  try {
    await until('leader', () => member.node.status().role === 'leader');
    await member.node.write({ kind: 'update', text: 'INSERT DATA { <urn:s> <urn:p> "o" }' }, { timeoutMs: 5000 });
    const baseline = open;
    const rounds = 5;
    for (let i = 0; i < rounds; i++) {
      // Ask for an index not applied yet, hang up, then let the index be reached.
      const next = member.node.appliedIndex() + 1;
      const socket = connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nX-Consistency: min-index:${next}\r\n\r\n`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await member.node.write({ kind: 'update', text: `INSERT DATA { <urn:s> <urn:p> "${i}" }` }, { timeoutMs: 5000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(open - baseline, 0, `${open - baseline} store snapshots (LMDB read transactions) were never released`);
  } finally {
    await app.close();
    store.snapshot = original;
    await stopMember(member).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
});
