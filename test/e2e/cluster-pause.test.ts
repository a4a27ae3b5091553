// SIGSTOP the leader of a three-node cluster under write load (a process that hangs, as under a
// long GC pause or a stalled disk), let the others elect a leader and carry on, then SIGCONT it:
// the old leader must step down, catch up, and lose no acknowledged write.
import { test } from 'node:test';
import { WriteLoad, checkAcknowledgedWrites, sleep, withCluster } from './cluster-harness.ts';

test('SIGSTOP the leader, then SIGCONT it', { timeout: 300_000 }, async (t) => {
  await withCluster({ name: 'pause' }, async (cluster) => {
    const load = new WriteLoad(cluster, { clients: 4, requestTimeoutMs: 2_000 }).start();
    try {
      await load.waitForAcknowledged(40, 15_000);
      const leader = await cluster.waitForLeader();
      cluster.pause(leader);
      const next = await cluster.waitForLeader({ exclude: [leader], timeoutMs: 15_000 });
      t.diagnostic(`paused leader ${leader}; ${next} leads`);
      await load.waitForAcknowledged(40, 15_000);
      await sleep(1_000);
      cluster.resume(leader);
      await load.waitForAcknowledged(40, 15_000);
      const status = await cluster.status(leader, 5_000);
      t.diagnostic(`${leader} after SIGCONT: ${JSON.stringify(status && { role: status.role, term: status.term, leaderId: status.leaderId })}`);
    } finally {
      await load.stop();
    }
    t.diagnostic(load.summary());
    const report = await checkAcknowledgedWrites(cluster, [load]);
    t.diagnostic(`converged at ${report.converged.appliedIndex}: ${report.acknowledged} acknowledged, ${report.unknownApplied}/${report.unknown} unknown writes applied`);
  });
});
