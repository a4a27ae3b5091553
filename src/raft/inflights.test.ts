import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Inflights } from './inflights.ts';

test('the window fills by count and frees by acknowledged index', () => {
  const w = new Inflights(3, 0);
  w.add(5, 10);
  w.add(7, 10);
  w.add(9, 10);
  assert.ok(w.full());
  w.freeLE(7);
  assert.equal(w.count(), 1);
  assert.ok(!w.full());
  w.freeFirstOne();
  assert.equal(w.count(), 0);
});

test('the window also fills by bytes', () => {
  const w = new Inflights(100, 25);
  w.add(1, 10);
  w.add(2, 10);
  assert.ok(!w.full());
  w.add(3, 10);
  assert.ok(w.full());
  w.freeLE(1);
  assert.ok(!w.full());
});
