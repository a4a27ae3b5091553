// INTERFACES.md: "a retry with the same key applies at most once ...; the retry gets the first
// outcome". A keyed write that fails when applied is rolled back and re-applied as a no-op with
// its failure as outcome (state-machine.ts applyRun with `failed`), but no idempotency record is
// written for it. A retry with the same key is then executed afresh and can succeed (and change
// data) although the first outcome was a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuadStore } from '../../src/store/quad-store.ts';
import { StateMachine } from '../../src/cluster/state-machine.ts';
import { encodeLogCommand } from '../../src/cluster/log-command.ts';
import type { Entry } from '../../src/raft/messages.ts';

const cmd = (index: number, text: string, idempotencyKey?: string): Entry => ({
  index,
  term: 1,
  type: 'normal',
  data: encodeLogCommand({ requestId: `r${index}`, idempotencyKey, timeMs: 1000 + index, command: { kind: 'update', text } }),
});

test('a retry of a keyed write that failed gets the first (failed) outcome', async () => {
  const root = mkdtempSync(join(tmpdir(), 'oxirs-review-idemfail-'));
  const store = QuadStore.open({ path: root });
  try {
    const machine = new StateMachine(store, () => {
      throw new Error('no conf change');
    });
    await machine.apply([cmd(1, 'CREATE GRAPH <urn:g>')]);
    const [first] = await machine.apply([cmd(2, 'INSERT DATA { <urn:a> <urn:p> "x" } ; CREATE GRAPH <urn:g>', 'K')]);
    assert.equal(first.outcome?.ok, false);
    await machine.apply([cmd(3, 'DROP GRAPH <urn:g>')]);
    const [retry] = await machine.apply([cmd(4, 'INSERT DATA { <urn:a> <urn:p> "x" } ; CREATE GRAPH <urn:g>', 'K')]);
    assert.deepEqual(retry.outcome, first.outcome, 'the retry was executed again instead of getting the first outcome');
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
});
