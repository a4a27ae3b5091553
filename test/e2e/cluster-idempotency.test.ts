// Exactly-once increments through failover: clients increment one counter, each increment with
// its own Idempotency-Key, and retry an increment whose outcome is unknown with the same key
// (to any node) until it is acknowledged. Meanwhile the leader is killed (kill -9) and later a
// new leader is isolated. Each key must apply at most once, so the counter ends at exactly the
// number of increments acknowledged, on every node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAcknowledgedWrites, httpRequest, query, sleep, withCluster, type Cluster } from './cluster-harness.ts';

const CLIENTS = 3;
const ATTEMPTS_MAX = 60;
const RETRY_MS = 100;

const INCREMENT = 'DELETE { <urn:counter> <urn:n> ?old } INSERT { <urn:counter> <urn:n> ?new } WHERE { <urn:counter> <urn:n> ?old BIND(?old + 1 AS ?new) }';

interface Tally {
  acknowledged: number;
  /** Increments given up on: each applied at most once, maybe never. */
  abandoned: number;
  attempts: number;
}

async function incrementer(cluster: Cluster, client: number, stop: () => boolean, tally: Tally): Promise<void> {
  for (let i = 0; !stop() && i < 10_000; i++) {
    const key = `inc-${client}-${i}`;
    let done = false;
    for (let attempt = 0; attempt < ATTEMPTS_MAX && !done; attempt++) {
      const ids = cluster.ids();
      const node = ids[(client + i + attempt) % ids.length];
      tally.attempts++;
      const result = await httpRequest(cluster.node(node).url, '/update', {
        method: 'POST',
        headers: { 'content-type': 'application/sparql-update', 'idempotency-key': key },
        body: INCREMENT,
        timeoutMs: 2_000,
      });
      if (result.status >= 200 && result.status < 300) done = true;
      else await sleep(RETRY_MS);
    }
    if (done) tally.acknowledged++;
    else tally.abandoned++;
  }
}

test('retries with an Idempotency-Key apply once across failovers', { timeout: 300_000 }, async (t) => {
  await withCluster({ name: 'idempotency' }, async (cluster) => {
    const init = await httpRequest(cluster.node('n1').url, '/update', {
      method: 'POST',
      headers: { 'content-type': 'application/sparql-update' },
      body: 'INSERT DATA { <urn:counter> <urn:n> 0 }',
    });
    assert.equal(init.status, 204, init.body);
    const tally: Tally = { acknowledged: 0, abandoned: 0, attempts: 0 };
    let stopping = false;
    const clients = Array.from({ length: CLIENTS }, (_, c) => incrementer(cluster, c, () => stopping, tally));
    try {
      const waitForIncrements = async (count: number) => {
        const target = tally.acknowledged + count;
        const started = Date.now();
        while (tally.acknowledged < target) {
          if (Date.now() - started > 20_000) throw new Error(`only ${tally.acknowledged}/${target} increments acknowledged within 20 s`);
          await sleep(50);
        }
      };
      await waitForIncrements(30);
      const leader = await cluster.waitForLeader();
      await cluster.kill(leader);
      const next = await cluster.waitForLeader({ exclude: [leader], timeoutMs: 15_000 });
      await waitForIncrements(20);
      await cluster.restart(leader);
      cluster.isolate(next);
      await cluster.waitForLeader({ exclude: [next], among: cluster.ids().filter((id) => id !== next), timeoutMs: 15_000 });
      await waitForIncrements(20);
      cluster.heal();
      await waitForIncrements(20);
    } finally {
      stopping = true;
      await Promise.all(clients);
    }
    t.diagnostic(`${tally.acknowledged} increments acknowledged, ${tally.abandoned} abandoned, ${tally.attempts} requests`);
    await checkAcknowledgedWrites(cluster, []);
    for (const id of cluster.ids()) {
      const result = await query(cluster, id, 'SELECT ?n WHERE { <urn:counter> <urn:n> ?n }', { consistency: 'stale' });
      assert.equal(result.status, 200, result.body);
      const values = result.json!.results.bindings.map((b) => Number(b.n.value));
      assert.equal(values.length, 1, `${id} holds counter values ${JSON.stringify(values)}`);
      assert.ok(
        values[0] >= tally.acknowledged && values[0] <= tally.acknowledged + tally.abandoned,
        `${id}: counter ${values[0]}, but ${tally.acknowledged} increments were acknowledged (and ${tally.abandoned} abandoned): a retry applied twice, or an acknowledged one was lost`,
      );
    }
  });
});
