import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriteAheadLog, WalCorruptionError } from './write-ahead-log.ts';
import type { Entry } from '../messages.ts';

function entry(index: number, term: number, text = `e${index}`): Entry {
  return { index, term, type: 'normal', data: new TextEncoder().encode(text) };
}

function withDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-wal-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function all(wal: WriteAheadLog): Entry[] {
  const result = wal.entries(wal.firstIndex(), wal.lastIndex() + 1, Infinity);
  assert.ok(result.ok);
  return result.value;
}

function texts(wal: WriteAheadLog): string[] {
  return all(wal).map((e) => `${e.index}/${e.term}:${new TextDecoder().decode(e.data)}`);
}

test('entries, hard state and configuration survive closing and reopening', () => {
  withDir((dir) => {
    let wal = WriteAheadLog.open(dir);
    wal.save({ entries: [entry(1, 1), entry(2, 1)], hardState: { term: 1, vote: 'a', commit: 1 } });
    wal.save({ entries: [entry(3, 2)], hardState: { term: 2, vote: 'b', commit: 2 } });
    wal.setConfState({ voters: ['a', 'b', 'c'], votersOutgoing: [], learners: ['d'], learnersNext: [], autoLeave: false });
    wal.close();
    wal = WriteAheadLog.open(dir);
    assert.deepEqual(texts(wal), ['1/1:e1', '2/1:e2', '3/2:e3']);
    assert.deepEqual(wal.initialState().hardState, { term: 2, vote: 'b', commit: 2 });
    assert.deepEqual(wal.initialState().confState.learners, ['d']);
    assert.deepEqual(wal.term(3), { ok: true, value: 2 });
    assert.deepEqual(wal.term(0), { ok: true, value: 0 });
    assert.deepEqual(wal.term(4), { ok: false, miss: 'unavailable' });
    wal.close();
  });
});

test('an entry at an existing index replaces it and everything after it, also after a restart', () => {
  withDir((dir) => {
    let wal = WriteAheadLog.open(dir);
    wal.save({ entries: [1, 2, 3, 4, 5].map((i) => entry(i, 1)) });
    wal.save({ entries: [entry(3, 2, 'x3'), entry(4, 2, 'x4')] });
    assert.deepEqual(texts(wal), ['1/1:e1', '2/1:e2', '3/2:x3', '4/2:x4']);
    wal.close();
    wal = WriteAheadLog.open(dir);
    assert.deepEqual(texts(wal), ['1/1:e1', '2/1:e2', '3/2:x3', '4/2:x4']);
    wal.close();
  });
});

test('a cut at every byte of the last record is a torn tail: recovery drops exactly that record', () => {
  withDir((dir) => {
    const source = join(dir, 'source');
    const wal = WriteAheadLog.open(source);
    wal.save({ entries: [entry(1, 1), entry(2, 1)], hardState: { term: 1, vote: null, commit: 1 } });
    const [segmentName] = readdirSync(source);
    const beforeLast = statSync(join(source, segmentName)).size;
    wal.save({ entries: [entry(3, 1, 'the last record, long enough to be cut in many places')] });
    wal.close();
    const full = statSync(join(source, segmentName)).size;
    assert.ok(full - beforeLast > 40);
    for (let cut = beforeLast; cut <= full; cut++) {
      const copy = join(dir, `cut-${cut}`);
      mkdirSync(copy);
      copyFileSync(join(source, segmentName), join(copy, segmentName));
      truncateSync(join(copy, segmentName), cut);
      const recovered = WriteAheadLog.open(copy);
      assert.equal(recovered.lastIndex(), cut === full ? 3 : 2, `cut at byte ${cut}`);
      assert.equal(statSync(join(copy, segmentName)).size, cut === full ? full : beforeLast, `the torn bytes are cut off (cut ${cut})`);
      // The log takes appends after recovery and keeps them.
      recovered.save({ entries: [entry(recovered.lastIndex() + 1, 2, 'after')] });
      recovered.close();
      const again = WriteAheadLog.open(copy);
      assert.equal(texts(again).at(-1), `${cut === full ? 4 : 3}/2:after`);
      again.close();
      rmSync(copy, { recursive: true });
    }
  });
});

test('a damaged record that is not the torn tail is corruption, named by file and byte', () => {
  withDir((dir) => {
    const wal = WriteAheadLog.open(dir);
    for (let i = 1; i <= 5; i++) wal.save({ entries: [entry(i, 1)] });
    wal.close();
    const [segmentName] = readdirSync(dir);
    const path = join(dir, segmentName);
    const bytes = readFileSync(path);
    const flipAt = Math.floor(bytes.length / 2);
    bytes[flipAt] ^= 0xff;
    writeFileSync(path, bytes);
    assert.throws(() => WriteAheadLog.open(dir), (error: unknown) => error instanceof WalCorruptionError && error.message.includes(segmentName) && /byte \d+/.test(error.message));
  });
});

