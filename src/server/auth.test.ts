import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { QuadStore } from '../store/quad-store.ts';
import { buildApp } from './app.ts';
import { openOneNode } from '../../test/support/one-node.ts';
import { Authenticator, AuthConfigError, loadAuthConfig, parseAuthConfig, roleAllows, ROLES } from './auth.ts';
import { ApiError } from './errors.ts';

const READ_TOKEN = 'read-token-0123456789abcdef';
const WRITE_TOKEN = 'write-token-0123456789abcdef';

const CONFIG = {
  users: [
    { name: 'reader', password: 'r-secret', role: 'read' },
    { name: 'writer', password: 'w:secret:with:colons', role: 'write' },
    { name: 'boss', password: 'b-secret é', role: 'admin' },
  ],
  tokens: [
    { token: READ_TOKEN, role: 'read', name: 'dashboard' },
    { token: WRITE_TOKEN, role: 'write' },
  ],
};

async function withApp(config: object, body: (app: FastifyInstance) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-auth-'));
  const { store, node, close } = await openOneNode(dir);
  const { app } = buildApp({ node, authenticator: new Authenticator(parseAuthConfig(JSON.stringify(config))) });
  try {
    await body(app);
  } finally {
    await app.close();
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const basic = (name: string, password: string) => `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
const bearer = (token: string) => `Bearer ${token}`;
const T = '<http://ex.org/s> <http://ex.org/p> "o" .\n';

function get(app: FastifyInstance, authorization?: string, url = '/data') {
  return app.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });
}
function put(app: FastifyInstance, authorization?: string) {
  return app.inject({ method: 'PUT', url: '/data?default', headers: { 'content-type': 'application/n-triples', ...(authorization ? { authorization } : {}) }, payload: T });
}

function assertError(res: LightMyRequestResponse, status: number, code: string) {
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.json().error.code, code);
}

function assert401(res: LightMyRequestResponse) {
  assertError(res, 401, 'unauthenticated');
  assert.equal(res.headers['www-authenticate'], 'Basic realm="oxirs-cluster", Bearer');
}

test('no credentials: 401 with WWW-Authenticate on every protected route', async () => {
  await withApp(CONFIG, async (app) => {
    assert401(await get(app));
    assert401(await put(app));
    assert401(await app.inject({ method: 'DELETE', url: '/data?default' }));
    assert401(await app.inject({ method: 'GET', url: '/sparql?query=ASK%7B%7D' }));
    assert401(await app.inject({ method: 'POST', url: '/update', headers: { 'content-type': 'application/sparql-update' }, payload: 'CLEAR ALL' }));
  });
});

test('wrong or malformed credentials: 401, never 500', async () => {
  await withApp(CONFIG, async (app) => {
    for (const authorization of [
      basic('reader', 'wrong'),
      basic('reader', ''),
      basic('nobody', 'r-secret'),
      basic('READER', 'r-secret'),
      basic('writer', 'w'),
      bearer('not-a-token-0123456789'),
      bearer(''),
      `Bearer ${READ_TOKEN}x`,
      'Basic',
      'Basic !!!not-base64!!!',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Basic ${Buffer.from(':r-secret').toString('base64')}`,
      `Digest username="reader"`,
      READ_TOKEN,
      'x'.repeat(1000),
    ]) {
      assert401(await get(app, authorization));
    }
  });
});

test('Basic and Bearer both work; the scheme is case-insensitive; passwords may contain colons', async () => {
  await withApp(CONFIG, async (app) => {
    for (const authorization of [
      basic('reader', 'r-secret'),
      basic('writer', 'w:secret:with:colons'),
      basic('boss', 'b-secret é'),
      `basic ${Buffer.from('reader:r-secret').toString('base64')}`,
      bearer(READ_TOKEN),
      `BEARER ${WRITE_TOKEN}`,
      `Bearer   ${READ_TOKEN}  `,
    ]) {
      const res = await get(app, authorization);
      assert.equal(res.statusCode, 200, `${authorization}: ${res.body}`);
    }
  });
});

