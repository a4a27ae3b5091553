// The alert state machine with an injected clock and a private prom-client registry holding the
// contract's metric names: for-duration, de-duplication, resolve, absent metrics, each rule kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AlertEngine } from './alert-engine.ts';
import type { AlertNotification, AlertRule } from './alert-types.ts';
import { MetricSource } from './metric-source.ts';
import { diskFreeRule, errorRateRule, noLeaderRule, peerUnreachableRule, replicaLagRule, walFsyncP99Rule } from './metric-rules.ts';

function harness(rules: AlertRule[], registry: Registry) {
  let nowMs = Date.parse('2025-01-01T00:00:00Z');
  const sent: AlertNotification[] = [];
  const logs: string[] = [];
  const engine = new AlertEngine({
    rules,
    source: new MetricSource(registry),
    nodeId: 'n1',
    log: (level, message) => logs.push(`${level}: ${message}`),
    notify: (n) => sent.push(n),
    now: () => nowMs,
  });
  return {
    engine,
    sent,
    logs,
    /** Advances the clock by `ms`, then evaluates. */
    async at(ms: number) {
      nowMs += ms;
      await engine.evaluate();
    },
  };
}

test('an alert fires only after its for-duration, is notified once per episode, and resolves', async () => {
  const registry = new Registry();
  const reachable = new Gauge({ name: 'oxirs_raft_peer_reachable', help: 'h', labelNames: ['peer'], registers: [registry] });
  reachable.set({ peer: 'n2' }, 1);
  reachable.set({ peer: 'n3' }, 1);
  const h = harness([peerUnreachableRule({ name: 'peer-unreachable', severity: 'warning', forMs: 10_000 })], registry);
  await h.at(0);
  assert.deepEqual(h.engine.activeAlerts(), []);

  reachable.set({ peer: 'n2' }, 0);
  await h.at(1_000); // pending
  await h.at(5_000); // pending, held 5 s
  assert.deepEqual(h.engine.activeAlerts(), []);
  assert.equal(h.sent.length, 0);
  await h.at(5_000); // held 10 s: fires
  const active = h.engine.activeAlerts();
  assert.equal(active.length, 1);
  assert.deepEqual(
    { ...active[0] },
    {
      id: 'peer-unreachable{peer=n2}',
      rule: 'peer-unreachable',
      severity: 'warning',
      state: 'firing',
      since: '2025-01-01T00:00:01.000Z',
      summary: 'peer n2 unreachable for 10 s',
      labels: { peer: 'n2', node: 'n1' },
    },
  );
  assert.equal(h.sent.length, 1);
  assert.equal(h.sent[0].status, 'firing');
  assert.equal(h.sent[0].node, 'n1');

  for (let i = 0; i < 5; i++) await h.at(2_000); // still firing: no new notification
  assert.equal(h.sent.length, 1, 'one notification per firing episode');
  assert.equal(h.engine.activeAlerts()[0].summary, 'peer n2 unreachable for 20 s');

  reachable.set({ peer: 'n2' }, 1);
  await h.at(1_000);
  assert.deepEqual(h.engine.activeAlerts(), []);
  assert.equal(h.sent.length, 2);
  assert.equal(h.sent[1].status, 'resolved');
  assert.equal(h.sent[1].alert.id, 'peer-unreachable{peer=n2}');
  assert.equal(h.sent[1].durationSeconds, 21);

  // A new episode is notified again.
  reachable.set({ peer: 'n2' }, 0);
  await h.at(1_000);
  await h.at(10_000);
  assert.equal(h.sent.length, 3);
  assert.equal(h.sent[2].status, 'firing');
});

test('a condition that clears while pending sends nothing', async () => {
  const registry = new Registry();
  const hasLeader = new Gauge({ name: 'oxirs_raft_has_leader', help: 'h', registers: [registry] });
  hasLeader.set(0);
  const h = harness([noLeaderRule({ name: 'no-leader', severity: 'critical', forMs: 5_000 })], registry);
  await h.at(0);
  await h.at(4_000);
  hasLeader.set(1);
  await h.at(1_000);
  hasLeader.set(0);
  await h.at(1_000);
  await h.at(4_000); // held 4 s since the condition came back: still pending
  assert.equal(h.sent.length, 0);
  await h.at(1_000);
  assert.equal(h.sent.length, 1);
  assert.equal(h.sent[0].alert.summary, 'no leader known for 5 s');
  assert.equal(h.sent[0].alert.severity, 'critical');
});

