/**
 * The replicated cluster, side by side with etcd in one run: a 3-node oxirs-cluster and a
 * 3-member etcd cluster (Debian's etcd-server, default fsync, default timing) both on 127.0.0.1,
 * their data dirs on the same disk, both running for the whole part.
 *
 * - Small writes in a closed loop: C clients (C = 1, 16, 64, 256) in this process, the same
 *   keep-alive HTTP/1.1 client (http-client.ts) for both, each client one write at a time. Ours:
 *   POST /update `INSERT DATA { <urn:b:C:N> <urn:p> "N" }`; etcd: a put of a small key through its v3 JSON
 *   gateway. Sent to the leader, and (variant) spread over the two followers, which forward.
 *   First each system takes 10 s of writes from 16 clients, not measured (a cold V8 is not the
 *   steady state). Each run is 1 s warmup + 5 s measured; two rounds per C in alternating order (etcd then ours,
 *   ours then etcd), merged. Only 2xx counts; everything else is an error and reported.
 *   Every acknowledged write is then checked to be present (count of our triples / etcd keys).
 * - Failover: under a light write loop, kill -9 the leader and time from the kill to the first
 *   write acknowledged by any live member (writes to each live member every 10 ms, several in
 *   flight); restart the killed member with the same arguments, wait until it has caught up;
 *   FAILOVER_TRIALS times, for both systems.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { spawn, spawnSync } from 'node:child_process';
import { CLI, ROOT } from './processes.ts';
import { join, resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import type { BenchOptions } from './run.ts';
import { HttpClient } from './http-client.ts';
import { closedLoop, errorKind, formatErrors, mergeResults, percentile, type LoopResult, type WriteRequest } from './write-loop.ts';
import {
  ensureEtcd, startEtcdCluster, stopEtcdCluster, startEtcdMember, etcdAlive, etcdHealthy, etcdStatus, findEtcdLeader, etcdPutBody,
  type EtcdCluster, type EtcdMember,
} from './etcd.ts';
import {
  allocateOurCluster, startOurNode, stopOurNodes, ourAlive, ourReady, ourStatus, findOurLeader, waitOurCluster, insertBody, commandLine,
  type OurNode,
} from './our-cluster.ts';

// A quick look (not the reported numbers) may shorten the part through the environment.
const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const CONCURRENCY = process.env.CLUSTER_BENCH_CONCURRENCY ? process.env.CLUSTER_BENCH_CONCURRENCY.split(',').map(Number) : [1, 16, 64, 256];
const WARMUP_MS = 1000;
/** Writes each system takes before the first measured loop (not measured): see where it is used. */
const SYSTEM_WARMUP_MS = 10_000;
const SYSTEM_WARMUP_CONCURRENCY = 16;
const MEASURE_MS = env('CLUSTER_BENCH_MEASURE_MS', 5000);
const ROUNDS = 2;
const FAILOVER_TRIALS = env('CLUSTER_BENCH_TRIALS', 20);
/** Pause between two writes of the failover background loop (one client: "light" load). */
const LIGHT_LOAD_PAUSE_MS = 20;
/** The failover probe sends a write to every live member this often (until one is acknowledged). */
const PROBE_EVERY_MS = 10;
/**
 * A probe write not answered within this is abandoned (its connection closed): a write sent while
 * there is no leader may be held until the server's own request timeout (etcd 3.4: 7 s), so
 * without it the probe would measure that timeout, not the failover.
 */
const PROBE_TIMEOUT_MS = 1000;
const PROBE_MAX_IN_FLIGHT = 150;
const PROBE_GIVE_UP_MS = 30_000;
const CATCH_UP_TIMEOUT_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the bench needs of either system. */
interface Member {
  name: string;
  origin: string;
  alive(): boolean;
  /** SIGKILL; resolves when the process is gone. */
  kill(): Promise<void>;
  restart(): void;
}

interface BenchSystem {
  label: string;
  members: Member[];
  writePath: string;
  contentType: string;
  /** The body of write number `n` of the series `tag`. */
  body(tag: string, n: number): string;
  leader(timeoutMs?: number): Promise<Member>;
  /** After a restart: waits until `member` serves again and has applied what the leader had committed. */
  waitCaughtUp(member: Member, timeoutMs: number): Promise<void>;
  /** How many benchmark writes (series `b`) the system holds now. */
  countWrites(): Promise<number>;
}

