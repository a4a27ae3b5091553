// An update whose WHERE clause needs more than MAX_MATERIALIZED_ROWS rows throws
// QueryResourceError while it is applied. state-machine.ts knownFailure() does not list it, so the
// error escapes apply(), the Ready loop fails and the node stops taking part. Every replica
// applies the same entry, so every replica stops; on restart each re-applies it and stops again.
// A client's (well-formed) update thus takes the whole cluster down for good, instead of a 4xx.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMember, stopMember, until } from '../support/in-process-cluster.ts';
import { freePort } from '../e2e/node-process.ts';

test('an update that exceeds the row limit when applied fails alone; the node keeps working', { timeout: 300_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'oxirs-review-resource-'));
  let fatal: Error | undefined;
  const raftAddr = `127.0.0.1:${await freePort()}`;
  let member = await startMember('solo', root, raftAddr, { onFatal: (error) => (fatal = error) });
  try {
    await until('leader', () => member.node.status().role === 'leader');
    const triples = Array.from({ length: 172 }, (_, i) => `<urn:s:${i}> <urn:p> "${i}" .`).join('\n');
    await member.node.write({ kind: 'update', text: `INSERT DATA { ${triples} }` }, { timeoutMs: 5000 });
    const heavy = 'INSERT { <urn:x> <urn:count> ?n } WHERE { { SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?a ?d ?g WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } } } }';
    let outcome: unknown;
    try {
      // About 5M rows are evaluated before the limit stops it: ~20 s on a quiet machine, over 60 s on loaded cores.
      outcome = (await member.node.write({ kind: 'update', text: heavy }, { timeoutMs: 200_000 })).outcome;
    } catch (error) {
      outcome = error;
    }
    assert.equal(fatal, undefined, `the node stopped: ${fatal?.message}`);
    assert.ok(outcome && (outcome as { ok?: boolean }).ok === false, `expected a failed outcome, got ${String((outcome as Error).message ?? JSON.stringify(outcome))}`);
    await member.node.write({ kind: 'update', text: 'INSERT DATA { <urn:after> <urn:p> "ok" }' }, { timeoutMs: 5000 });
  } finally {
    await stopMember(member).catch(() => undefined);
    // The entry is in the log: a restarted node applies it again and stops again.
    fatal = undefined;
    member = await startMember('solo', root, raftAddr, { onFatal: (error) => (fatal = error) });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const restartFatal = fatal as Error | undefined;
    await stopMember(member).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    if (restartFatal) console.log(`after restart the node stopped again: ${restartFatal.message}`);
  }
});
