import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { request, Agent } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { QuadStore } from '../store/quad-store.ts';
import { buildApp } from './app.ts';
import { openOneNode } from '../../test/support/one-node.ts';
import { ClusterError } from '../cluster/cluster-errors.ts';

const LIMITS = { maxLoadBodyBytes: 1000, maxRequestBodyBytes: 300, maxHeaderBytes: 2048 };

async function withApp(body: (app: FastifyInstance) => Promise<void>, limits: Partial<typeof LIMITS> = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-limits-'));
  const { store, node, close } = await openOneNode(dir);
  const { app } = buildApp({ node, limits: { ...LIMITS, ...limits } });
  try {
    await body(app);
  } finally {
    await app.close();
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** N-Triples of exactly `bytes` bytes (whole lines, padded in the last literal). */
function ntriplesOfSize(bytes: number): string {
  const line = (i: number, pad = '') => `<http://ex.org/s${i}> <http://ex.org/p> "${pad}" .\n`;
  let text = '';
  let i = 0;
  while (text.length + line(i).length + line(i + 1).length <= bytes) text += line(i++);
  const last = line(i);
  return text + line(i, 'x'.repeat(bytes - text.length - last.length));
}

async function dataset(app: FastifyInstance): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/data' });
  assert.equal(res.statusCode, 200);
  return res.body;
}

test('the helper makes bodies of the exact size', () => {
  for (const size of [1000, 1001, 5000]) assert.equal(Buffer.byteLength(ntriplesOfSize(size)), size);
});

test('an oversized load answers 413 payload_too_large and commits nothing', async () => {
  await withApp(async (app) => {
    await app.inject({ method: 'PUT', url: '/data?default', headers: { 'content-type': 'application/n-triples' }, payload: '<http://ex.org/a> <http://ex.org/b> "kept" .\n' });
    const before = await dataset(app);
    for (const [method, url] of [['PUT', '/data?default'], ['POST', '/data?graph=http%3A%2F%2Fex.org%2Fg'], ['PUT', '/data']] as const) {
      for (const size of [1001, 5000, 200_000]) {
        const res = await app.inject({ method, url, headers: { 'content-type': 'application/n-triples' }, payload: ntriplesOfSize(size) });
        assert.equal(res.statusCode, 413, `${method} ${url} ${size}: ${res.body}`);
        assert.equal(res.headers.connection, 'close');
        const error = res.json().error;
        assert.equal(error.code, 'payload_too_large');
        assert.equal(error.maxBytes, 1000);
        assert.equal(await dataset(app), before, `${method} ${url} ${size} changed the store`);
      }
    }
    assert.equal((await app.inject({ method: 'GET', url: '/data?graph=http%3A%2F%2Fex.org%2Fg' })).statusCode, 404, 'no graph was created');
  });
});

test('a body of exactly the limit is accepted', async () => {
  await withApp(async (app) => {
    const res = await app.inject({ method: 'PUT', url: '/data?default', headers: { 'content-type': 'application/n-triples' }, payload: ntriplesOfSize(1000) });
    assert.equal(res.statusCode, 204, res.body);
  });
});

test('the limit counts gunzipped bytes: a small gzip that inflates past it is refused', async () => {
  await withApp(async (app) => {
    const before = await dataset(app);
    const bomb = gzipSync('<http://ex.org/s> <http://ex.org/p> "o" .\n'.repeat(5_000));
    assert.ok(bomb.length < 1000, `the compressed body (${bomb.length} bytes) is under the limit`);
    const res = await app.inject({ method: 'PUT', url: '/data?default', headers: { 'content-type': 'application/n-triples', 'content-encoding': 'gzip' }, payload: bomb });
    assert.equal(res.statusCode, 413, res.body);
    assert.equal(res.json().error.code, 'payload_too_large');
    assert.equal(await dataset(app), before);
    const fits = await app.inject({ method: 'PUT', url: '/data?default', headers: { 'content-type': 'application/n-triples', 'content-encoding': 'gzip' }, payload: gzipSync(ntriplesOfSize(1000)) });
    assert.equal(fits.statusCode, 204, fits.body);
  });
});

test('query and update bodies have their own, smaller limit', async () => {
  await withApp(async (app) => {
    const long = `SELECT * WHERE { ?s ?p ?o } # ${'x'.repeat(400)}`;
    for (const [url, type] of [['/sparql', 'application/sparql-query'], ['/query', 'application/sparql-query'], ['/update', 'application/sparql-update'], ['/sparql', 'application/x-www-form-urlencoded']]) {
      const payload = type.includes('form') ? `query=${encodeURIComponent(long)}` : long;
      const res = await app.inject({ method: 'POST', url, headers: { 'content-type': type }, payload });
      assert.equal(res.statusCode, 413, `${url} ${type}: ${res.body}`);
      assert.equal(res.json().error.code, 'payload_too_large');
    }
    // 400 bytes is fine for a load.
    const load = await app.inject({ method: 'POST', url: '/data?default', headers: { 'content-type': 'application/n-triples' }, payload: ntriplesOfSize(400) });
    assert.equal(load.statusCode, 204);
  });
});

/** Sends raw bytes to the server and returns everything it answers before closing. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer in 5 s; got ${JSON.stringify(Buffer.concat(chunks).toString())}`));
    }, 5000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.write(bytes);
  });
}

function parseRawResponse(text: string): { status: number; headers: Record<string, string>; body: string } {
  const [head, ...rest] = text.split('\r\n\r\n');
  const [statusLine, ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

test('headers over the limit answer 431 header_too_large on a real socket', async () => {
  await withApp(async (app) => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const cases = [
      `GET /data HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`,
      `GET /health/live HTTP/1.1\r\nHost: localhost\r\n${Array.from({ length: 200 }, (_, i) => `X-H${i}: ${'b'.repeat(20)}\r\n`).join('')}\r\n`,
      `PUT /data?default HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/n-triples\r\nCookie: ${'c'.repeat(3000)}\r\nContent-Length: 0\r\n\r\n`,
    ];
    for (const raw of cases) {
      const res = parseRawResponse(await rawExchange(port, raw));
      assert.equal(res.status, 431, raw.slice(0, 60));
      assert.match(res.headers['content-type'], /^application\/json/);
      assert.equal(res.headers.connection, 'close');
      assert.equal(Number(res.headers['content-length']), Buffer.byteLength(res.body));
      const body = JSON.parse(res.body);
      assert.equal(body.error.code, 'header_too_large');
      assert.equal(typeof body.error.message, 'string');
    }
    // Headers under the limit are fine, and the server still serves.
    const ok = parseRawResponse(await rawExchange(port, `GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Small: ${'a'.repeat(1000)}\r\nConnection: close\r\n\r\n`));
    assert.equal(ok.status, 200);
    // A request that is not HTTP at all answers 400 bad_request in the same JSON shape.
    const garbage = parseRawResponse(await rawExchange(port, 'NOT HTTP AT ALL\r\n\r\n'));
    assert.equal(garbage.status, 400);
    assert.equal(JSON.parse(garbage.body).error.code, 'bad_request');
  });
});

test('over a real socket, a client uploading past the limit receives the 413', async () => {
  await withApp(async (app) => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const body = Buffer.from(ntriplesOfSize(2_000_000));
    const answer = await new Promise<{ status?: number; text?: string; error?: string }>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/data?default', headers: { 'content-type': 'application/n-triples', 'content-length': body.length } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode, text }));
        res.on('error', (error) => resolve({ error: error.message }));
      });
      req.setTimeout(5000, () => req.destroy(new Error('timeout')));
      req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      req.end(body);
    });
    assert.equal(answer.status, 413, JSON.stringify(answer));
    assert.equal(JSON.parse(answer.text!).error.code, 'payload_too_large');
  }, { maxLoadBodyBytes: 100_000 });
});

/** One request through `agent`; resolves with the status and body, or the socket error code. */
function send(agent: Agent, port: number, method: string, path: string, body?: Buffer): Promise<{ status?: number; connection?: string; text?: string; error?: string }> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = body ? { 'content-type': 'application/n-triples', 'content-length': body.length } : {};
    const req = request({ agent, host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, text }));
      res.on('error', (error) => resolve({ error: error.message }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end(body);
  });
}

