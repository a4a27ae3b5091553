// The sinks against real local receivers: a node:http webhook receiver and a real SMTP server
// (npm smtp-server), both on 127.0.0.1 and closed after each test. Plus the dispatcher's
// retries, give-up bound, queue bound and isolation between sinks.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { AlertNotification } from '../alert-types.ts';
import { SinkDispatcher } from '../sink-dispatcher.ts';
import { WebhookSink } from './webhook-sink.ts';
import { SlackSink } from './slack-sink.ts';
import { EmailSink } from './email-sink.ts';

const firing: AlertNotification = {
  status: 'firing',
  node: 'n1',
  at: '2025-01-01T00:00:10.000Z',
  alert: {
    id: 'peer-unreachable{peer=n2}',
    rule: 'peer-unreachable',
    severity: 'warning',
    state: 'firing',
    since: '2025-01-01T00:00:00.000Z',
    summary: 'peer n2 unreachable for 10 s',
    labels: { peer: 'n2', node: 'n1' },
  },
};
const resolved: AlertNotification = { ...firing, status: 'resolved', at: '2025-01-01T00:01:00.000Z', durationSeconds: 60 };

interface Received {
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** A webhook receiver on 127.0.0.1; `answer` decides each response's status (by request number). */
async function webhookReceiver(t: TestContext, answer: (n: number) => number = () => 200) {
  const received: Received[] = [];
  let requests = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const status = answer(requests++);
      if (status === 200) received.push({ headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString()) });
      response.writeHead(status).end(status === 200 ? 'ok' : 'try later');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, requests: () => requests };
}

interface Mail {
  from: string | undefined;
  to: string[];
  data: string;
  user: string | undefined;
}

/** A real SMTP server on 127.0.0.1, no TLS offered; with `credentials`, AUTH is required. */
async function smtpServer(t: TestContext, credentials?: { user: string; password: string }) {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    authOptional: credentials === undefined,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (credentials && auth.username === credentials.user && auth.password === credentials.password) return callback(null, { user: auth.username });
      return callback(new Error('bad credentials'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString(),
          user: session.user as string | undefined,
        });
        callback();
      });
    },
  });
  const listener = server.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (listener.address() as AddressInfo).port, mails };
}

const quiet = () => {};
const FAST_RETRY = { maxAttempts: 4, initialBackoffMs: 5, maxBackoffMs: 20, maxQueued: 100 };

test('webhook: the notification as JSON, with the configured headers, firing then resolved', async (t) => {
  const receiver = await webhookReceiver(t);
  const sink = new WebhookSink({ url: receiver.url, headers: { authorization: 'Bearer s3cret' }, timeoutMs: 2_000 });
  await sink.deliver(firing, new AbortController().signal);
  await sink.deliver(resolved, new AbortController().signal);
  assert.equal(receiver.received.length, 2);
  assert.deepEqual(receiver.received[0].body, firing);
  assert.deepEqual(receiver.received[1].body, resolved);
  assert.equal(receiver.received[0].headers.authorization, 'Bearer s3cret');
  assert.equal(receiver.received[0].headers['content-type'], 'application/json');
  assert.equal(sink.name, `webhook ${new URL(receiver.url).origin}`);
});

test('webhook: a non-2xx answer is a failed delivery', async (t) => {
  const receiver = await webhookReceiver(t, () => 500);
  const sink = new WebhookSink({ url: receiver.url, timeoutMs: 2_000 });
  await assert.rejects(sink.deliver(firing, new AbortController().signal), /HTTP 500 from http:\/\/127\.0\.0\.1:\d+: try later/);
});

test("slack: Slack's {text} payload with the alert in plain words", async (t) => {
  const receiver = await webhookReceiver(t);
  const sink = new SlackSink({ url: receiver.url, timeoutMs: 2_000 });
  await sink.deliver(firing, new AbortController().signal);
  await sink.deliver(resolved, new AbortController().signal);
  const [first, second] = receiver.received.map((r) => r.body as Record<string, unknown>);
  assert.deepEqual(Object.keys(first), ['text']);
  assert.match(first.text as string, /^:warning: \[FIRING\] warning on n1: peer n2 unreachable for 10 s\n/);
  assert.match(first.text as string, /\nrule: peer-unreachable\n/);
  assert.match(second.text as string, /^:white_check_mark: \[RESOLVED\] warning on n1: peer n2 unreachable for 10 s\n[\s\S]*resolved: 2025-01-01T00:01:00.000Z, after 1 min/);
});