async function killChild(child: import('node:child_process').ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}


function ourSystem(nodes: OurNode[]): BenchSystem {
  const members: Member[] = nodes.map((node) => ({
    name: node.id,
    origin: node.url,
    alive: () => ourAlive(node),
    kill: () => killChild(node.child),
    restart: () => startOurNode(node),
  }));
  const nodeOf = (member: Member) => nodes[members.indexOf(member)];
  return {
    label: 'oxirs-cluster',
    members,
    writePath: '/update',
    contentType: 'application/sparql-update',
    body: (series, n) => insertBody(`urn:${series}:${n}`, n),
    async leader(timeoutMs) {
      return members[nodes.indexOf(await findOurLeader(nodes, timeoutMs))];
    },
    async waitCaughtUp(member, timeoutMs) {
      const node = nodeOf(member);
      const deadline = Date.now() + timeoutMs;
      let target: number | undefined;
      for (;;) {
        if (!ourAlive(node)) throw new Error(`${node.id} exited after its restart (${node.child?.exitCode ?? node.child?.signalCode}); command: ${commandLine(node)}\n${node.output.slice(-3000)}`);
        try {
          if (target === undefined) {
            await ourStatus(node); // it serves again: what has the cluster committed by now?
            const statuses = await Promise.all(nodes.filter((n) => n !== node && ourAlive(n)).map((n) => ourStatus(n)));
            target = Math.max(...statuses.map((s) => s.commitIndex));
          } else if ((await ourReady(node)) && (await ourStatus(node)).appliedIndex >= target) {
            break;
          }
        } catch {
          // not serving yet
        }
        if (Date.now() > deadline) throw new Error(`${node.id} did not catch up within ${timeoutMs} ms after its restart (target index ${target}); command: ${commandLine(node)}\n${node.output.slice(-3000)}`);
        await sleep(50);
      }
      await waitOurCluster(nodes, Math.max(1000, deadline - Date.now()));
    },
    async countWrites() {
      const leader = await findOurLeader(nodes);
      const query = 'SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:p> ?o FILTER(STRSTARTS(STR(?s), "urn:b:")) }';
      const response = await fetch(`${leader.url}/query?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/sparql-results+json' } });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`count query: HTTP ${response.status} ${text.slice(0, 300)}`);
      return Number(JSON.parse(text).results.bindings[0].n.value);
    },
  };
}

function etcdSystem(cluster: EtcdCluster): BenchSystem {
  const etcdMembers = cluster.members;
  const members: Member[] = etcdMembers.map((member) => ({
    name: member.name,
    origin: member.clientUrl,
    alive: () => etcdAlive(member),
    kill: () => killChild(member.child),
    restart: () => startEtcdMember(member),
  }));
  const memberOf = (m: Member): EtcdMember => etcdMembers[members.indexOf(m)];
  return {
    label: 'etcd',
    members,
    writePath: '/v3/kv/put',
    contentType: 'application/json',
    body: (series, n) => etcdPutBody(`${series.replaceAll(':', '/')}/${n}`, String(n)),
    async leader(timeoutMs) {
      return members[etcdMembers.indexOf(await findEtcdLeader(etcdMembers, timeoutMs))];
    },
    async waitCaughtUp(m, timeoutMs) {
      const member = memberOf(m);
      const deadline = Date.now() + timeoutMs;
      let target: number | undefined;
      for (;;) {
        if (!etcdAlive(member)) throw new Error(`etcd ${member.name} exited after its restart: ${member.output.slice(-3000)}`);
        try {
          if (target === undefined) {
            await etcdStatus(member);
            const leader = await findEtcdLeader(etcdMembers.filter((e) => e !== member), 1000);
            target = (await etcdStatus(leader)).raftIndex;
          } else if ((await etcdHealthy(member)) && (await etcdStatus(member)).raftAppliedIndex >= target) {
            break;
          }
        } catch {
          // not serving yet
        }
        if (Date.now() > deadline) throw new Error(`etcd ${member.name} did not catch up within ${timeoutMs} ms after its restart`);
        await sleep(50);
      }
      await findEtcdLeader(etcdMembers, Math.max(1000, deadline - Date.now()));
    },
    async countWrites() {
      const leader = memberOf(await this.leader());
      const response = await fetch(`${leader.clientUrl}/v3/kv/range`, {
        method: 'POST',
        body: JSON.stringify({ key: Buffer.from('b/').toString('base64'), range_end: Buffer.from('b0').toString('base64'), count_only: true }),
      });
      const json = await response.json();
      if (response.status !== 200) throw new Error(`etcd count: HTTP ${response.status} ${JSON.stringify(json)}`);
      return Number(json.count ?? 0);
    },
  };
}

type Variant = 'leader' | 'followers';

/** One closed-loop run of `concurrency` clients against `system`, to its leader or its followers. */
async function measure(system: BenchSystem, concurrency: number, variant: Variant, counter: { next: number }): Promise<LoopResult> {
  const leader = await system.leader();
  const targets = variant === 'leader' ? [leader] : system.members.filter((m) => m !== leader);
  return writeLoop(system, concurrency, targets, counter, `b:${concurrency}`, WARMUP_MS, MEASURE_MS);
}

/** `concurrency` clients in a closed loop, client i writing to targets[i mod n], series `series`. */
async function writeLoop(system: BenchSystem, concurrency: number, targets: Member[], counter: { next: number }, series: string, warmupMs: number, durationMs: number): Promise<LoopResult> {
  const client = new HttpClient(concurrency);
  try {
    return await closedLoop({
      client,
      concurrency,
      warmupMs,
      durationMs,
      next: (worker): WriteRequest => {
        const target = targets[worker % targets.length];
        return { origin: target.origin, path: system.writePath, contentType: system.contentType, body: system.body(series, counter.next++) };
      },
    });
  } finally {
    client.close();
  }
}

interface FailoverOutcome {
  /** Kill to first acknowledged write, per trial, in ms. */
  times: number[];
  /** Trials in which no write was acknowledged within PROBE_GIVE_UP_MS. */
  gaveUp: number;
  /** Every answer the probe got before its first acknowledgement, by kind. */
  probeErrors: Map<string, number>;
  lightAcked: number;
  lightErrors: number;
  /** Restart of the killed member until it had caught up, per trial, in ms. */
  catchUpMs: number[];
}

/**
 * Sends a write to every member in `targets` every PROBE_EVERY_MS (at most PROBE_MAX_IN_FLIGHT in
 * flight per member) until one is acknowledged; resolves with the time from `t0`, or undefined.
 */
function probeFirstAck(system: BenchSystem, client: HttpClient, targets: Member[], t0: number, counter: { next: number }, errors: Map<string, number>): Promise<number | undefined> {
  return new Promise((resolvePromise) => {
    let done = false;
    const inFlight = new Map(targets.map((t) => [t, 0]));
    const finish = (ms: number | undefined) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(giveUp);
      resolvePromise(ms);
    };
    const fail = (kind: string) => {
      if (!done) errors.set(kind, (errors.get(kind) ?? 0) + 1);
    };
    const fire = () => {
      for (const target of targets) {
        if (done || !target.alive() || inFlight.get(target)! >= PROBE_MAX_IN_FLIGHT) continue;
        inFlight.set(target, inFlight.get(target)! + 1);
        client
          .post(target.origin, system.writePath, system.contentType, system.body('f', counter.next++), PROBE_TIMEOUT_MS)
          .then(
            (answer) => (answer.status >= 200 && answer.status < 300 ? finish(performance.now() - t0) : fail(`HTTP ${answer.status}`)),
            (error) => fail(errorKind(error)),
          )
          .finally(() => inFlight.set(target, inFlight.get(target)! - 1));
      }
    };
    const timer = setInterval(fire, PROBE_EVERY_MS);
    const giveUp = setTimeout(() => finish(undefined), PROBE_GIVE_UP_MS);
    fire();
  });
}

function newFailoverOutcome(): FailoverOutcome {
  return { times: [], gaveUp: 0, probeErrors: new Map(), lightAcked: 0, lightErrors: 0, catchUpMs: [] };
}

/**
 * One failover trial: a light write loop on the system, the leader killed with SIGKILL, the probe
 * timing the first acknowledged write, the killed member restarted with its arguments and waited
 * for until it has caught up. Adds to `outcome`.
 */
async function failoverTrial(system: BenchSystem, outcome: FailoverOutcome, counter: { next: number }, trial: number, log: (line: string) => void): Promise<void> {
  const client = new HttpClient(PROBE_MAX_IN_FLIGHT + 8);
  let stop = false;
  const leader = await system.leader();
  let lightTarget: Member | undefined = leader;
  // The light load: one client, one write at a time with a pause, to the leader; on a failure it
  // moves to another live member (which forwards to whichever leader there is). Each write is
  // abandoned after PROBE_TIMEOUT_MS like the probe's.
  const light = (async () => {
    while (!stop) {
      const live = system.members.filter((m) => m.alive());
      const target: Member | undefined = lightTarget && lightTarget.alive() ? lightTarget : live[0];
      if (target) {
        let ok = false;
        try {
          const answer = await client.post(target.origin, system.writePath, system.contentType, system.body('l', counter.next++), PROBE_TIMEOUT_MS);
          ok = answer.status >= 200 && answer.status < 300;
        } catch {
          ok = false;
        }
        if (ok) outcome.lightAcked++;
        else {
          outcome.lightErrors++;
          const others: Member[] = system.members.filter((m) => m.alive() && m !== target);
          lightTarget = others[Math.floor(Math.random() * others.length)];
        }
      }
      await sleep(LIGHT_LOAD_PAUSE_MS);
    }
  })();
  try {
    await sleep(500);
    const survivors = system.members.filter((m) => m !== leader);
    const t0 = performance.now();
    const killed = leader.kill();
    const probe = probeFirstAck(system, client, survivors, t0, counter, outcome.probeErrors);
    await killed;
    const ms = await probe;
    if (ms === undefined) outcome.gaveUp++;
    else outcome.times.push(ms);
    const restarted = performance.now();
    leader.restart();
    await system.waitCaughtUp(leader, CATCH_UP_TIMEOUT_MS);
    outcome.catchUpMs.push(performance.now() - restarted);
    log(`  ${system.label} trial ${trial}: killed leader ${leader.name}, first acknowledged write after ${ms === undefined ? `none within ${PROBE_GIVE_UP_MS} ms` : `${ms.toFixed(0)} ms`}; restarted, caught up in ${(performance.now() - restarted).toFixed(0)} ms`);
  } finally {
    stop = true;
    await light;
    client.close();
  }
}

/**
 * What the client loop itself can do on this machine: the same loop against a no-op HTTP server
 * in a child process (so a ratio near the top is not read as a server's limit).
 */
async function clientCeiling(concurrency: number): Promise<number> {
  const server = spawn(
    process.execPath,
    ['-e', "require('http').createServer((q,s)=>{q.resume();q.on('end',()=>s.end('{}'))}).listen(0,'127.0.0.1',function(){console.log(this.address().port)})"],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const [chunk] = (await once(server.stdout!, 'data')) as [Buffer];
    const origin = `http://127.0.0.1:${Number(chunk.toString().trim())}`;
    const client = new HttpClient(concurrency);
    try {
      const result = await closedLoop({ client, concurrency, warmupMs: 500, durationMs: 2000, next: () => ({ origin, path: '/', contentType: 'application/json', body: etcdPutBody('x', 'y') }) });
      return perSecond(result);
    } finally {
      client.close();
    }
  } finally {
    server.kill('SIGKILL');
  }
}

/**
 * Our Raft timing defaults as `oxirs-cluster start --help` states them (flags naming heartbeat or
 * election, with "(default N)"); empty when the help names none.
 */
function ourTimingDefaults(): { heartbeatMs?: number; electionMs?: number; flags: string[] } {
  const help = spawnSync(process.execPath, [CLI, 'start', '--help'], { cwd: ROOT, encoding: 'utf8' });
  const text = `${help.stdout ?? ''} ${help.stderr ?? ''}`.replace(/\s+/g, ' ');
  const found: { heartbeatMs?: number; electionMs?: number; flags: string[] } = { flags: [] };
  for (const match of text.matchAll(/(--[\w-]*(?:heartbeat|election)[\w-]*) <\w+> (.*?)(?= --[\w-]+ <| -h, --help|$)/gi)) {
    const value = /default:? (\d+)/.exec(match[2]);
    if (!value) continue;
    found.flags.push(`${match[1]} ${value[1]}`);
    if (/heartbeat/i.test(match[1])) found.heartbeatMs = Number(value[1]);
    else found.electionMs = Number(value[1]);
  }
  return found;
}

// ---------------------------------------------------------------- printing

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

const perSecond = (r: LoopResult) => r.ok / r.seconds;
const ms = (value: number) => (Number.isNaN(value) ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(1));
const errorCount = (r: LoopResult) => [...r.errors.values()].reduce((a, b) => a + b, 0);

/** Timing settings our node reports in /cluster/status, if it reports any. */
function timingKeys(value: unknown, prefix = '', depth = 0): string[] {
  if (!value || typeof value !== 'object' || depth > 2) return [];
  const found: string[] = [];
  for (const [key, inner] of Object.entries(value)) {
    if (/election|heartbeat|tick/i.test(key) && (typeof inner === 'number' || typeof inner === 'string')) found.push(`${prefix}${key}=${inner}`);
    else if (!Array.isArray(inner)) found.push(...timingKeys(inner, `${prefix}${key}.`, depth + 1));
  }
  return found;
}

// ---------------------------------------------------------------- the part

export async function runClusterBench(options: BenchOptions): Promise<void> {
  mkdirSync(options.workDir, { recursive: true });
  const base = mkdtempSync(join(resolve(options.workDir), 'cluster-bench-'));
  const log = (line: string) => console.log(line);
  let etcd: EtcdCluster | undefined;
  let nodes: OurNode[] = [];
  let etcdProblem: string | undefined;
  let oursProblem: string | undefined;
  const systems: BenchSystem[] = [];
  const ourTiming = ourTimingDefaults();
  // Everything here shares the machine's cores with whatever else runs: say how busy it was.
  const load = () => `1-min load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`;
  const loadAtStart = load();
  log(`machine: ${loadAtStart} at the start${loadavg()[0] > cpus().length / 2 ? ' (BUSY: other processes compete with both systems; numbers are noisy)' : ''}`);
  let matchedEtcd: EtcdCluster | undefined;
  try {
    try {
      const version = ensureEtcd(log);
      etcd = await startEtcdCluster(join(base, 'etcd'));
      systems.push(etcdSystem(etcd));
      log(`etcd: ${version}, 3 members on 127.0.0.1, fsync on (etcd's default), etcd's default timing: --heartbeat-interval 100 ms, --election-timeout 1000 ms`);
    } catch (error) {
      etcdProblem = (error as Error).message;
      log(`etcd: NOT AVAILABLE, the peer side is skipped: ${etcdProblem}`);
    }
    try {
      nodes = await allocateOurCluster(join(base, 'oxirs'));
      for (const node of nodes) startOurNode(node);
      const leader = await waitOurCluster(nodes, 60_000);
      const timing = timingKeys(await ourStatus(leader));
      systems.unshift(ourSystem(nodes));
      const stated = ourTiming.flags.length > 0 ? `defaults per start --help: ${ourTiming.flags.join(', ')}` : 'its defaults (start --help states none)';
      log(`oxirs-cluster: 3 nodes on 127.0.0.1, leader ${leader.id}; timing: ${stated}${timing.length > 0 ? `; /cluster/status: ${timing.join(', ')}` : ''}`);
      log(`  started as: ${commandLine(nodes[0])}`);
    } catch (error) {
      oursProblem = (error as Error).message;
      log(`oxirs-cluster: the 3-node cluster did NOT start; our side is skipped. Reproduction:\n${nodes.map((n) => `  ${commandLine(n)}`).join('\n')}\n${oursProblem}`);
      await stopOurNodes(nodes);
    }
    log(`data dirs of both: ${base} (same disk); clients: plain HTTP/1.1 keep-alive (bench/http-client.ts), one connection per client, in the bench process`);
    const ceiling = [];
    for (const c of [CONCURRENCY[CONCURRENCY.length - 1]]) ceiling.push(`C=${c} ${(await clientCeiling(c)).toFixed(0)} requests/s`);
    log(`client loop ceiling (the same loop against a no-op HTTP server in a child process): ${ceiling.join(', ')}`);
    const ours = systems.find((s) => s.label === 'oxirs-cluster');
    const peer = systems.find((s) => s.label === 'etcd');
    const counters = new Map(systems.map((s) => [s, { next: 0 }]));

    // ---- closed-loop writes
    const results = new Map<string, LoopResult>();
    const rounds = new Map<string, number[]>();
    // Without this the first measured loop (C=1) would time a cold process: ours runs on V8, which
    // compiles its hot paths to optimised code only after thousands of calls (in one run our first
    // C=1 round reached 194 writes/s and the second 295); etcd is compiled ahead of time, but its
    // first round was slower too (329 and 378). Both systems get the same warm-up.
    for (const system of [peer, ours]) {
      if (!system) continue;
      results.set(`${system.label}/warmup`, await writeLoop(system, SYSTEM_WARMUP_CONCURRENCY, system.members, counters.get(system)!, 'b:warmup', 0, SYSTEM_WARMUP_MS));
    }
    log(`warm-up: each system first takes ${SYSTEM_WARMUP_MS / 1000} s of writes from ${SYSTEM_WARMUP_CONCURRENCY} clients spread over its members (not measured)`);
    for (const variant of ['leader', 'followers'] as Variant[]) {
      for (const concurrency of CONCURRENCY) {
        for (let round = 0; round < ROUNDS; round++) {
          const order = round % 2 === 0 ? [peer, ours] : [ours, peer];
          for (const system of order) {
            if (!system) continue;
            const key = `${system.label}/${variant}/${concurrency}`;
            const result = await measure(system, concurrency, variant, counters.get(system)!);
            const merged = results.has(key) ? mergeResults([results.get(key)!, result]) : result;
            results.set(key, merged);
            rounds.set(key, [...(rounds.get(key) ?? []), Math.round(perSecond(result))]);
          }
        }
      }
      console.log(`\nwrites through the ${variant === 'leader' ? 'leader' : 'two followers (clients split between them; followers forward to the leader)'}: C clients in a closed loop, ${WARMUP_MS / 1000} s warmup + ${MEASURE_MS / 1000} s measured, ${ROUNDS} rounds in alternating order, merged`);
      const header = ['C', 'oxirs w/s', 'p50 ms', 'p99 ms', 'errors', 'etcd w/s', 'p50 ms', 'p99 ms', 'errors', 'ratio w/s', 'per round (oxirs | etcd)'];
      const rows = CONCURRENCY.map((c) => {
        const a = ours && results.get(`${ours.label}/${variant}/${c}`);
        const b = peer && results.get(`${peer.label}/${variant}/${c}`);
        const cols = (r: LoopResult | undefined) => (r ? [perSecond(r).toFixed(0), ms(percentile(r.latenciesMs, 50)), ms(percentile(r.latenciesMs, 99)), String(errorCount(r))] : ['n/a', '-', '-', '-']);
        const ratio = a && b && perSecond(b) > 0 ? (perSecond(a) / perSecond(b)).toFixed(2) : 'n/a';
        const perRound = [ours, peer].map((s) => (s ? rounds.get(`${s.label}/${variant}/${c}`)!.join('/') : '-')).join(' | ');
        return [String(c), ...cols(a), ...cols(b), ratio, perRound];
      });
      table(header, rows);
      for (const [key, r] of results) {
        if (key.includes(`/${variant}/`) && r.errors.size > 0) console.log(`  errors ${key}: ${formatErrors(r.errors)}`);
      }
    }
    console.log('(ratio > 1: oxirs-cluster writes more per second)');

    // ---- every acknowledged write is there
    for (const system of systems) {
      let acked = 0;
      for (const [key, r] of results) if (key.startsWith(`${system.label}/`)) acked += r.acked;
      const present = await system.countWrites();
      console.log(`${system.label}: ${acked} writes acknowledged in the loops, ${present} present afterwards${present < acked ? '  <-- ACKNOWLEDGED WRITES MISSING' : ''}`);
    }

    // ---- failover
    console.log(`\nfailover: under a light write loop (one client, ${LIGHT_LOAD_PAUSE_MS} ms between writes), kill -9 the leader; time from the kill to the first write acknowledged by either live member (each sent a write every ${PROBE_EVERY_MS} ms, each write abandoned after ${PROBE_TIMEOUT_MS} ms); then restart it with the same arguments and wait until it has caught up; ${FAILOVER_TRIALS} trials per system, the systems' trials interleaved`);
    // Election timing decides most of a failover: when ours differs from etcd's defaults, a second
    // etcd cluster with ours joins the failover trials (the write numbers above are etcd's defaults).
    const failSystems = [...systems];
    const { heartbeatMs, electionMs } = ourTiming;
    if (peer && ours && heartbeatMs !== undefined && electionMs !== undefined && (heartbeatMs !== 100 || electionMs !== 1000)) {
      try {
        matchedEtcd = await startEtcdCluster(join(base, 'etcd-matched'), { heartbeatMs, electionMs });
        failSystems.push({ ...etcdSystem(matchedEtcd), label: `etcd, our timing (--heartbeat-interval ${heartbeatMs} --election-timeout ${electionMs})` });
      } catch (error) {
        log(`etcd with our timing (heartbeat ${heartbeatMs} ms, election ${electionMs} ms) could not be run: ${(error as Error).message}`);
      }
    }
    // Trials interleave the systems (ours, etcd, ..., then the next trial) so that a change in the
    // machine's load falls on all of them alike.
    const failovers = new Map<BenchSystem, FailoverOutcome>(failSystems.map((s) => [s, newFailoverOutcome()]));
    const failCounters = new Map(failSystems.map((s) => [s, counters.get(s) ?? { next: 0 }]));
    for (let trial = 1; trial <= FAILOVER_TRIALS; trial++) {
      for (const system of failSystems) await failoverTrial(system, failovers.get(system)!, failCounters.get(system)!, trial, log);
    }
    const failHeader = ['system', 'trials', 'p50 ms', 'p99 ms', 'max ms', 'min ms', 'no ack', 'catch-up p50 ms', 'light load acked/failed'];
    table(
      failHeader,
      [...failovers].map(([system, o]) => {
        const sorted = Float64Array.from(o.times).sort();
        const catchUp = Float64Array.from(o.catchUpMs).sort();
        return [system.label, String(o.times.length + o.gaveUp), ms(percentile(sorted, 50)), ms(percentile(sorted, 99)), ms(sorted[sorted.length - 1] ?? NaN), ms(sorted[0] ?? NaN), String(o.gaveUp), ms(percentile(catchUp, 50)), `${o.lightAcked}/${o.lightErrors}`];
      }),
    );
    for (const [system, o] of failovers) console.log(`  ${system.label} probe answers before the first acknowledgement: ${formatErrors(o.probeErrors)}`);
    console.log(`  (TIMEOUT: abandoned after ${PROBE_TIMEOUT_MS} ms; etcd holds a write that reaches it while it has no leader. "light load" counts the background loop, which also waits out such writes.)`);

    // ---- summary
    const ratios = CONCURRENCY.map((c) => {
      const a = ours && results.get(`${ours.label}/leader/${c}`);
      const b = peer && results.get(`${peer.label}/leader/${c}`);
      return `C=${c} ${a && b ? (perSecond(a) / perSecond(b)).toFixed(2) : 'n/a'}`;
    }).join(', ');
    const p50s = [...failovers].map(([s, o]) => `${s.label} ${o.times.length > 0 ? `${percentile(Float64Array.from(o.times).sort(), 50).toFixed(0)} ms` : 'n/a'}`);
    console.log(`machine: ${loadAtStart} at the start, ${load()} at the end`);
    console.log(`\nsummary: writes/s oxirs-cluster/etcd through the leader: ${ratios}; failover to first acknowledged write p50: ${p50s.join(', ')}`);
  } finally {
    await stopOurNodes(nodes);
    await stopEtcdCluster(etcd);
    await stopEtcdCluster(matchedEtcd);
    rmSync(base, { recursive: true, force: true });
  }
  if (oursProblem) throw new Error(`cluster bench: our 3-node cluster did not start (see the reproduction above)`);
}
