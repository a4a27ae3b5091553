// The export stream survives any split into network chunks (a zero-length end marker arriving
// alone included), and a stream cut short is an error, never a shorter backup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeLogExport, PartReader } from './backup-wire.ts';
import type { LogExport } from './backup-source.ts';
import type { Entry } from '../../raft/messages.ts';

const entries: Entry[] = Array.from({ length: 40 }, (_, i) => ({ index: i + 2, term: 1, type: 'normal', data: new Uint8Array(i) }));

async function encoded(): Promise<Buffer> {
  const exported: LogExport = {
    head: { clusterId: 'c', nodeId: 'n1', toIndex: 41, term: 1, logClockMs: null, localWrites: 0, fromIndex: 2, prevTerm: 1 },
    batches: (async function* () {
      for (let i = 0; i < entries.length; i += 7) yield entries.slice(i, i + 7);
    })(),
    dataset: async () => ({ quads: 3, hash: 'ab' }),
    abort: () => undefined,
  };
  const parts: Uint8Array[] = [];
  for await (const part of encodeLogExport(exported)) parts.push(part);
  return Buffer.concat(parts);
}

async function* split(bytes: Buffer, sizes: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length];
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

test('any chunking reads back the same head, entries and tail', async () => {
  const bytes = await encoded();
  for (const sizes of [[1], [2, 3], [4], [5, 1, 9], [bytes.length], [bytes.length - 4, 4]]) {
    const reader = new PartReader(split(bytes, sizes));
    const head = await reader.json<{ toIndex: number }>();
    assert.equal(head.toIndex, 41);
    const got: Entry[] = [];
    for await (const batch of reader.entries()) got.push(...batch);
    assert.deepEqual(got.map((e) => e.index), entries.map((e) => e.index));
    assert.deepEqual(await reader.tail(), { quads: 3, hash: 'ab' }, `chunks of ${sizes}`);
  }
  // The tail is found even when the body was not read.
  const skipping = new PartReader(split(bytes, [3]));
  await skipping.json();
  assert.deepEqual(await skipping.tail(), { quads: 3, hash: 'ab' });
});

test('a truncated stream is an error', async () => {
  const bytes = await encoded();
  for (const cut of [10, bytes.length - 30, bytes.length - 1]) {
    const reader = new PartReader(split(bytes.subarray(0, cut), [7]));
    await assert.rejects(async () => {
      await reader.json();
      for await (const _ of reader.entries());
      await reader.tail();
    }, /ended early|no head or tail|JSON/);
  }
});
