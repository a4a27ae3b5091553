import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RULES, parseAlertingConfig } from './alerting-config.ts';
import { buildRule } from './alerting.ts';

test('no alerts key: the default rules, no sinks', () => {
  const config = parseAlertingConfig(undefined);
  assert.equal(config.evaluateIntervalMs, 5_000);
  assert.deepEqual(config.sinks, []);
  assert.equal(config.rules.length, DEFAULT_RULES.length);
  assert.deepEqual(
    config.rules.map((r) => `${r.name}:${r.severity}:${r.forMs}`),
    [
      'no-leader:critical:10000',
      'peer-unreachable:warning:10000',
      'replica-lag:warning:30000',
      'wal-fsync-p99:warning:60000',
      'disk-free:critical:60000',
      'error-rate:warning:60000',
      'query-latency-p99-anomaly:warning:30000',
      'update-latency-p99-anomaly:warning:30000',
      'update-throughput-anomaly:info:30000',
    ],
  );
  for (const rule of config.rules) buildRule(rule);
});

test('alerts without rules keeps the defaults; an empty list turns rules off', () => {
  assert.equal(parseAlertingConfig({ sinks: [] }).rules.length, DEFAULT_RULES.length);
  assert.deepEqual(parseAlertingConfig({ rules: [] }).rules, []);
});

test('given rules get their defaults filled in', () => {
  const config = parseAlertingConfig({
    evaluateIntervalMs: 1_000,
    rules: [
      { kind: 'disk-free', thresholdPercent: 20 },
      { kind: 'anomaly', series: 'update-throughput', direction: 'both' },
      { kind: 'anomaly', name: 'q-lat', series: 'query-latency-p99', severity: 'critical', zThreshold: 5 },
    ],
  });
  assert.equal(config.evaluateIntervalMs, 1_000);
  assert.deepEqual(config.rules[0], { kind: 'disk-free', name: 'disk-free', severity: 'critical', forMs: 60_000, thresholdPercent: 20 });
  assert.equal(config.rules[1].name, 'update-throughput-anomaly');
  assert.equal(config.rules[1].severity, 'info');
  assert.deepEqual(config.rules[2], {
    kind: 'anomaly',
    name: 'q-lat',
    series: 'query-latency-p99',
    severity: 'critical',
    direction: 'high',
    forMs: 30_000,
    zThreshold: 5,
    minSamples: 30,
    sampleIntervalMs: 10_000,
    minObservations: 10,
    seasonality: 'hour-of-day',
  });
});

test('sinks: defaults, email port by TLS mode, one recipient as a string, password from @FILE', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-alert-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'smtp-password'), 'hunter2\n');
  const config = parseAlertingConfig({
    sinks: [
      { kind: 'webhook', url: 'https://hooks.example.org/x', headers: { authorization: 'Bearer t' } },
      { kind: 'slack', url: 'https://hooks.slack.com/services/T/B/X', minSeverity: 'critical' },
      { kind: 'email', host: 'smtp.example.org', from: 'oxirs@example.org', to: 'ops@example.org', user: 'u', password: `@${join(dir, 'smtp-password')}` },
      { kind: 'email', host: 'smtp.example.org', tls: 'implicit', from: 'oxirs@example.org', to: ['a@example.org', 'b@example.org'] },
    ],
  });
  assert.deepEqual(config.sinks[0], { kind: 'webhook', url: 'https://hooks.example.org/x', headers: { authorization: 'Bearer t' }, timeoutMs: 5_000, minSeverity: 'warning' });
  assert.equal(config.sinks[1].minSeverity, 'critical');
  assert.deepEqual(config.sinks[2], {
    kind: 'email',
    host: 'smtp.example.org',
    port: 587,
    tls: 'starttls',
    from: 'oxirs@example.org',
    to: ['ops@example.org'],
    user: 'u',
    password: 'hunter2',
    timeoutMs: 10_000,
    minSeverity: 'warning',
  });
  assert.equal(config.sinks[3].kind === 'email' && config.sinks[3].port, 465);
});

test('bad input is an error naming the field', () => {
  const cases: Array<[unknown, RegExp]> = [
    [[], /^alerts: Invalid input: expected object, received array$/],
    [{ evaluateIntervalMs: '5s' }, /^alerts\.evaluateIntervalMs: /],
    [{ evaluateIntervalMs: 10 }, /^alerts\.evaluateIntervalMs: Too small/],
    [{ severity: 'x' }, /^alerts: Unrecognized key: "severity"$/],
    [{ rules: [{ kind: 'nope' }] }, /^alerts\.rules\[0\]\.kind: must be one of no-leader, peer-unreachable, replica-lag, wal-fsync-p99, disk-free, error-rate, anomaly$/],
    [{ rules: [{ thresholdPercent: 3 }] }, /^alerts\.rules\[0\]\.kind: must be one of/],
    [{ rules: [{ kind: 'disk-free' }, { kind: 'error-rate', thresholdPercent: 0 }] }, /^alerts\.rules\[1\]\.thresholdPercent: Too small/],
    [{ rules: [{ kind: 'disk-free', treshold: 3 }] }, /^alerts\.rules\[0\]: Unrecognized key: "treshold"$/],
    [{ rules: [{ kind: 'no-leader', forMs: -1 }] }, /^alerts\.rules\[0\]\.forMs: /],
    [{ rules: [{ kind: 'no-leader', severity: 'page' }] }, /^alerts\.rules\[0\]\.severity: /],
    [{ rules: [{ kind: 'no-leader', name: 'a b' }] }, /^alerts\.rules\[0\]\.name: must be 1 to 64 letters/],
    [{ rules: [{ kind: 'anomaly', series: 'cpu' }] }, /^alerts\.rules\[0\]\.series: /],
    [{ rules: [{ kind: 'anomaly' }] }, /^alerts\.rules\[0\]\.series: /],
    [{ rules: [{ kind: 'peer-unreachable' }, { kind: 'peer-unreachable', forMs: 0 }] }, /^alerts\.rules\[1\]\.name: "peer-unreachable" is used by an earlier rule/],
    [{ sinks: [{ kind: 'pager' }] }, /^alerts\.sinks\[0\]\.kind: must be one of webhook, slack, email$/],
    [{ sinks: [{ kind: 'webhook' }] }, /^alerts\.sinks\[0\]\.url: /],
    [{ sinks: [{ kind: 'webhook', url: 'file:///etc/passwd' }] }, /^alerts\.sinks\[0\]\.url: must be an http:\/\/ or https:\/\/ URL$/],
    [{ sinks: [{ kind: 'email', host: 'h', from: 'a@b.c', to: [] }] }, /^alerts\.sinks\[0\]\.to: /],
    [{ sinks: [{ kind: 'email', host: 'h', from: 'a@b.c', to: 'x@y.z', password: '@/nonexistent/pw' }] }, /^alerts\.sinks\[0\]\.password: cannot read \/nonexistent\/pw/],
  ];
  for (const [value, expected] of cases) assert.throws(() => parseAlertingConfig(value), { message: expected }, JSON.stringify(value));
});