test('one alert per peer, each with its own episode', async () => {
  const registry = new Registry();
  const reachable = new Gauge({ name: 'oxirs_raft_peer_reachable', help: 'h', labelNames: ['peer'], registers: [registry] });
  reachable.set({ peer: 'n2' }, 0);
  reachable.set({ peer: 'n3' }, 1);
  const h = harness([peerUnreachableRule({ name: 'peer-unreachable', severity: 'warning', forMs: 0 })], registry);
  await h.at(0);
  reachable.set({ peer: 'n3' }, 0);
  await h.at(1_000);
  assert.deepEqual(h.engine.activeAlerts().map((a) => a.id).sort(), ['peer-unreachable{peer=n2}', 'peer-unreachable{peer=n3}']);
  // The leader steps down: the peer series are removed, which clears the alerts.
  reachable.reset();
  await h.at(1_000);
  assert.deepEqual(h.engine.activeAlerts(), []);
  assert.deepEqual(h.sent.map((n) => `${n.status} ${n.alert.id}`), [
    'firing peer-unreachable{peer=n2}',
    'firing peer-unreachable{peer=n3}',
    'resolved peer-unreachable{peer=n2}',
    'resolved peer-unreachable{peer=n3}',
  ]);
});

test('a rule whose metric is absent is inactive, logged once at debug', async () => {
  const registry = new Registry();
  const h = harness([noLeaderRule({ name: 'no-leader', severity: 'critical', forMs: 0 })], registry);
  await h.at(0);
  await h.at(1_000);
  assert.deepEqual(h.engine.activeAlerts(), []);
  assert.deepEqual(h.logs.filter((l) => l.includes('inactive')), ['debug: alert rule inactive: a metric it reads is not registered']);
  // Once the metric appears, the rule works.
  new Gauge({ name: 'oxirs_raft_has_leader', help: 'h', registers: [registry] }).set(0);
  await h.at(1_000);
  assert.equal(h.engine.activeAlerts().length, 1);
});

test('a rule that throws keeps its alerts as they were and does not stop the others', async () => {
  const registry = new Registry();
  new Gauge({ name: 'oxirs_raft_has_leader', help: 'h', registers: [registry] }).set(0);
  let broken = false;
  const flaky: AlertRule = {
    name: 'flaky',
    severity: 'info',
    forMs: 0,
    metrics: [],
    async evaluate() {
      if (broken) throw new Error('boom');
      return [{ labels: {}, summary: () => 'flaky condition' }];
    },
  };
  const h = harness([flaky, noLeaderRule({ name: 'no-leader', severity: 'critical', forMs: 0 })], registry);
  await h.at(0);
  broken = true;
  await h.at(1_000);
  assert.deepEqual(h.engine.activeAlerts().map((a) => a.rule), ['no-leader', 'flaky'], 'critical first; flaky still firing');
  assert.equal(h.sent.filter((n) => n.status === 'resolved').length, 0);
  assert.ok(h.logs.some((l) => l.startsWith('warn: alert rule evaluation failed')));
});

test('replica lag above the threshold, per peer', async () => {
  const registry = new Registry();
  const lag = new Gauge({ name: 'oxirs_raft_peer_lag_entries', help: 'h', labelNames: ['peer'], registers: [registry] });
  lag.set({ peer: 'n2' }, 1000);
  lag.set({ peer: 'n3' }, 1001);
  const h = harness([replicaLagRule({ name: 'replica-lag', severity: 'warning', forMs: 0, thresholdEntries: 1000 })], registry);
  await h.at(0);
  const alerts = h.engine.activeAlerts();
  assert.deepEqual(alerts.map((a) => a.summary), ['replica n3 is 1001 entries behind the leader (more than 1000) for 0 s']);
});

test('disk free below the threshold', async () => {
  const registry = new Registry();
  const free = new Gauge({ name: 'oxirs_disk_free_ratio', help: 'h', registers: [registry] });
  free.set(0.1);
  const h = harness([diskFreeRule({ name: 'disk-free', severity: 'critical', forMs: 0, thresholdPercent: 10 })], registry);
  await h.at(0);
  assert.equal(h.engine.activeAlerts().length, 0, 'exactly at the threshold is not below it');
  free.set(0.042);
  await h.at(1_000);
  assert.deepEqual(h.engine.activeAlerts().map((a) => a.summary), ["disk free 4.2% on the data directory's filesystem (below 10%) for 0 s"]);
});

