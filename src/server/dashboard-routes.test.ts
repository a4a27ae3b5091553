// The dashboard's routes: the page and its modules are served with the right types, a CSP that
// allows no inline code (and the page has none), revalidation by ETag, 405/404 like every path;
// they need no role while /cluster/overview keeps its `read` role.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { Authenticator, parseAuthConfig } from './auth.ts';
import { CONTENT_SECURITY_POLICY, DASHBOARD_DIR } from './dashboard-routes.ts';
import { openOneNode } from '../../test/support/one-node.ts';

const READ_TOKEN = 'read-token-0123456789abcdef';

async function withApp(authConfig: object | undefined, body: (app: FastifyInstance) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-dashboard-'));
  const one = await openOneNode(dir);
  const authenticator = authConfig ? new Authenticator(parseAuthConfig(JSON.stringify(authConfig))) : undefined;
  const { app } = buildApp({ node: one.node, authenticator });
  try {
    await body(app);
  } finally {
    await app.close();
    await one.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('GET / serves the page with a CSP that allows no inline code, and the page has none', async () => {
  await withApp(undefined, async (app) => {
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.match(res.body, /<script type="module" src="\/dashboard\/main\.js"><\/script>/);
    assert.doesNotMatch(res.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(res.body, /\son[a-z]+=|\sstyle=|<style/i, 'no inline handlers or styles');
  });
});

test('every module the page imports is served as JavaScript, and nothing else of the folder', async () => {
  await withApp(undefined, async (app) => {
    const toVisit = ['main.js'];
    const seen = new Set<string>();
    while (toVisit.length > 0) {
      const name = toVisit.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const res = await app.inject({ method: 'GET', url: `/dashboard/${name}` });
      assert.equal(res.statusCode, 200, `/dashboard/${name}`);
      assert.equal(res.headers['content-type'], 'text/javascript; charset=utf-8');
      for (const match of res.body.matchAll(/from '\.\/([a-z0-9-]+\.js)'/g)) toVisit.push(match[1]);
    }
    assert.ok(seen.has('prometheus-text.js') && seen.has('sparql-console.js'));
    const css = await app.inject({ method: 'GET', url: '/dashboard/dashboard.css' });
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    // The folder's tests are not served, nor anything outside it.
    const testFile = readdirSync(DASHBOARD_DIR).find((name) => name.endsWith('.test.ts'));
    assert.ok(testFile);
    for (const url of [`/dashboard/${testFile}`, '/dashboard/..%2Fapp.ts', '/dashboard/nope.js', '/dashboard/index.html']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().error.code, 'not_found');
    }
  });
});

test('assets revalidate by ETag; other methods answer 405 with Allow', async () => {
  await withApp(undefined, async (app) => {
    const first = await app.inject({ method: 'GET', url: '/dashboard/main.js' });
    assert.equal(first.body, readFileSync(join(DASHBOARD_DIR, 'main.js'), 'utf8'));
    assert.equal(first.headers['cache-control'], 'no-cache');
    const etag = String(first.headers.etag);
    const again = await app.inject({ method: 'GET', url: '/dashboard/main.js', headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    for (const url of ['/', '/dashboard/main.js', '/cluster/overview']) {
      const res = await app.inject({ method: 'POST', url });
      assert.equal(res.statusCode, 405, url);
      assert.equal(res.headers.allow, 'GET');
    }
  });
});

test('with auth on, the page and its files are open; /cluster/overview needs the read role', async () => {
  await withApp({ users: [], tokens: [{ token: READ_TOKEN, role: 'read' }] }, async (app) => {
    for (const url of ['/', '/dashboard/main.js', '/dashboard/dashboard.css']) {
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
    }
    const anonymous = await app.inject({ method: 'GET', url: '/cluster/overview' });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.json().error.code, 'unauthenticated');
    const reader = await app.inject({ method: 'GET', url: '/cluster/overview', headers: { authorization: `Bearer ${READ_TOKEN}` } });
    assert.equal(reader.statusCode, 200);
    const overview = reader.json();
    assert.equal(overview.answeredBy, 'n1');
    assert.equal(overview.nodeId, 'n1');
    assert.equal(overview.role, 'leader');
    assert.equal(overview.leaderKnown, true);
    assert.deepEqual(overview.members.map((m: { id: string }) => m.id), ['n1']);
  });
});