test('roles: read may GET but gets 403 forbidden on writes; write and admin may write', async () => {
  await withApp(CONFIG, async (app) => {
    for (const reader of [basic('reader', 'r-secret'), bearer(READ_TOKEN)]) {
      assert.equal((await get(app, reader)).statusCode, 200);
      assert.equal((await get(app, reader, '/data?default')).statusCode, 200);
      assert.equal((await app.inject({ method: 'HEAD', url: '/data', headers: { authorization: reader } })).statusCode, 200);
      const forbidden = await put(app, reader);
      assertError(forbidden, 403, 'forbidden');
      assert.match(forbidden.json().error.message, /write/);
      assertError(await app.inject({ method: 'DELETE', url: '/data?default', headers: { authorization: reader } }), 403, 'forbidden');
      assertError(await app.inject({ method: 'POST', url: '/update', headers: { authorization: reader, 'content-type': 'application/sparql-update' }, payload: 'CLEAR ALL' }), 403, 'forbidden');
      // A read role gets past authorisation on the query endpoint.
      const query = await app.inject({ method: 'GET', url: '/sparql?query=ASK%7B%7D', headers: { authorization: reader } });
      assert.ok(![401, 403].includes(query.statusCode) && query.statusCode < 500, `query: ${query.statusCode} ${query.body}`);
    }
    assert.equal((await put(app, basic('writer', 'w:secret:with:colons'))).statusCode, 204);
    assert.equal((await put(app, bearer(WRITE_TOKEN))).statusCode, 204);
    assert.equal((await put(app, basic('boss', 'b-secret é'))).statusCode, 204);
    assert.equal((await app.inject({ method: 'DELETE', url: '/data?default', headers: { authorization: bearer(WRITE_TOKEN) } })).statusCode, 204);
    const update = await app.inject({ method: 'POST', url: '/update', headers: { authorization: bearer(WRITE_TOKEN), 'content-type': 'application/sparql-update' }, payload: 'CLEAR ALL' });
    assert.ok(![401, 403].includes(update.statusCode) && update.statusCode < 500, `update: ${update.statusCode} ${update.body}`);
    const written = await get(app, basic('reader', 'r-secret'), '/data');
    assert.equal(written.body, '');
  });
});

test('health endpoints need no credentials, even with wrong ones', async () => {
  await withApp(CONFIG, async (app) => {
    for (const url of ['/health/live', '/health/ready']) {
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
      assert.equal((await app.inject({ method: 'GET', url, headers: { authorization: basic('reader', 'wrong') } })).statusCode, 200, url);
    }
  });
});

test('an unknown route answers 404, not 401', async () => {
  await withApp(CONFIG, async (app) => {
    assertError(await app.inject({ method: 'GET', url: '/no/such/thing' }), 404, 'not_found');
  });
});

test('anonymous role: requests without credentials get it; wrong credentials are still refused', async () => {
  await withApp({ ...CONFIG, anonymous: 'read' }, async (app) => {
    assert.equal((await get(app)).statusCode, 200);
    assertError(await put(app), 403, 'forbidden');
    assert401(await get(app, basic('reader', 'wrong')));
    assert.equal((await put(app, bearer(WRITE_TOKEN))).statusCode, 204);
  });
  await withApp({ users: [], tokens: [], anonymous: 'write' }, async (app) => {
    assert.equal((await put(app)).statusCode, 204);
    assert.equal((await get(app, undefined, '/data?default')).body.includes('"o"'), true);
  });
});