test('WAL fsync p99 over a window, from histogram bucket deltas', async () => {
  const registry = new Registry();
  const fsync = new Histogram({ name: 'oxirs_wal_fsync_duration_seconds', help: 'h', buckets: [0.001, 0.005, 0.01, 0.05, 0.1], registers: [registry] });
  // A slow past: before the window starts, many slow fsyncs. They must not count.
  for (let i = 0; i < 100; i++) fsync.observe(0.08);
  const h = harness([walFsyncP99Rule({ name: 'wal-fsync-p99', severity: 'warning', forMs: 0, thresholdMs: 10, windowMs: 60_000, minObservations: 10 })], registry);
  await h.at(0); // the first snapshot starts the window
  for (let i = 0; i < 200; i++) fsync.observe(0.002);
  await h.at(10_000);
  assert.deepEqual(h.engine.activeAlerts(), [], 'fast fsyncs in the window');

  // Now 5% of the fsyncs in the window are slow: the p99 lands in the (0.05, 0.1] bucket.
  for (let i = 0; i < 20; i++) fsync.observe(0.07);
  await h.at(10_000);
  const alerts = h.engine.activeAlerts();
  assert.equal(alerts.length, 1);
  assert.match(alerts[0].summary, /^WAL fsync p99 \d+ ms over the last 20 s \(220 fsyncs; above 10 ms\) for 0 s$/);

  // 70 s later, with only fast fsyncs since: the slow ones left the window.
  for (let i = 0; i < 7; i++) {
    for (let j = 0; j < 50; j++) fsync.observe(0.002);
    await h.at(10_000);
  }
  assert.deepEqual(h.engine.activeAlerts(), []);
  assert.equal(h.sent.at(-1)!.status, 'resolved');
});

test('WAL fsync p99 needs enough observations in the window', async () => {
  const registry = new Registry();
  const fsync = new Histogram({ name: 'oxirs_wal_fsync_duration_seconds', help: 'h', buckets: [0.001, 0.1], registers: [registry] });
  const h = harness([walFsyncP99Rule({ name: 'wal-fsync-p99', severity: 'warning', forMs: 0, thresholdMs: 10, windowMs: 60_000, minObservations: 10 })], registry);
  await h.at(0);
  for (let i = 0; i < 9; i++) fsync.observe(0.09);
  await h.at(1_000);
  assert.deepEqual(h.engine.activeAlerts(), []);
  fsync.observe(0.09);
  await h.at(1_000);
  assert.equal(h.engine.activeAlerts().length, 1);
});

test('error rate: the 5xx share of HTTP requests over a window, from counter deltas', async () => {
  const registry = new Registry();
  const requests = new Counter({ name: 'oxirs_http_requests_total', help: 'h', labelNames: ['route', 'method', 'status'], registers: [registry] });
  // Errors from long ago do not count.
  requests.inc({ route: '/sparql', method: 'POST', status: '503' }, 500);
  const rule = errorRateRule({ name: 'error-rate', severity: 'warning', forMs: 0, thresholdPercent: 5, windowMs: 60_000, minRequests: 20 });
  const h = harness([rule], registry);
  await h.at(0);
  requests.inc({ route: '/sparql', method: 'GET', status: '200' }, 190);
  requests.inc({ route: '/sparql', method: 'GET', status: '400' }, 5); // 4xx is the client's fault
  requests.inc({ route: '/update', method: 'POST', status: '503' }, 5);
  await h.at(10_000);
  assert.deepEqual(h.engine.activeAlerts(), [], '5 of 200 is 2.5%');
  requests.inc({ route: '/update', method: 'POST', status: '500' }, 10);
  await h.at(10_000);
  assert.deepEqual(h.engine.activeAlerts().map((a) => a.summary), ['7.1% of HTTP requests failed with 5xx (15 of 210) over the last 20 s (above 5%) for 0 s']);
});

test('error rate needs a minimum number of requests', async () => {
  const registry = new Registry();
  const requests = new Counter({ name: 'oxirs_http_requests_total', help: 'h', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const h = harness([errorRateRule({ name: 'error-rate', severity: 'warning', forMs: 0, thresholdPercent: 5, windowMs: 60_000, minRequests: 20 })], registry);
  await h.at(0);
  requests.inc({ route: '/sparql', method: 'GET', status: '500' }, 19);
  await h.at(1_000);
  assert.deepEqual(h.engine.activeAlerts(), []);
  requests.inc({ route: '/sparql', method: 'GET', status: '500' }, 1);
  await h.at(1_000);
  assert.equal(h.engine.activeAlerts().length, 1);
});

test('two rules may not share a name', () => {
  const rule = noLeaderRule({ name: 'x', severity: 'critical', forMs: 0 });
  assert.throws(() => new AlertEngine({ rules: [rule, rule], source: new MetricSource(new Registry()), nodeId: 'n1', log: () => {} }), /two alert rules are named "x"/);
});

test('the metric source reads a metric by name, and an absent one as undefined', async () => {
  const registry = new Registry();
  const source = new MetricSource(registry);
  assert.equal(await source.read('oxirs_raft_has_leader'), undefined);
  new Gauge({ name: 'oxirs_raft_has_leader', help: 'h', registers: [registry] }).set(1);
  assert.equal((await source.read('oxirs_raft_has_leader'))!.samples[0].value, 1);
});