test(
  'a keep-alive connection survives a 400 for a large malformed load whose body was not read to the end',
  async () => {
    await withApp(
      async (app) => {
        await app.listen({ host: '127.0.0.1', port: 0 });
        const { port } = app.server.address() as AddressInfo;
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        try {
          const body = Buffer.from(`garbage\n${ntriplesOfSize(2_000_000)}`);
          const first = await send(agent, port, 'PUT', '/data?default', body);
          assert.equal(first.status, 400, JSON.stringify(first));
          assert.equal(JSON.parse(first.text!).error.code, 'rdf_syntax');
          const next = await send(agent, port, 'GET', '/health/live');
          assert.equal(next.status, 200, `the next request on the connection: ${JSON.stringify(next)}`);
        } finally {
          agent.destroy();
        }
      },
      { maxLoadBodyBytes: 100_000_000 },
    );
  },
);

test('a request timeout that runs out while the read is confirmed answers query_timeout; the server limit keeps the cluster error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-barrier-timeout-'));
  const { node, close } = await openOneNode(dir);
  // Stands in for a leader cut off from its majority: the barrier gives up when its time is out.
  node.readBarrier = async () => {
    throw new ClusterError('no_quorum', 'No quorum confirmed a read within 5 ms.');
  };
  const { app } = buildApp({ node, limits: { queryTimeoutMs: 30_000 } });
  try {
    const query = encodeURIComponent('SELECT * WHERE { ?s ?p ?o }');
    const short = await app.inject({ method: 'GET', url: `/query?query=${query}&timeout=0.005` });
    assert.equal(short.statusCode, 503, short.body);
    assert.equal(short.json().error.code, 'query_timeout');
    assert.match(short.json().error.message, /timeout \(5 ms\) ran out before its read could be served.*No quorum confirmed/);
    const long = await app.inject({ method: 'GET', url: `/query?query=${query}` });
    assert.equal(long.statusCode, 503, long.body);
    assert.equal(long.json().error.code, 'no_quorum');
  } finally {
    await app.close();
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
});
