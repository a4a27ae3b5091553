// Issue 6, "done when": in a 3-node cluster started with an `alerts` config, kill -9 a follower:
// the leader's "peer unreachable" alert reaches a webhook receiver and a real SMTP server once
// the for-duration has passed (not before), shows in GET /alerts, is notified once, and a resolve
// notice follows the restart. Receivers run in this process on 127.0.0.1.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { httpRequest, sleep, withCluster } from './cluster-harness.ts';

const FOR_MS = 3_000;
const EVALUATE_INTERVAL_MS = 250;
/** How long after the for-duration a notification may take (evaluation, delivery, a loaded machine). */
const DELIVERY_SLACK_MS = 20_000;

interface Arrival {
  atMs: number;
  status: string;
  peer: string | undefined;
  summary: string;
}

async function receivers(t: TestContext) {
  const webhook: Arrival[] = [];
  const mails: Array<{ atMs: number; data: string }> = [];
  const http = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      webhook.push({ atMs: Date.now(), status: body.status, peer: body.alert?.labels?.peer, summary: body.alert?.summary });
      response.writeHead(204).end();
    });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const smtp = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ atMs: Date.now(), data: Buffer.concat(chunks).toString() });
        callback();
      });
    },
  });
  const smtpListener = smtp.listen(0, '127.0.0.1');
  await once(smtpListener, 'listening');
  t.after(async () => {
    http.closeAllConnections();
    http.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });
  return { webhookUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}/alerts`, smtpPort: (smtpListener.address() as AddressInfo).port, webhook, mails };
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const started = Date.now();
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() - started > timeoutMs) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(50);
  }
}

test('a killed follower raises "peer unreachable" at the webhook and over SMTP, then a resolve after restart', { timeout: 180_000 }, async (t) => {
  const sinks = await receivers(t);
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-alerting-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const configFile = join(dir, 'node.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      alerts: {
        evaluateIntervalMs: EVALUATE_INTERVAL_MS,
        rules: [{ kind: 'peer-unreachable', forMs: FOR_MS, severity: 'critical' }],
        sinks: [
          { kind: 'webhook', url: sinks.webhookUrl },
          { kind: 'email', host: '127.0.0.1', port: sinks.smtpPort, tls: 'none', from: 'oxirs@example.org', to: 'ops@example.org' },
        ],
      },
    }),
  );
  await withCluster({ name: 'alerting', extraArgs: ['--config', configFile] }, async (cluster) => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.ids().find((id) => id !== leader)!;
    // Healthy cluster: nothing fires. (Startup itself, while peers connect, is not judged here.)
    const healthySinceMs = Date.now();
    await sleep(FOR_MS + 4 * EVALUATE_INTERVAL_MS);
    assert.deepEqual(sinks.webhook.filter((a) => a.atMs >= healthySinceMs && a.status === 'firing'), [], 'no alert in a healthy cluster');

    await cluster.kill(follower);
    const killedAtMs = Date.now();
    const fired = await waitFor('the firing notification at the webhook', FOR_MS + DELIVERY_SLACK_MS, () =>
      sinks.webhook.find((a) => a.status === 'firing' && a.peer === follower),
    );
    const mail = await waitFor('the firing email', FOR_MS + DELIVERY_SLACK_MS, () => sinks.mails.find((m) => m.data.includes(`[FIRING] critical on ${leader}: peer ${follower} unreachable`)));
    t.diagnostic(`webhook got the alert ${fired.atMs - killedAtMs} ms after the kill, the mail ${mail.atMs - killedAtMs} ms (for-duration ${FOR_MS} ms)`);
    assert.ok(fired.atMs - killedAtMs >= FOR_MS, `fired ${fired.atMs - killedAtMs} ms after the kill, before the for-duration`);
    assert.match(fired.summary, new RegExp(`^peer ${follower} unreachable for \\d+ s$`));

    const listed = await httpRequest(cluster.node(leader).url, '/alerts');
    assert.equal(listed.status, 200);
    const alerts = JSON.parse(listed.body).alerts as Array<Record<string, unknown>>;
    assert.deepEqual(
      alerts.map((a) => [a.id, a.rule, a.severity, a.state]),
      [[`peer-unreachable{peer=${follower}}`, 'peer-unreachable', 'critical', 'firing']],
    );

    await cluster.restart(follower);
    const resolved = await waitFor('the resolve notification at the webhook', DELIVERY_SLACK_MS, () =>
      sinks.webhook.find((a) => a.status === 'resolved' && a.peer === follower),
    );
    await waitFor('the resolve email', DELIVERY_SLACK_MS, () => sinks.mails.find((m) => m.data.includes(`[RESOLVED] critical on ${leader}: peer ${follower} unreachable`)));
    t.diagnostic(`resolve reached the webhook ${resolved.atMs - killedAtMs} ms after the kill`);
    // De-duplication: one firing per episode, although the rule was evaluated every 250 ms.
    assert.equal(sinks.webhook.filter((a) => a.status === 'firing' && a.atMs >= killedAtMs).length, 1, JSON.stringify(sinks.webhook));
    assert.equal(sinks.mails.filter((m) => m.data.includes('[FIRING]') && m.atMs >= killedAtMs).length, 1);
    const after = JSON.parse((await httpRequest(cluster.node(leader).url, '/alerts')).body);
    assert.deepEqual(after, { alerts: [] });
  });
});
