// GET /metrics on one node: the SPARQL and HTTP families move with the requests that cause them,
// the process families are there, the route needs the read role; X-Request-Id is kept or made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildApp } from './app.ts';
import { Authenticator, parseAuthConfig } from './auth.ts';
import { NodeMetrics } from '../ops/metrics/node-metrics.ts';
import { QueryPool } from '../sparql/query-pool.ts';
import { openOneNode } from '../../test/support/one-node.ts';
import { parsePrometheusText, sampleValue, type Sample } from '../../test/support/prometheus-text.ts';

const HEAVY = 'SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }';
const READ_TOKEN = 'read-token-0123456789abcdef';

async function withApp(body: (app: FastifyInstance) => Promise<void>, authenticator?: Authenticator, workers = 0): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-observability-'));
  const { node, close } = await openOneNode(dir);
  const metrics = new NodeMetrics({ registry: new Registry(), defaultMetrics: true });
  metrics.observe(node);
  const queryPool = workers > 0 ? new QueryPool(join(dir, 'store'), workers) : undefined;
  const { app } = buildApp({ node, metrics, authenticator, queryPool, limits: { queryTimeoutMs: 10_000 } });
  try {
    await body(app);
  } finally {
    await app.close();
    await queryPool?.close();
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function scrape(app: FastifyInstance, headers: Record<string, string> = {}): Promise<Sample[]> {
  const response = await app.inject({ method: 'GET', url: '/metrics', headers });
  assert.equal(response.statusCode, 200);
  assert.match(response.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(response.body);
}

const query = (app: FastifyInstance, text: string, extra = '') => app.inject({ method: 'GET', url: `/sparql?query=${encodeURIComponent(text)}${extra}` });
const update = (app: FastifyInstance, text: string) => app.inject({ method: 'POST', url: '/update', headers: { 'content-type': 'application/sparql-update' }, payload: text });
const delta = (after: Sample[], before: Sample[], name: string, labels: Record<string, string> = {}) => (sampleValue(after, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);

test('SPARQL and HTTP metrics move with queries, updates, timeouts and unknown routes', async () => {
  await withApp(async (app) => {
    const triples = Array.from({ length: 40 }, (_, i) => `<urn:s:${i}> <urn:p> ${i} .`).join(' ');
    let before = await scrape(app);
    assert.equal((await update(app, `INSERT DATA { ${triples} }`)).statusCode, 204);
    assert.equal((await update(app, 'INSERT DATA { <urn:a> <urn:b> ')).statusCode, 400);
    let after = await scrape(app);
    assert.equal(delta(after, before, 'oxirs_sparql_updates_total', { outcome: 'ok' }), 1);
    assert.equal(delta(after, before, 'oxirs_sparql_updates_total', { outcome: 'error' }), 1);
    assert.equal(delta(after, before, 'oxirs_sparql_update_duration_seconds_count'), 2);
    assert.equal(delta(after, before, 'oxirs_http_requests_total', { route: '/update', method: 'POST', status: '204' }), 1);
    assert.equal(delta(after, before, 'oxirs_http_requests_total', { route: '/update', method: 'POST', status: '400' }), 1);
    assert.equal(sampleValue(after, 'oxirs_store_quads'), 40);

    before = after;
    const select = await query(app, 'SELECT * WHERE { ?s ?p ?o }');
    assert.equal(select.statusCode, 200);
    assert.equal((await query(app, 'ASK { ?s ?p ?o }')).statusCode, 200);
    assert.equal((await query(app, 'CONSTRUCT WHERE { ?s ?p ?o } LIMIT 7')).statusCode, 200);
    assert.equal((await query(app, 'SELECT * WHERE { ?s ')).statusCode, 400);
    // Stale: the 1 ms budget must run out in the evaluation, not in the read barrier (that is no_quorum).
    const timedOut = await query(app, HEAVY, '&timeout=0.001&consistency=stale');
    assert.equal(timedOut.statusCode, 503);
    after = await scrape(app);
    assert.equal(delta(after, before, 'oxirs_sparql_queries_total', { form: 'select', outcome: 'ok' }), 1);
    assert.equal(delta(after, before, 'oxirs_sparql_queries_total', { form: 'ask', outcome: 'ok' }), 1);
    assert.equal(delta(after, before, 'oxirs_sparql_queries_total', { form: 'construct', outcome: 'ok' }), 1);
    assert.equal(delta(after, before, 'oxirs_sparql_queries_total', { form: 'unknown', outcome: 'error' }), 1);
    assert.equal(delta(after, before, 'oxirs_sparql_queries_total', { form: 'select', outcome: 'timeout' }), 1);
    assert.equal(delta(after, before, 'oxirs_sparql_query_timeouts_total'), 1);
    assert.equal(delta(after, before, 'oxirs_sparql_rows_returned_total'), 40 + 7);
    assert.equal(delta(after, before, 'oxirs_sparql_query_duration_seconds_count', { form: 'select' }), 2);

    before = after;
    assert.equal((await app.inject({ method: 'GET', url: '/no/such/path' })).statusCode, 404);
    assert.equal((await app.inject({ method: 'DELETE', url: '/metrics' })).statusCode, 405);
    after = await scrape(app);
    assert.equal(delta(after, before, 'oxirs_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }), 1);
    assert.equal(delta(after, before, 'oxirs_http_requests_total', { route: '/metrics', method: 'DELETE', status: '405' }), 1);
    assert.ok(delta(after, before, 'oxirs_http_request_duration_seconds_count', { route: 'unmatched', method: 'GET' }) === 1);
    assert.ok(sampleValue(after, 'process_cpu_user_seconds_total')! > 0);
    assert.ok(after.some((s) => s.name.startsWith('nodejs_')));
  });
});

test('GET /metrics needs the read role when auth is on', async () => {
  const config = { users: [], tokens: [{ token: READ_TOKEN, role: 'read' }] };
  await withApp(async (app) => {
    const refused = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(refused.statusCode, 401);
    await scrape(app, { authorization: `Bearer ${READ_TOKEN}` });
  }, new Authenticator(parseAuthConfig(JSON.stringify(config))));
});

test('a sane X-Request-Id is kept, anything else is replaced by a generated one', async () => {
  await withApp(async (app) => {
    const kept = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'client-id.42' } });
    assert.equal(kept.headers['x-request-id'], 'client-id.42');
    const replaced = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'has space<script>' } });
    assert.match(replaced.headers['x-request-id'] as string, /^[0-9a-f]{8}-[0-9a-z]+$/);
    const generated = [await app.inject({ method: 'GET', url: '/nope' }), await app.inject({ method: 'GET', url: '/nope' })].map((r) => r.headers['x-request-id']);
    assert.notEqual(generated[0], generated[1]);
    assert.match(generated[0] as string, /^[0-9a-f]{8}-[0-9a-z]+$/, 'an error response has its id too');
  });
});

test('rows and outcomes are counted the same when a worker thread evaluates the query', async () => {
  await withApp(
    async (app) => {
      assert.equal((await update(app, 'INSERT DATA { <urn:a> <urn:p> 1 . <urn:b> <urn:p> 2 . <urn:c> <urn:p> 3 }')).statusCode, 204);
      const before = await scrape(app);
      assert.equal((await query(app, 'SELECT * WHERE { ?s ?p ?o }')).statusCode, 200);
      assert.equal((await query(app, 'DESCRIBE <urn:a>')).statusCode, 200);
      const after = await scrape(app);
      assert.equal(delta(after, before, 'oxirs_sparql_rows_returned_total'), 3 + 1);
      assert.equal(delta(after, before, 'oxirs_sparql_queries_total', { form: 'describe', outcome: 'ok' }), 1);
    },
    undefined,
    1,
  );
});
