// The config file's structured `alerts` key: accepted next to the flag keys, validated with the
// bad field named, defaults without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, resolveNodeConfig } from './node-config.ts';

test('alerts in the config file: parsed, validated, defaults without it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-node-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'node.json');
  const env = {};

  writeFileSync(file, JSON.stringify({ 'node-id': 'n1', alerts: { evaluateIntervalMs: 1000, rules: [{ kind: 'peer-unreachable', forMs: 2000 }], sinks: [{ kind: 'webhook', url: 'http://127.0.0.1:9/hook' }] } }));
  const config = resolveNodeConfig({}, file, env);
  assert.equal(config.nodeId, 'n1');
  assert.equal(config.alerts.evaluateIntervalMs, 1000);
  assert.deepEqual(config.alerts.rules.map((r) => `${r.name}:${r.forMs}`), ['peer-unreachable:2000']);
  assert.equal(config.alerts.sinks.length, 1);

  assert.ok(resolveNodeConfig({ 'node-id': 'n1' }, undefined, env).alerts.rules.length > 0, 'default rules without a config file');

  writeFileSync(file, JSON.stringify({ alerts: { rules: [{ kind: 'disk-free', thresholdPercent: 'ten' }] } }));
  assert.throws(() => resolveNodeConfig({ 'node-id': 'n1' }, file, env), (error: Error) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, new RegExp(`^config file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: alerts\\.rules\\[0\\]\\.thresholdPercent: `));
    return true;
  });

  writeFileSync(file, JSON.stringify({ alertz: {} }));
  assert.throws(() => resolveNodeConfig({ 'node-id': 'n1' }, file, env), { message: /unknown key "alertz" \(known: .*\balerts\b.*\)$/ });
});