test('email: delivered to a real SMTP server, with authentication', async (t) => {
  const smtp = await smtpServer(t, { user: 'alerts', password: 'pw' });
  const sink = new EmailSink({ host: '127.0.0.1', port: smtp.port, tls: 'none', user: 'alerts', password: 'pw', from: 'oxirs@example.org', to: ['ops@example.org', 'oncall@example.org'], timeoutMs: 5_000 });
  t.after(() => sink.close());
  await sink.deliver(firing, new AbortController().signal);
  assert.equal(smtp.mails.length, 1);
  const mail = smtp.mails[0];
  assert.equal(mail.from, 'oxirs@example.org');
  assert.deepEqual(mail.to, ['ops@example.org', 'oncall@example.org']);
  assert.equal(mail.user, 'alerts');
  assert.match(mail.data, /^Subject: \[FIRING\] warning on n1: peer n2 unreachable for 10 s\r$/m);
  assert.match(mail.data, /^rule: peer-unreachable\r$/m);
});

test('email: wrong credentials and a required STARTTLS the server does not offer are failures', async (t) => {
  const smtp = await smtpServer(t, { user: 'alerts', password: 'pw' });
  const wrong = new EmailSink({ host: '127.0.0.1', port: smtp.port, tls: 'none', user: 'alerts', password: 'nope', from: 'a@example.org', to: ['b@example.org'], timeoutMs: 5_000 });
  const starttls = new EmailSink({ host: '127.0.0.1', port: smtp.port, tls: 'starttls', user: 'alerts', password: 'pw', from: 'a@example.org', to: ['b@example.org'], timeoutMs: 5_000 });
  t.after(() => {
    wrong.close();
    starttls.close();
  });
  await assert.rejects(wrong.deliver(firing, new AbortController().signal));
  await assert.rejects(starttls.deliver(firing, new AbortController().signal), /STARTTLS/i);
  assert.equal(smtp.mails.length, 0, 'never sent in plain text when TLS was required');
});

test('dispatcher: retries with backoff until the receiver takes it, in order', async (t) => {
  const receiver = await webhookReceiver(t, (n) => (n < 2 ? 503 : 200));
  const logs: string[] = [];
  const dispatcher = new SinkDispatcher([new WebhookSink({ url: receiver.url, timeoutMs: 2_000 })], (level, message) => logs.push(`${level}: ${message}`), FAST_RETRY);
  t.after(() => dispatcher.close());
  dispatcher.notify(firing);
  dispatcher.notify(resolved);
  await dispatcher.idle();
  assert.deepEqual(receiver.received.map((r) => (r.body as AlertNotification).status), ['firing', 'resolved']);
  assert.equal(receiver.requests(), 4);
  assert.deepEqual(logs, ['warn: alert notification delivery failed; retrying', 'warn: alert notification delivery failed; retrying']);
});

test('dispatcher: gives up after maxAttempts; a failing sink does not hold up another', async (t) => {
  const broken = await webhookReceiver(t, () => 500);
  const working = await webhookReceiver(t);
  const logs: string[] = [];
  const dispatcher = new SinkDispatcher(
    [new WebhookSink({ url: broken.url, timeoutMs: 2_000 }), new WebhookSink({ url: working.url, timeoutMs: 2_000 })],
    (level, message) => logs.push(`${level}: ${message}`),
    FAST_RETRY,
  );
  t.after(() => dispatcher.close());
  dispatcher.notify(firing);
  await dispatcher.idle();
  assert.equal(broken.requests(), FAST_RETRY.maxAttempts);
  assert.equal(working.received.length, 1);
  assert.equal(logs.filter((l) => l === 'error: alert notification not delivered; giving up').length, 1);
});

test('dispatcher: notify never waits on a hung sink; the queue is bounded; close aborts', async (t) => {
  // A receiver that never answers.
  const server = createServer(() => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const logs: string[] = [];
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const dispatcher = new SinkDispatcher([new WebhookSink({ url, timeoutMs: 60_000 })], (level, message) => logs.push(`${level}: ${message}`), { ...FAST_RETRY, maxQueued: 3 });
  for (let i = 0; i < 10; i++) dispatcher.notify({ ...firing, alert: { ...firing.alert, id: `a${i}` } });
  // notify returned at once although the first delivery hangs; 1 in flight + 3 queued, 6 dropped.
  assert.equal(logs.filter((l) => l.includes('queue full')).length, 6);
  await dispatcher.close();
  dispatcher.notify(firing); // after close: ignored
  await dispatcher.idle();
});
