// A seeded sequence of mixed faults on a three-node cluster under a write load and a register
// workload at once: kill -9 and restart, SIGSTOP/SIGCONT, isolation (bytes dropped, or held as in
// a short TCP partition), connection resets, slow links. Then everything is healed, the cluster
// must make progress again within a bound, and the checkers run: every acknowledged write on
// every node, identical dataset hashes, and a linearizable register history.
// Replay a run with OXIRS_E2E_SEED=<seed> (the faults and their order come from the seed; the
// timing of real processes does not).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Prng } from '../../src/util/prng.ts';
import { RegisterWorkload, WriteLoad, checkAcknowledgedWrites, sleep, withCluster, type Cluster } from './cluster-harness.ts';

const SEED = Number(process.env.OXIRS_E2E_SEED ?? 7_340_129);
const FAULTS = 6;
const FAULT_MS_MIN = 1_000;
const FAULT_MS_SPREAD = 2_000;
const RECOVERY_MS = 1_000;

type Fault = 'kill' | 'pause' | 'blackhole' | 'stall' | 'reset' | 'slow';
const FAULT_KINDS: Fault[] = ['kill', 'pause', 'blackhole', 'stall', 'reset', 'slow'];

/** Injects one fault on `target`, returns how to undo it. */
async function inject(cluster: Cluster, fault: Fault, target: string): Promise<() => Promise<void>> {
  switch (fault) {
    case 'kill':
      await cluster.kill(target);
      return () => cluster.restart(target);
    case 'pause':
      cluster.pause(target);
      return async () => cluster.resume(target);
    case 'blackhole':
    case 'stall':
      cluster.isolate(target, fault);
      return async () => cluster.heal();
    case 'reset':
      cluster.isolate(target, 'reset');
      return async () => cluster.heal();
    case 'slow':
      cluster.slowLinks(target, 150);
      return async () => cluster.heal();
  }
}

test('a seeded sequence of mixed faults under load', { timeout: 300_000 }, async (t) => {
  await withCluster({ name: 'nemesis' }, async (cluster) => {
    const prng = new Prng(SEED);
    const load = new WriteLoad(cluster, { clients: 3, requestTimeoutMs: 2_000 }).start();
    const registers = new RegisterWorkload(cluster, { keys: 2, writers: 2, readers: 3, seed: SEED, requestTimeoutMs: 2_000 }).start();
    const plan: string[] = [];
    try {
      await load.waitForAcknowledged(20, 20_000);
      for (let i = 0; i < FAULTS; i++) {
        const fault = FAULT_KINDS[prng.nextInt(FAULT_KINDS.length)];
        // Half the faults hit whoever leads now, the rest any node.
        const leader = prng.nextInt(2) === 0 ? await cluster.leaderId() : undefined;
        const target = leader ?? cluster.ids()[prng.nextInt(cluster.ids().length)];
        const holdMs = FAULT_MS_MIN + prng.nextInt(FAULT_MS_SPREAD);
        plan.push(`${fault} ${target}${leader ? ' (leader)' : ''} for ${holdMs} ms`);
        const undo = await inject(cluster, fault, target);
        await sleep(holdMs);
        await undo();
        await sleep(RECOVERY_MS);
      }
      cluster.heal();
      await cluster.waitForLeader({ timeoutMs: 20_000 });
      await load.waitForAcknowledged(20, 20_000);
      await registers.waitForAnswered({ reads: 10, writes: 10 }, 20_000);
    } finally {
      await Promise.all([load.stop(), registers.stop()]);
      t.diagnostic(`seed ${SEED}: ${plan.join('; ')}`);
    }
    t.diagnostic(load.summary());
    t.diagnostic(registers.summary());
    const report = await checkAcknowledgedWrites(cluster, [load]);
    t.diagnostic(`converged at ${report.converged.appliedIndex}: ${report.acknowledged} acknowledged, ${report.unknownApplied}/${report.unknown} unknown writes applied`);
    const result = registers.check();
    if (result.ok !== true) {
      const file = join(cluster.root, `history-${result.key}.txt`);
      writeFileSync(file, registers.describeKey(result.key) + '\n');
      assert.fail(`seed ${SEED} (${plan.join('; ')}): ${result.ok === false ? result.reason : `checker gave up on key ${result.key}`}; history in ${file}`);
    }
  });
});
