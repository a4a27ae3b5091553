// The anomaly rule over live metrics: samples from histogram deltas and counter rates, judged by
// the detector, alerting through the engine. Clock and samples are injected; no sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, Counter, Registry } from 'prom-client';
import { DEFAULT_DETECTOR_OPTIONS } from './anomaly-detector.ts';
import { anomalyRule } from './anomaly-rule.ts';
import { AlertEngine } from './alert-engine.ts';
import { MetricSource } from './metric-source.ts';
import type { AlertNotification } from './alert-types.ts';
import { Prng } from '../../util/prng.ts';

const T0 = Date.parse('2025-03-03T00:00:00Z');

test('the anomaly rule samples p99 latency from histogram deltas and raises its own alert', async () => {
  const registry = new Registry();
  const latency = new Histogram({ name: 'oxirs_sparql_query_duration_seconds', help: 'h', labelNames: ['form'], buckets: [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.1, 0.25, 0.5, 1], registers: [registry] });
  let nowMs = T0;
  const sent: AlertNotification[] = [];
  const rule = anomalyRule({
    name: 'query-latency-anomaly',
    severity: 'warning',
    forMs: 20_000,
    series: 'query-latency-p99',
    sampleIntervalMs: 10_000,
    minObservations: 10,
    detector: { ...DEFAULT_DETECTOR_OPTIONS, direction: 'high', seasonality: 'none', minSamples: 30 },
  });
  const engine = new AlertEngine({ rules: [rule], source: new MetricSource(registry), nodeId: 'n1', log: () => {}, notify: (n) => sent.push(n), now: () => nowMs });
  const prng = new Prng(3);
  const step = async (slow: boolean) => {
    for (let i = 0; i < 50; i++) latency.observe({ form: 'select' }, slow ? 0.4 + prng.nextInt(80) / 1000 : 0.015 + prng.nextInt(40) / 1000);
    nowMs += 10_000;
    await engine.evaluate();
  };
  await engine.evaluate(); // first snapshot
  for (let i = 0; i < 40; i++) await step(false);
  assert.deepEqual(engine.activeAlerts(), []);
  await step(true);
  await step(true);
  assert.deepEqual(engine.activeAlerts(), [], 'pending for 10 s of a 20 s for-duration');
  await step(true);
  const alerts = engine.activeAlerts();
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].id, 'query-latency-anomaly{series=query-latency-p99}');
  assert.match(alerts[0].summary, /^p99 query latency (4|5)\d\d ms, usual range \d\d-\d\d ms, for 20 s$/);
  // Idle intervals give no latency sample: the alert clears rather than claim a latency.
  nowMs += 10_000;
  await engine.evaluate();
  assert.deepEqual(engine.activeAlerts(), []);
  assert.deepEqual(sent.map((n) => n.status), ['firing', 'resolved']);
});

test('the anomaly rule reads throughput as a counter rate', async () => {
  const registry = new Registry();
  const updates = new Counter({ name: 'oxirs_sparql_updates_total', help: 'h', labelNames: ['outcome'], registers: [registry] });
  let nowMs = T0;
  const rule = anomalyRule({
    name: 'update-throughput-anomaly',
    severity: 'info',
    forMs: 0,
    series: 'update-throughput',
    sampleIntervalMs: 10_000,
    minObservations: 1,
    detector: { ...DEFAULT_DETECTOR_OPTIONS, direction: 'low', seasonality: 'none', minSamples: 10 },
  });
  const engine = new AlertEngine({ rules: [rule], source: new MetricSource(registry), nodeId: 'n1', log: () => {}, now: () => nowMs });
  await engine.evaluate();
  for (let i = 0; i < 20; i++) {
    updates.inc({ outcome: 'ok' }, 500 + (i % 4) * 10);
    // An evaluation between samples reuses the last verdict and takes no sample.
    nowMs += 6_000;
    await engine.evaluate();
    nowMs += 4_000;
    await engine.evaluate();
  }
  assert.deepEqual(engine.activeAlerts(), []);
  nowMs += 10_000;
  await engine.evaluate(); // no update in the interval: 0/s
  assert.deepEqual(engine.activeAlerts().map((a) => a.summary), ['update throughput 0.0/s, usual range 50.0-53.0/s']);
});