test('segments rotate by size; compaction keeps the entries after the snapshot and deletes old segments', () => {
  withDir((dir) => {
    let wal = WriteAheadLog.open(dir, { segmentBytes: 600 });
    for (let i = 1; i <= 60; i++) wal.save({ entries: [entry(i, 1 + Math.floor(i / 20))], hardState: { term: 1 + Math.floor(i / 20), vote: null, commit: i - 1 } });
    assert.ok(wal.segmentCount() > 3, `${wal.segmentCount()} segments`);
    wal.compact(50);
    assert.equal(wal.segmentCount(), 1);
    assert.equal(wal.firstIndex(), 51);
    assert.deepEqual(wal.term(50), { ok: true, value: 3 });
    assert.deepEqual(wal.entries(40, 45, Infinity), { ok: false, miss: 'compacted' });
    wal.save({ entries: [entry(61, 4)] });
    wal.close();
    wal = WriteAheadLog.open(dir, { segmentBytes: 600 });
    assert.equal(wal.firstIndex(), 51);
    assert.deepEqual(all(wal).map((e) => e.index), [51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61]);
    assert.equal(wal.initialState().hardState.commit, 59);
    assert.equal(wal.snapshot().ok && wal.snapshot().ok ? (wal.snapshot() as { ok: true; value: { metadata: { index: number } } }).value.metadata.index : -1, 50);
    wal.close();
  });
});

test('installing a snapshot past the end of the log empties it, durably', () => {
  withDir((dir) => {
    let wal = WriteAheadLog.open(dir);
    wal.save({ entries: [entry(1, 1), entry(2, 1)] });
    wal.applySnapshot({ index: 100, term: 7, confState: { voters: ['a'], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false } });
    assert.equal(wal.firstIndex(), 101);
    assert.equal(wal.lastIndex(), 100);
    wal.save({ entries: [entry(101, 7)] });
    wal.close();
    wal = WriteAheadLog.open(dir);
    assert.equal(wal.firstIndex(), 101);
    assert.deepEqual(all(wal).map((e) => e.index), [101]);
    assert.deepEqual(wal.term(100), { ok: true, value: 7 });
    assert.ok(wal.initialState().hardState.commit >= 100);
    wal.close();
  });
});

test('a crash after a compaction wrote its new segment but before old ones were deleted replays to the same log', () => {
  withDir((dir) => {
    const wal = WriteAheadLog.open(join(dir, 'a'), { segmentBytes: 400 });
    for (let i = 1; i <= 30; i++) wal.save({ entries: [entry(i, 1)] });
    const oldSegments = readdirSync(join(dir, 'a')).map((name) => [name, readFileSync(join(dir, 'a', name))] as const);
    wal.compact(25);
    wal.close();
    // Put the deleted segments back, as if the process died before unlinking them.
    for (const [name, bytes] of oldSegments) writeFileSync(join(dir, 'a', name), bytes);
    const recovered = WriteAheadLog.open(join(dir, 'a'), { segmentBytes: 400 });
    assert.equal(recovered.firstIndex(), 26);
    assert.deepEqual(all(recovered).map((e) => e.index), [26, 27, 28, 29, 30]);
    recovered.close();
  });
});

