// GET /alerts serves the engine's firing alerts in the metrics-contract shape, needs the read
// role when auth is on, and answers 405 to other methods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { buildApp } from './app.ts';
import { Authenticator, parseAuthConfig } from './auth.ts';
import { openOneNode } from '../../test/support/one-node.ts';
import { Alerting } from '../ops/alerting/alerting.ts';
import { parseAlertingConfig } from '../ops/alerting/alerting-config.ts';
import { MetricSource } from '../ops/alerting/metric-source.ts';

test('GET /alerts lists firing alerts (role read); other methods are 405', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-alerts-'));
  const { node, close } = await openOneNode(dir);
  const registry = new Registry();
  const free = new Gauge({ name: 'oxirs_disk_free_ratio', help: 'h', registers: [registry] });
  free.set(0.5);
  let nowMs = Date.parse('2025-05-01T12:00:00Z');
  const alerting = new Alerting({
    config: parseAlertingConfig({ rules: [{ kind: 'disk-free', thresholdPercent: 10, forMs: 5_000 }] }),
    source: new MetricSource(registry),
    nodeId: 'n1',
    log: () => {},
    now: () => nowMs,
  });
  const authenticator = new Authenticator(parseAuthConfig(JSON.stringify({ users: [], tokens: [{ token: 'reader-token-0123456789', role: 'read' }] })));
  const { app } = buildApp({ node, authenticator, alerts: alerting });
  t.after(async () => {
    await app.close();
    await alerting.stop();
    await close();
    rmSync(dir, { recursive: true, force: true });
  });
  const headers = { authorization: 'Bearer reader-token-0123456789' };

  assert.equal((await app.inject({ method: 'GET', url: '/alerts' })).statusCode, 401);
  await alerting.engine.evaluate();
  assert.deepEqual((await app.inject({ method: 'GET', url: '/alerts', headers })).json(), { alerts: [] });

  free.set(0.05);
  await alerting.engine.evaluate();
  nowMs += 4_000;
  await alerting.engine.evaluate();
  assert.deepEqual((await app.inject({ method: 'GET', url: '/alerts', headers })).json(), { alerts: [] }, 'pending alerts are not listed');
  nowMs += 1_000;
  await alerting.engine.evaluate();
  const response = await app.inject({ method: 'GET', url: '/alerts', headers });
  assert.equal(response.statusCode, 200);
  assert.match(response.headers['content-type'] as string, /^application\/json/);
  assert.deepEqual(response.json(), {
    alerts: [
      {
        id: 'disk-free',
        rule: 'disk-free',
        severity: 'critical',
        state: 'firing',
        since: '2025-05-01T12:00:00.000Z',
        summary: "disk free 5.0% on the data directory's filesystem (below 10%) for 5 s",
        labels: { node: 'n1' },
      },
    ],
  });

  const post = await app.inject({ method: 'POST', url: '/alerts', headers });
  assert.equal(post.statusCode, 405);
  assert.equal(post.headers.allow, 'GET');
});
