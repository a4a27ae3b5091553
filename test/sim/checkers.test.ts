// The checkers themselves: they must accept correct histories and reject broken ones, and the
// simulator must replay a seed exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SafetyChecker, SafetyViolation } from './checkers.ts';
import { checkHistory } from './linearizability.ts';
import type { Operation } from './linearizability.ts';
import { runSeed } from './simulator.ts';

let nextId = 0;
function op(key: string, input: Operation['input'], output: Operation['output'], callTime: number, returnTime: number): Operation {
  return { id: ++nextId, clientId: 1, key, input, output, callTime, returnTime };
}

test('a sequential history is linearizable; a stale read after a completed write is not', () => {
  const ok = [op('k', { kind: 'put', value: 'a' }, { kind: 'put' }, 1, 2), op('k', { kind: 'get' }, { kind: 'get', value: 'a' }, 3, 4)];
  assert.deepEqual(checkHistory(ok), { ok: true });
  const stale = [
    op('k', { kind: 'put', value: 'a' }, { kind: 'put' }, 1, 2),
    op('k', { kind: 'put', value: 'b' }, { kind: 'put' }, 3, 4),
    op('k', { kind: 'get' }, { kind: 'get', value: 'a' }, 5, 6),
  ];
  assert.equal(checkHistory(stale).ok, false);
});

test('concurrent operations may be ordered either way', () => {
  const h = [
    op('k', { kind: 'put', value: 'a' }, { kind: 'put' }, 1, 10),
    op('k', { kind: 'get' }, { kind: 'get', value: null }, 2, 3),
    op('k', { kind: 'get' }, { kind: 'get', value: 'a' }, 4, 5),
  ];
  assert.deepEqual(checkHistory(h), { ok: true });
});

test('an indeterminate write may take effect late or never; cas outcomes must match the state', () => {
  const late = [
    op('k', { kind: 'put', value: 'x' }, { kind: 'unknown' }, 1, Infinity),
    op('k', { kind: 'get' }, { kind: 'get', value: null }, 2, 3),
    op('k', { kind: 'get' }, { kind: 'get', value: 'x' }, 4, 5),
  ];
  assert.deepEqual(checkHistory(late), { ok: true });
  const badCas = [
    op('k', { kind: 'put', value: 'a' }, { kind: 'put' }, 1, 2),
    op('k', { kind: 'cas', expected: 'a', value: 'b' }, { kind: 'cas', ok: false }, 3, 4),
  ];
  assert.equal(checkHistory(badCas).ok, false);
});

test('the safety checker flags two leaders in a term and divergent applies', () => {
  const checker = new SafetyChecker();
  checker.onLeader(3, 'n1', () => null, 0, 1);
  assert.throws(() => checker.onLeader(3, 'n2', () => null, 0, 1), SafetyViolation);
  const entry = { index: 5, term: 2, type: 'normal' as const, data: new Uint8Array([1]) };
  checker.onApply('n1', entry, 2);
  assert.throws(() => checker.onApply('n2', { ...entry, data: new Uint8Array([2]) }, 2), SafetyViolation);
});

test('a seed replays exactly', () => {
  const a = runSeed({ seed: 4242, verbose: true });
  const b = runSeed({ seed: 4242, verbose: true });
  assert.deepEqual(a.log, b.log);
  assert.deepEqual(a.stats, b.stats);
  assert.ok(a.ok);
});
