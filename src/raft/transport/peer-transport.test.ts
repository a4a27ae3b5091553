import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerTransport, type TransportLog } from './peer-transport.ts';
import { pack } from 'msgpackr';
import { FrameDecoder, encodeFrame, encodeBatch, ChunkAssembler, outgoingMessage, CHUNK_BYTES } from './frames.ts';

const HOST = '127.0.0.1';
const WAIT_LIMIT_MS = 10_000;

async function until(condition: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > WAIT_LIMIT_MS) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Node {
  transport: PeerTransport;
  received: Array<[string, unknown]>;
  logs: string[];
}

/** Starts transports for the given ids on ephemeral ports, each knowing the others. */
async function cluster(ids: string[], secrets: Record<string, string | undefined>): Promise<Record<string, Node>> {
  const nodes: Record<string, Node> = {};
  const ports: Record<string, number> = {};
  // Listen first (port 0), then tell every node where the others are.
  for (const id of ids) {
    const received: Array<[string, unknown]> = [];
    const logs: string[] = [];
    const log: TransportLog = (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields)}`);
    const transport = new PeerTransport({ nodeId: id, listen: { host: HOST, port: 0 }, peers: {}, clusterSecret: secrets[id], onMessage: (from, m) => received.push([from, m]), log });
    ports[id] = await transport.start();
    nodes[id] = { transport, received, logs };
  }
  for (const id of ids) for (const other of ids) if (other !== id) nodes[id].transport.addPeer(other, { host: HOST, port: ports[other] });
  return nodes;
}

async function closeAll(nodes: Record<string, Node>): Promise<void> {
  await Promise.all(Object.values(nodes).map((n) => n.transport.close()));
}

test('frames survive being split at every byte', () => {
  const frames = [encodeFrame({ t: 'batch', messages: [{ type: 'append', entries: [1, 2, 3] }, 'x'] }), encodeFrame({ t: 'proof', proof: new Uint8Array([1, 2, 3]) })];
  const bytes = Buffer.concat(frames);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const decoder = new FrameDecoder();
    const out = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))];
    assert.equal(out.length, 2, `cut ${cut}`);
    assert.deepEqual((out[0] as { messages: unknown[] }).messages[1], 'x');
  }
});

test('a batch of messages packed one by one decodes as the batch frame of those messages', () => {
  for (const count of [1, 15, 16, 300, 1024]) {
    const messages = Array.from({ length: count }, (_, i) => ({ type: 'append', index: i, entries: [{ data: new Uint8Array([i & 0xff, 1, 2]) }] }));
    const frame = encodeBatch(messages.map((m) => pack(m)));
    assert.deepEqual(frame, encodeFrame({ t: 'batch', messages }), `${count} messages`);
    const [decoded] = new FrameDecoder().push(frame) as Array<{ t: string; messages: Array<{ index: number }> }>;
    assert.equal(decoded.t, 'batch');
    assert.deepEqual(decoded.messages.map((m) => m.index), messages.map((m) => m.index));
  }
});

test('a large message travels in chunks and is reassembled', () => {
  const big = { type: 'snapshot', data: new Uint8Array(CHUNK_BYTES * 2 + 123).fill(7) };
  const { items: frames } = outgoingMessage(big, 1);
  assert.equal(frames.length, 3);
  const assembler = new ChunkAssembler();
  const results = frames.map((f) => assembler.push(f as never));
  assert.deepEqual(results.slice(0, 2), [undefined, undefined]);
  assert.equal((results[2] as { data: Uint8Array }).data.length, big.data.length);
});

test('three nodes with the secret exchange messages both ways over one connection per pair', async () => {
  const nodes = await cluster(['a', 'b', 'c'], { a: 's3cret', b: 's3cret', c: 's3cret' });
  try {
    await until(() => ['b', 'c'].every((p) => nodes.a.transport.isConnected(p)) && nodes.b.transport.isConnected('c'), 'connections');
    for (let i = 0; i < 100; i++) {
      nodes.a.transport.send('b', { n: i, from: 'a' });
      nodes.c.transport.send('a', { n: i, from: 'c' });
      nodes.b.transport.send('c', { n: i, from: 'b' });
    }
    const big = new Uint8Array(CHUNK_BYTES * 3).fill(1);
    nodes.c.transport.send('b', { snapshot: big });
    await until(() => nodes.b.received.length === 101 && nodes.a.received.length === 100 && nodes.c.received.length === 100, 'delivery');
    assert.deepEqual(nodes.b.received.slice(0, 100).map(([from, m]) => [from, (m as { n: number }).n]), Array.from({ length: 100 }, (_, i) => ['a', i]));
    assert.equal(((nodes.b.received[100][1] as { snapshot: Uint8Array }).snapshot).length, big.length);
  } finally {
    await closeAll(nodes);
  }
});

test('a peer without the cluster secret is refused and logged; nothing it sends is delivered', async () => {
  const nodes = await cluster(['a', 'b'], { a: 'right', b: 'wrong' });
  try {
    await until(() => nodes.a.logs.some((l) => l.includes('refused')) || nodes.b.logs.some((l) => l.includes('refused')), 'a refusal in the log');
    nodes.a.transport.send('b', 'hello');
    nodes.b.transport.send('a', 'hello');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(nodes.a.transport.isConnected('b'), false);
    assert.equal(nodes.b.received.length + nodes.a.received.length, 0);
  } finally {
    await closeAll(nodes);
  }
});

test('the dialer reconnects after its peer restarts', async () => {
  const nodes = await cluster(['a', 'b'], { a: 'k', b: 'k' });
  try {
    await until(() => nodes.a.transport.isConnected('b'), 'first connection');
    const port = (nodes.b.transport as unknown as { server: { address(): { port: number } } }).server.address().port;
    await nodes.b.transport.close();
    await until(() => !nodes.a.transport.isConnected('b'), 'disconnect');
    const received: Array<[string, unknown]> = [];
    const restarted = new PeerTransport({ nodeId: 'b', listen: { host: HOST, port }, peers: {}, clusterSecret: 'k', onMessage: (from, m) => received.push([from, m]) });
    restarted.addPeer('a', { host: HOST, port: 1 });
    await restarted.start();
    try {
      await until(() => nodes.a.transport.isConnected('b'), 'reconnection');
      nodes.a.transport.send('b', 'after restart');
      await until(() => received.length === 1, 'delivery after restart');
      assert.deepEqual(received[0], ['a', 'after restart']);
    } finally {
      await restarted.close();
    }
  } finally {
    await closeAll(nodes);
  }
});

test('memory stays bounded when a peer is unreachable: messages past the bound are dropped and counted', async () => {
  const transport = new PeerTransport({ nodeId: 'a', listen: { host: HOST, port: 0 }, peers: { b: { host: HOST, port: 9 } }, clusterSecret: 'k', onMessage: () => undefined, maxQueuedBytes: 10_000 });
  await transport.start();
  try {
    for (let i = 0; i < 1000; i++) transport.send('b', { payload: 'x'.repeat(100) });
    assert.ok(transport.droppedMessages('b') > 900, `${transport.droppedMessages('b')} dropped`);
  } finally {
    await transport.close();
  }
});
