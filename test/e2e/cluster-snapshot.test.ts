// A follower that is down while the log is compacted past what it has (--compact-log-bytes
// 65536) must catch up from a snapshot when it comes back: afterwards it holds every
// acknowledged write, including the large ones written while it was down, with the same
// dataset hash as the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteLoad, checkAcknowledgedWrites, httpRequest, query, withCluster } from './cluster-harness.ts';

const COMPACT_LOG_BYTES = 65_536;
/** Written while the follower is down: several times the compaction threshold. */
const BULK_WRITES = 48;
const BULK_LITERAL_BYTES = 8_192;

test('a node that missed a compacted stretch of the log catches up from a snapshot', { timeout: 300_000 }, async (t) => {
  // Info level: the runtime reports "snapshot installed" there, the proof that the snapshot path ran.
  await withCluster({ name: 'snapshot', compactLogBytes: COMPACT_LOG_BYTES, logLevel: 'info' }, async (cluster) => {
    const load = new WriteLoad(cluster, { clients: 3, requestTimeoutMs: 2_000 }).start();
    const bulkAcknowledged: number[] = [];
    let follower: string;
    try {
      await load.waitForAcknowledged(30, 15_000);
      const leader = await cluster.waitForLeader();
      follower = cluster.ids().find((id) => id !== leader)!;
      await cluster.kill(follower);
      const live = cluster.ids().filter((id) => id !== follower);
      for (let i = 0; i < BULK_WRITES; i++) {
        const result = await httpRequest(cluster.node(live[i % live.length]).url, '/update', {
          method: 'POST',
          headers: { 'content-type': 'application/sparql-update' },
          body: `INSERT DATA { <urn:bulk:${i}> <urn:big> "${String(i).padEnd(BULK_LITERAL_BYTES, 'x')}" }`,
          timeoutMs: 5_000,
        });
        if (result.status >= 200 && result.status < 300) bulkAcknowledged.push(i);
      }
      assert.ok(bulkAcknowledged.length >= BULK_WRITES / 2, `only ${bulkAcknowledged.length} bulk writes acknowledged`);
      await load.waitForAcknowledged(30, 15_000);
      await cluster.restart(follower);
      await load.waitForAcknowledged(30, 15_000);
    } finally {
      await load.stop();
    }
    t.diagnostic(`${follower} was down for ${bulkAcknowledged.length} x ${BULK_LITERAL_BYTES} bytes; ${load.summary()}`);
    const report = await checkAcknowledgedWrites(cluster, [load], { timeoutMs: 60_000 });
    for (const id of cluster.ids()) {
      const bulk = await query(cluster, id, 'SELECT ?s WHERE { ?s <urn:big> ?o }', { consistency: 'stale' });
      assert.equal(bulk.status, 200);
      const present = new Set(bulk.json!.results.bindings.map((b) => b.s.value));
      for (const i of bulkAcknowledged) assert.ok(present.has(`urn:bulk:${i}`), `${id} is missing acknowledged bulk write ${i}`);
    }
    const installed = cluster.node(follower).outputSinceStart().split('\n').filter((line) => line.includes('"msg":"snapshot installed"'));
    assert.ok(installed.length > 0, `${follower} caught up without installing a snapshot (was the log compacted past its last index?)`);
    t.diagnostic(`${follower}: ${installed[0]}`);
    t.diagnostic(`converged at ${report.converged.appliedIndex} (${report.converged.quads} quads)`);
  });
});