test('Authenticator directly: principals, and 401/403 as ApiErrors', () => {
  const auth = new Authenticator(parseAuthConfig(JSON.stringify(CONFIG)));
  assert.deepEqual(auth.authenticate(basic('boss', 'b-secret é')), { name: 'boss', role: 'admin' });
  assert.deepEqual(auth.authenticate(bearer(READ_TOKEN)), { name: 'dashboard', role: 'read' });
  assert.deepEqual(auth.authenticate(bearer(WRITE_TOKEN)), { name: 'token', role: 'write' });
  assert.throws(() => auth.authenticate(undefined), (error: unknown) => error instanceof ApiError && error.code === 'unauthenticated');
  assert.throws(() => auth.authorize({ name: 'x', role: 'read' }, 'admin'), (error: unknown) => error instanceof ApiError && error.code === 'forbidden');
  auth.authorize({ name: 'x', role: 'admin' }, 'read');
});

test('roles are ordered read < write < admin', () => {
  assert.deepEqual([...ROLES], ['read', 'write', 'admin']);
  const allowed = ROLES.flatMap((have) => ROLES.filter((need) => roleAllows(have, need)).map((need) => `${have}>=${need}`));
  assert.deepEqual(allowed, ['read>=read', 'write>=read', 'write>=write', 'admin>=read', 'admin>=write', 'admin>=admin']);
});

test('bad auth configs are rejected with a clear AuthConfigError', () => {
  const cases: Array<[string, RegExp]> = [
    ['not json', /not valid JSON/],
    ['', /not valid JSON/],
    ['null', /JSON object/],
    ['42', /JSON object/],
    ['"users"', /JSON object/],
    ['{"users": {}}', /"users" and "tokens" must be arrays/],
    ['{"tokens": "abc"}', /"users" and "tokens" must be arrays/],
    ['{"users": [{"name": "a", "role": "read"}]}', /users\[0\] needs "name".*"password"/],
    ['{"users": [{"name": "a", "password": "p", "role": "root"}]}', /users\[0\].*role/],
    ['{"users": [{"name": "a", "password": "p", "role": "read"}, {"name": "b:c", "password": "p", "role": "read"}]}', /users\[1\].*no ":"/],
    ['{"users": [null]}', /users\[0\]/],
    ['{"users": ["alice"]}', /users\[0\]/],
    ['{"users": [{"name": 1, "password": "p", "role": "read"}]}', /users\[0\]/],
    ['{"tokens": [{"token": "short", "role": "read"}]}', /tokens\[0\].*16\+ characters/],
    [`{"tokens": [{"token": "${READ_TOKEN}"}]}`, /tokens\[0\].*role/],
    [`{"tokens": [{"token": 1234567890123456789, "role": "read"}]}`, /tokens\[0\]/],
    ['{"anonymous": "guest"}', /"anonymous" must be a role/],
    ['{"anonymous": true}', /"anonymous" must be a role/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseAuthConfig(text, 'test.json'),
      (error: unknown) => {
        assert.ok(error instanceof AuthConfigError, `${text}: ${String(error)}`);
        assert.match(error.message, /^test\.json: /, text);
        assert.match(error.message, message, text);
        return true;
      },
    );
  }
  // Valid minimal configs.
  assert.deepEqual(parseAuthConfig('{}'), { users: [], tokens: [], anonymous: undefined });
  assert.equal(parseAuthConfig('{"anonymous": "read"}').anonymous, 'read');
});

test('loadAuthConfig reads a file and names it in errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-authcfg-'));
  try {
    const good = join(dir, 'auth.json');
    writeFileSync(good, JSON.stringify(CONFIG));
    assert.equal(loadAuthConfig(good).users.length, 3);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"users": [{"name": "x"}]}');
    assert.throws(() => loadAuthConfig(bad), (error: unknown) => error instanceof AuthConfigError && error.message.startsWith(`${bad}: users[0]`));
    const missing = join(dir, 'missing.json');
    assert.throws(() => loadAuthConfig(missing), (error: unknown) => error instanceof AuthConfigError && error.message.includes(`cannot read auth file ${missing}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
