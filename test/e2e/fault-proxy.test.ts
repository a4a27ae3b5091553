// The fault proxy against a local echo server: each mode, switched while connections are open.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { FaultProxy } from './fault-proxy.ts';

const WAIT_MS_MAX = 5_000;

let echo: Server;
let echoPort: number;
/** Every byte the echo server received, so a test can tell which direction was cut. */
let echoReceived = 0;
const echoSockets = new Set<Socket>();
const proxies: FaultProxy[] = [];
const clients: Socket[] = [];

before(async () => {
  echo = createServer((socket) => {
    echoSockets.add(socket);
    socket.on('close', () => echoSockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      echoReceived += chunk.length;
      socket.write(chunk);
    });
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  echoPort = (echo.address() as { port: number }).port;
});

after(async () => {
  for (const client of clients) client.destroy();
  for (const proxy of proxies) await proxy.close();
  for (const socket of echoSockets) socket.destroy();
  echo.close();
});

async function startProxy(latencyMs = 0): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ targetPort: echoPort, latencyMs });
  proxies.push(proxy);
  return proxy;
}

/** A client whose received bytes accumulate in `text()`, and whose end is observable. */
async function dial(port: number): Promise<{ socket: Socket; text(): string; closed(): boolean; errored(): boolean }> {
  const socket = connect({ host: '127.0.0.1', port });
  clients.push(socket);
  let received = '';
  let closed = false;
  let errored = false;
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('close', () => (closed = true));
  socket.on('error', () => (errored = true));
  // `once` would reject on 'error'; a refused connection is an expected outcome here.
  await new Promise<void>((resolve) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => resolve());
  });
  return { socket, text: () => received, closed: () => closed, errored: () => errored };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > WAIT_MS_MAX) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('pass: bytes round-trip through the proxy', async () => {
  const proxy = await startProxy();
  const client = await dial(proxy.port);
  client.socket.write('hello');
  await until(() => client.text() === 'hello', 'the echo');
  assert.equal(proxy.stats.accepted, 1);
  assert.equal(proxy.stats.bytesForwarded, 10);
});

test('latency delays each direction and keeps the order', async () => {
  const proxy = await startProxy(100);
  const client = await dial(proxy.port);
  const sent = Date.now();
  for (let i = 0; i < 20; i++) client.socket.write(`${i},`);
  const expected = Array.from({ length: 20 }, (_, i) => `${i},`).join('');
  await until(() => client.text().length === expected.length, 'the echo');
  assert.ok(Date.now() - sent >= 190, `round trip took ${Date.now() - sent} ms, expected at least 2 x 100`);
  assert.equal(client.text(), expected);
  proxy.setLatency(0);
  client.socket.write('x');
  const again = Date.now();
  await until(() => client.text().endsWith('x'), 'the echo');
  assert.ok(Date.now() - again < 150);
});

test('blackhole cuts open connections both ways, accepts new ones, and heals', async () => {
  const proxy = await startProxy();
  const client = await dial(proxy.port);
  client.socket.write('a');
  await until(() => client.text() === 'a', 'the first echo');

  proxy.setMode('blackhole');
  const receivedBefore = echoReceived;
  client.socket.write('lost');
  const fresh = await dial(proxy.port);
  fresh.socket.write('lost too');
  await sleep(200);
  assert.equal(echoReceived, receivedBefore, 'nothing reaches the target');
  assert.equal(client.text(), 'a', 'nothing comes back');
  assert.equal(fresh.text(), '');
  assert.ok(!client.closed() && !fresh.closed(), 'connections stay open during the partition');
  assert.ok(proxy.stats.bytesDropped >= 'lost'.length + 'lost too'.length);

  // The reverse direction alone: bytes the target sends on an open connection are dropped.
  proxy.setMode('pass');
  await until(() => client.closed() && fresh.closed(), 'connections that lost bytes to be reset on heal');
  const survivor = await dial(proxy.port);
  survivor.socket.write('b');
  await until(() => survivor.text() === 'b', 'the echo after heal');
  proxy.setMode('blackhole');
  for (const socket of echoSockets) socket.write('from-target');
  await sleep(200);
  assert.equal(survivor.text(), 'b', 'bytes from the target are dropped');

  proxy.setMode('pass');
  await until(() => survivor.closed(), 'the survivor to be reset: it lost bytes');
  const healed = await dial(proxy.port);
  healed.socket.write('c');
  await until(() => healed.text() === 'c', 'the echo on a new connection');
});

test('a blackhole that dropped nothing leaves connections usable', async () => {
  const proxy = await startProxy();
  const client = await dial(proxy.port);
  client.socket.write('a');
  await until(() => client.text() === 'a', 'the echo');
  proxy.setMode('blackhole');
  await sleep(50);
  proxy.setMode('pass');
  client.socket.write('b');
  await until(() => client.text() === 'ab', 'the echo after an idle partition');
  assert.ok(!client.closed());
});

test('stall holds bytes and delivers them in order on heal', async () => {
  const proxy = await startProxy();
  const client = await dial(proxy.port);
  client.socket.write('1');
  await until(() => client.text() === '1', 'the echo');
  proxy.setMode('stall');
  const receivedBefore = echoReceived;
  client.socket.write('2');
  client.socket.write('3');
  await sleep(200);
  assert.equal(echoReceived, receivedBefore);
  assert.equal(client.text(), '1');
  proxy.setMode('pass');
  await until(() => client.text() === '123', 'delivery after the stall');
  assert.ok(!client.closed());
});

test('reset destroys open connections and refuses new ones until healed', async () => {
  const proxy = await startProxy();
  const client = await dial(proxy.port);
  client.socket.write('a');
  await until(() => client.text() === 'a', 'the echo');
  const echoConnections = echoSockets.size;
  proxy.setMode('reset');
  await until(() => client.closed(), 'the open connection to be reset');
  assert.ok(client.errored(), 'the client sees an error (ECONNRESET), not an orderly close');
  await until(() => echoSockets.size < echoConnections, 'the target side to be closed too');

  const refused = await dial(proxy.port);
  await until(() => refused.closed(), 'a new connection to be refused');
  assert.equal(refused.text(), '');

  proxy.setMode('pass');
  const healed = await dial(proxy.port);
  healed.socket.write('b');
  await until(() => healed.text() === 'b', 'the echo after heal');
});

test('a dead target shows up as a reset connection', async () => {
  const spare = createServer();
  spare.listen(0, '127.0.0.1');
  await once(spare, 'listening');
  const deadPort = (spare.address() as { port: number }).port;
  spare.close();
  await once(spare, 'close');
  const proxy = await FaultProxy.start({ targetPort: deadPort });
  proxies.push(proxy);
  const client = await dial(proxy.port);
  await until(() => client.closed(), 'the connection to a dead target to close');
});

test('close frees the port and every connection', async () => {
  const proxy = await FaultProxy.start({ targetPort: echoPort });
  const port = proxy.port;
  const client = await dial(port);
  client.socket.write('a');
  await until(() => client.text() === 'a', 'the echo');
  proxy.setMode('stall');
  await proxy.close();
  await until(() => client.closed(), 'the client connection to close');
  const again = await FaultProxy.start({ targetPort: echoPort, listenPort: port });
  proxies.push(again);
  assert.equal(again.port, port);
});