test('saveAsync is save with the sync off the event loop: the same log after a reopen, across a segment rotation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-wal-'));
  try {
    let wal = WriteAheadLog.open(dir, { segmentBytes: 256 });
    for (let i = 1; i <= 20; i++) await wal.saveAsync({ entries: [entry(i, 1, `async-${i}`)], hardState: { term: 1, vote: 'a', commit: i - 1 } });
    assert.ok(wal.segmentCount() > 1);
    wal.close();
    wal = WriteAheadLog.open(dir);
    assert.equal(wal.lastIndex(), 20);
    assert.deepEqual(wal.initialState().hardState, { term: 1, vote: 'a', commit: 19 });
    assert.equal(texts(wal)[19], '20/1:async-20');
    wal.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('saveAsync writes nothing for a hard state that only moved the commit index', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-wal-'));
  try {
    const wal = WriteAheadLog.open(dir);
    await wal.saveAsync({ entries: [entry(1, 1)], hardState: { term: 1, vote: 'a', commit: 0 } });
    const contents = () => readdirSync(dir).map((name) => readFileSync(join(dir, name)).toString('base64'));
    const before = contents();
    await wal.saveAsync({ hardState: { term: 1, vote: 'a', commit: 1 } });
    assert.deepEqual(contents(), before);
    assert.equal(wal.initialState().hardState.commit, 1);
    // A vote is never skipped.
    await wal.saveAsync({ hardState: { term: 2, vote: 'b', commit: 1 } });
    assert.notDeepEqual(contents(), before);
    wal.close();
    assert.deepEqual(WriteAheadLog.open(dir).initialState().hardState, { term: 2, vote: 'b', commit: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a preallocated segment: writes land on its zeros, a restart goes on after the last record, the zeros are never read as records', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-wal-'));
  try {
    let wal = WriteAheadLog.open(dir, { preallocateBytes: 64 * 1024 });
    for (let i = 1; i <= 10; i++) await wal.saveAsync({ entries: [entry(i, 1)], hardState: { term: 1, vote: 'a', commit: i - 1 } });
    wal.close();
    const [name] = readdirSync(dir);
    const bytes = readFileSync(join(dir, name));
    assert.ok(bytes.length >= 64 * 1024, `the segment is preallocated (${bytes.length} bytes)`);
    assert.equal(bytes.at(-1), 0);
    wal = WriteAheadLog.open(dir, { preallocateBytes: 64 * 1024 });
    assert.equal(wal.lastIndex(), 10);
    assert.equal(statSync(join(dir, name)).size, bytes.length, 'the zeros are kept across a restart');
    for (let i = 11; i <= 12; i++) await wal.saveAsync({ entries: [entry(i, 1)] });
    wal.close();
    wal = WriteAheadLog.open(dir);
    assert.deepEqual(all(wal).map((e) => e.index), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    wal.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a torn write in a preallocated segment: a record with a sector that never reached the disk, or whose first sector did not, is cut', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-wal-'));
  try {
    const source = join(dir, 'source');
    const wal = WriteAheadLog.open(source, { preallocateBytes: 64 * 1024 });
    await wal.saveAsync({ entries: [entry(1, 1), entry(2, 1)], hardState: { term: 1, vote: null, commit: 1 } });
    const [name] = readdirSync(source);
    const recordsEnd = (bytes: Buffer) => bytes.length - [...bytes].reverse().findIndex((b) => b !== 0);
    const beforeLast = recordsEnd(readFileSync(join(source, name)));
    // The last write: one entry spanning several sectors.
    await wal.saveAsync({ entries: [entry(3, 1, 'x'.repeat(3000))] });
    wal.close();
    const full = readFileSync(join(source, name));
    const end = recordsEnd(full);
    const sectors: number[] = [];
    for (let at = Math.floor(beforeLast / 512) * 512; at < end; at += 512) sectors.push(at);
    assert.ok(sectors.length >= 5);
    for (const sector of sectors) {
      const copy = join(dir, `torn-${sector}`);
      mkdirSync(copy);
      const torn = Buffer.from(full);
      // Only bytes of the last write can be lost: the part of the sector before it was synced earlier.
      torn.fill(0, Math.max(sector, beforeLast), Math.min(sector + 512, end));
      writeFileSync(join(copy, name), torn);
      const recovered = WriteAheadLog.open(copy);
      assert.equal(recovered.lastIndex(), 2, `sector at ${sector} lost`);
      recovered.save({ entries: [entry(3, 2, 'after')] });
      recovered.close();
      const again = WriteAheadLog.open(copy);
      assert.deepEqual(texts(again), ['1/1:e1', '2/1:e2', '3/2:after']);
      again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a sealed segment that kept its zeros (a crash before it was cut) replays, and damage in the middle of a preallocated segment is still corruption', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-wal-'));
  try {
    let wal = WriteAheadLog.open(dir, { segmentBytes: 2000, preallocateBytes: 8192 });
    for (let i = 1; i <= 40; i++) await wal.saveAsync({ entries: [entry(i, 1, `value-${i}`.padEnd(100, '.'))] });
    assert.ok(wal.segmentCount() > 1);
    wal.close();
    const names = readdirSync(dir).sort();
    const first = join(dir, names[0]);
    writeFileSync(first, Buffer.concat([readFileSync(first), Buffer.alloc(5000)]));
    wal = WriteAheadLog.open(dir);
    assert.equal(wal.lastIndex(), 40);
    wal.close();
    const last = join(dir, names.at(-1)!);
    const bytes = readFileSync(last);
    bytes[40] ^= 0xff;
    writeFileSync(last, bytes);
    assert.throws(() => WriteAheadLog.open(dir), WalCorruptionError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
