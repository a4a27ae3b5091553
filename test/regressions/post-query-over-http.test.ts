// A query POSTed over a real connection must be answered: once its body is read the request
// stream is destroyed, which a check for "client went away" must not mistake for a disconnect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/server/app.ts';
import { openOneNode } from '../support/one-node.ts';

test('POST /sparql with application/sparql-query and with a form, over HTTP, in-process and in a worker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-post-query-'));
  const { node, close } = await openOneNode(dir);
  const { app } = buildApp({ node });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const update = await fetch(`${base}/update`, { method: 'POST', headers: { 'content-type': 'application/sparql-update' }, body: 'INSERT DATA { <urn:a> <urn:b> "c" }' });
    assert.equal(update.status, 204);
    const direct = await fetch(`${base}/sparql`, { method: 'POST', headers: { 'content-type': 'application/sparql-query' }, body: 'SELECT ?o WHERE { <urn:a> <urn:b> ?o }', signal: AbortSignal.timeout(5000) });
    assert.equal(direct.status, 200);
    assert.match(await direct.text(), /"value":"c"/);
    const form = await fetch(`${base}/query`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ query: 'ASK { <urn:a> <urn:b> "c" }' }), signal: AbortSignal.timeout(5000) });
    assert.equal(form.status, 200);
    assert.match(await form.text(), /true/);
  } finally {
    await app.close();
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
});
