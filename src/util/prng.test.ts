import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prng } from './prng.ts';

test('the same seed gives the same sequence', () => {
  const a = new Prng(42);
  const b = new Prng(42);
  for (let i = 0; i < 100; i++) assert.equal(a.nextUint32(), b.nextUint32());
  assert.notEqual(new Prng(1).nextUint32(), new Prng(2).nextUint32());
});

test('nextInt stays in range and covers it', () => {
  const prng = new Prng(7);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const x = prng.nextInt(10);
    assert.ok(Number.isInteger(x) && x >= 0 && x < 10);
    seen.add(x);
  }
  assert.equal(seen.size, 10);
});

test('nextFloat is in [0, 1) and roughly uniform', () => {
  const prng = new Prng(9);
  let sum = 0;
  for (let i = 0; i < 10000; i++) {
    const x = prng.nextFloat();
    assert.ok(x >= 0 && x < 1);
    sum += x;
  }
  assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02);
});

test('fork gives an independent but reproducible stream', () => {
  const a = new Prng(5).fork();
  const b = new Prng(5).fork();
  for (let i = 0; i < 20; i++) assert.equal(a.nextUint32(), b.nextUint32());
  const parent = new Prng(5);
  const child = parent.fork();
  assert.notEqual(parent.nextUint32(), child.nextUint32());
});
