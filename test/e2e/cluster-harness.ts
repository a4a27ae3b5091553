/**
 * Real `oxirs-cluster start` processes on 127.0.0.1, wired through one fault proxy per directed
 * link, for end-to-end fault tests: crash (kill -9), pause (SIGSTOP/SIGCONT), restart on the same
 * data, partitions (isolate/heal), membership changes, a write load that records which writes
 * were acknowledged, and checkers that run after the faults are healed:
 *
 * - every acknowledged write is on every node, nothing appears that was never sent, and every
 *   node has the same dataset hash at the same applied index;
 * - a register workload (one value per key, replaced by each write) whose client history is
 *   checked for linearizability with test/sim/linearizability.ts.
 *
 * Every wait is bounded, every process started is killed by `close()` (and, should the test
 * process die first, by an exit hook), and all traffic stays on 127.0.0.1. A failing scenario
 * keeps its directory (data and one log file per node) and says where it is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prng } from '../../src/util/prng.ts';
import { checkHistory, type CheckResult, type Operation, type OpOutput } from '../sim/linearizability.ts';
import { FaultProxy, type FaultMode } from './fault-proxy.ts';
import { CLI, ROOT } from './node-process.ts';
import { freePort } from '../support/free-port.ts';

// Start-up is ~1.5 s on a quiet machine; on 2 cores shared with other test files it has taken 25 s.
const STARTUP_MS_MAX = 60_000;
const STOP_MS_MAX = 15_000;
const STATUS_TIMEOUT_MS = 1_000;
const POLL_MS = 50;
/** The tail of a node's output kept in memory (the whole output is in its log file). */
const OUTPUT_TAIL_CHARS = 20_000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Processes

const liveChildren = new Set<ChildProcess>();
/** The test process is going away: leave no node behind (SIGKILL also ends a stopped process). */
function killLiveNodes(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
}
process.on('exit', killLiveNodes);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killLiveNodes();
    // Then die of the same signal, as if there were no handler.
    process.kill(process.pid, signal);
  });
}

export interface ClusterStatus {
  nodeId: string;
  role: 'leader' | 'follower' | 'candidate' | 'learner' | string;
  term: number;
  leaderId: string | null;
  commitIndex: number;
  appliedIndex: number;
  members: Array<{ id: string; raftAddr: string; voter: boolean; matchIndex?: number; lagEntries?: number; reachable?: boolean }>;
}

export interface DatasetHash {
  appliedIndex: number;
  quads: number;
  hash: string;
}

export type NodeState = 'running' | 'paused' | 'stopped';

export class ClusterNode {
  child: ChildProcess | undefined;
  state: NodeState = 'stopped';
  /** Arguments of `start`, reused by `restart` (same data dir, ports and views). */
  args: string[] = [];
  /** No longer a member (removed, or never was one): left out of loads and checks. */
  retired = false;
  private outputTail = '';
  starts = 0;

  constructor(
    readonly id: string,
    readonly httpPort: number,
    readonly raftPort: number,
    readonly dataDir: string,
    readonly logFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get raftAddr(): string {
    return `127.0.0.1:${this.raftPort}`;
  }

  output(): string {
    return this.outputTail;
  }

  /** This node's whole output since its latest start (read from its log file). */
  outputSinceStart(): string {
    const text = readFileSync(this.logFile, 'utf8');
    const marker = `start #${this.starts}:`;
    const at = text.lastIndexOf(marker);
    return at < 0 ? text : text.slice(at);
  }

  note(line: string): void {
    const text = `--- [harness ${new Date().toISOString()}] ${line}\n`;
    this.record(text);
  }

  private record(text: string): void {
    this.outputTail = (this.outputTail + text).slice(-OUTPUT_TAIL_CHARS);
    appendFileSync(this.logFile, text);
  }

  async start(): Promise<void> {
    if (this.state !== 'stopped') throw new Error(`${this.id} is already ${this.state}`);
    this.starts++;
    this.note(`start #${this.starts}: oxirs-cluster ${this.args.join(' ')}`);
    const child = spawn(process.execPath, [CLI, ...this.args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.state = 'running';
    liveChildren.add(child);
    child.stdout!.on('data', (chunk: Buffer) => this.record(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => this.record(chunk.toString()));
    child.on('exit', (code, signal) => {
      liveChildren.delete(child);
      this.note(`exited code=${code} signal=${signal}`);
      if (this.child === child) {
        this.child = undefined;
        this.state = 'stopped';
      }
    });
    const started = Date.now();
    for (;;) {
      if (this.child !== child) throw new Error(`${this.id} exited during startup:\n${this.outputTail}`);
      if (Date.now() - started > STARTUP_MS_MAX) throw new Error(`${this.id} did not answer /health/live within ${STARTUP_MS_MAX} ms:\n${this.outputTail}`);
      const live = await httpRequest(this.url, '/health/live', { timeoutMs: 500 });
      if (live.status === 200) return;
      await sleep(POLL_MS);
    }
  }

  /** Sends `signal` and waits (bounded) for the exit; SIGKILL if a gentler signal is ignored. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.note(`sending ${signal}`);
    if (this.state === 'paused' && signal !== 'SIGKILL') child.kill('SIGCONT');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS_MAX);
    await exited;
    clearTimeout(timer);
  }

  pause(): void {
    if (this.state !== 'running' || !this.child) throw new Error(`${this.id} is ${this.state}, cannot SIGSTOP`);
    this.note('sending SIGSTOP');
    this.child.kill('SIGSTOP');
    this.state = 'paused';
  }

  resume(): void {
    if (this.state !== 'paused' || !this.child) throw new Error(`${this.id} is ${this.state}, cannot SIGCONT`);
    this.note('sending SIGCONT');
    this.child.kill('SIGCONT');
    this.state = 'running';
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface HttpResult {
  /** 0: no response (refused, reset, timed out). */
  status: number;
  headers: Headers | undefined;
  body: string;
  error?: string;
}

export async function httpRequest(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<HttpResult> {
  try {
    const response = await fetch(`${base}${path}`, {
      method: options.method ?? 'GET',
      headers: options.headers,
      body: options.body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
    const body = await response.text();
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { status: 0, headers: undefined, body: '', error: cause?.code ?? (error as Error).name ?? String(error) };
  }
}

// ---------------------------------------------------------------------------------------------
// The cluster

export interface ClusterOptions {
  size?: number;
  /** Names the temp directory, to find it when a run is kept. */
  name?: string;
  secret?: string;
  heartbeatIntervalMs?: number;
  electionTimeoutMs?: number;
  compactLogBytes?: number;
  logLevel?: string;
  /** Appended to every node's `start` arguments. */
  extraArgs?: string[];
}

const DEFAULTS = { size: 3, heartbeatIntervalMs: 50, electionTimeoutMs: 500, logLevel: 'warn' };

export class Cluster {
  readonly nodes = new Map<string, ClusterNode>();
  /** One per directed link `from->to`: where `from` dials `to`'s Raft listener. */
  readonly proxies = new Map<string, FaultProxy>();
  readonly secret: string;
  /** Kept when a scenario fails. */
  keep = false;
  private closed = false;

  private constructor(
    readonly root: string,
    readonly options: Required<Omit<ClusterOptions, 'compactLogBytes' | 'secret' | 'name'>> & ClusterOptions,
  ) {
    this.secret = options.secret ?? `secret-${Math.random().toString(36).slice(2)}`;
  }

  /** Starts `size` nodes and waits for a leader. On failure, everything started is stopped. */
  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const root = mkdtempSync(join(tmpdir(), `oxirs-${options.name ?? 'cluster'}-`));
    const cluster = new Cluster(root, { ...DEFAULTS, extraArgs: [], ...options });
    try {
      const ids = Array.from({ length: cluster.options.size }, (_, i) => `n${i + 1}`);
      for (const id of ids) await cluster.allocate(id);
      for (const from of ids) for (const to of ids) if (from !== to) await cluster.addProxy(from, to);
      for (const id of ids) cluster.nodes.get(id)!.args = cluster.startArgs(id, ['--initial-cluster', cluster.initialClusterView(id, ids)]);
      await Promise.all(ids.map((id) => cluster.nodes.get(id)!.start()));
      await cluster.waitForLeader();
      await cluster.warmUp();
      return cluster;
    } catch (error) {
      cluster.keep = true;
      await cluster.close();
      throw error;
    }
  }

  /** Members: every node not retired. */
  ids(): string[] {
    return [...this.nodes.values()].filter((node) => !node.retired).map((node) => node.id);
  }

  /** Members whose process is running (not stopped, not paused). */
  runningIds(): string[] {
    return this.ids().filter((id) => this.node(id).state === 'running');
  }

  node(id: string): ClusterNode {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  /** Ports and a data dir for a node; its process is not started. */
  async allocate(id: string): Promise<ClusterNode> {
    if (this.nodes.has(id)) throw new Error(`node ${id} exists`);
    const dataDir = join(this.root, id);
    mkdirSync(dataDir);
    const node = new ClusterNode(id, await freePort(), await freePort(), dataDir, join(this.root, `${id}.log`));
    this.nodes.set(id, node);
    return node;
  }

  async addProxy(from: string, to: string): Promise<FaultProxy> {
    const proxy = await FaultProxy.start({ targetPort: this.node(to).raftPort, name: `${from}->${to}` });
    this.proxies.set(`${from}->${to}`, proxy);
    return proxy;
  }

  proxy(from: string, to: string): FaultProxy {
    const proxy = this.proxies.get(`${from}->${to}`);
    if (!proxy) throw new Error(`no proxy ${from}->${to}`);
    return proxy;
  }

  /** `id`'s own --initial-cluster: itself at its real Raft port, each peer behind its proxy. */
  initialClusterView(id: string, members: string[]): string {
    return members.map((member) => `${member}=${member === id ? this.node(id).raftAddr : this.proxy(id, member).address}`).join(',');
  }

  startArgs(id: string, membershipArgs: string[], overrides: { secret?: string } = {}): string[] {
    const node = this.node(id);
    const options = this.options;
    return [
      'start',
      '--node-id', id,
      '--data-dir', node.dataDir,
      '--http', `127.0.0.1:${node.httpPort}`,
      '--raft', node.raftAddr,
      ...membershipArgs,
      '--cluster-secret', overrides.secret ?? this.secret,
      '--heartbeat-interval-ms', String(options.heartbeatIntervalMs),
      '--election-timeout-ms', String(options.electionTimeoutMs),
      ...(options.compactLogBytes !== undefined ? ['--compact-log-bytes', String(options.compactLogBytes)] : []),
      '--log-level', options.logLevel,
      ...options.extraArgs,
    ];
  }

  /**
   * A few local reads on every node before a scenario starts: the first queries of a fresh
   * process load the query workers, which can take seconds on a loaded machine and would
   * otherwise time out the first reads of a workload.
   */
  async warmUp(ids = this.runningIds()): Promise<void> {
    const WARM_UP_READS_PER_NODE = 4;
    await Promise.all(
      ids.flatMap((id) =>
        Array.from({ length: WARM_UP_READS_PER_NODE }, () =>
          query(this, id, 'ASK { <urn:warm-up> ?p ?o }', { consistency: 'stale', timeoutMs: STARTUP_MS_MAX }),
        ),
      ),
    );
  }

  // --- faults ---------------------------------------------------------------------------------

  async kill(id: string): Promise<void> {
    await this.node(id).stop('SIGKILL');
  }

  /** A clean stop (SIGTERM). */
  async stop(id: string): Promise<void> {
    await this.node(id).stop('SIGTERM');
  }

  pause(id: string): void {
    this.node(id).pause();
  }

  resume(id: string): void {
    this.node(id).resume();
  }

  /** Starts a stopped node again with the same data dir and arguments (stopping it first if needed). */
  async restart(id: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const node = this.node(id);
    if (node.state !== 'stopped') await node.stop(signal);
    await node.start();
    await this.warmUp([id]);
  }

  /** Cuts every link to and from `id` (both directions, both dialling sides). */
  isolate(id: string, mode: FaultMode = 'blackhole'): void {
    this.node(id).note(`isolated (${mode})`);
    for (const [name, proxy] of this.proxies) {
      const [from, to] = name.split('->');
      if (from === id || to === id) proxy.setMode(mode);
    }
  }

  /** Cuts every link between different groups; links inside a group pass. */
  partition(groups: string[][], mode: FaultMode = 'blackhole'): void {
    const groupOf = new Map<string, number>();
    groups.forEach((group, i) => group.forEach((id) => groupOf.set(id, i)));
    for (const [name, proxy] of this.proxies) {
      const [from, to] = name.split('->');
      proxy.setMode(groupOf.get(from) === groupOf.get(to) ? 'pass' : mode);
    }
    for (const node of this.nodes.values()) node.note(`partition ${JSON.stringify(groups)}`);
  }

  /** Adds `latencyMs` to every link to and from `id`, each direction. */
  slowLinks(id: string, latencyMs: number): void {
    this.node(id).note(`links slowed by ${latencyMs} ms`);
    for (const [name, proxy] of this.proxies) {
      const [from, to] = name.split('->');
      if (from === id || to === id) proxy.setLatency(latencyMs);
    }
  }

  /** Resets the open connections to and from `id` (the nodes reconnect). */
  resetLinks(id: string): void {
    this.node(id).note('links reset');
    for (const [name, proxy] of this.proxies) {
      const [from, to] = name.split('->');
      if (from === id || to === id) proxy.resetConnections();
    }
  }

  /** Every link passes again, without added latency. */
  heal(): void {
    for (const node of this.nodes.values()) node.note('heal');
    for (const proxy of this.proxies.values()) {
      proxy.setLatency(0);
      proxy.setMode('pass');
    }
  }

  // --- membership -----------------------------------------------------------------------------

  /**
   * Starts a new node `id` that joins through `via`'s HTTP API (`--join`): the cluster adds it as
   * a learner and promotes it once it caught up. Members dial it at the Raft address it
   * announces, its real one, so its links have no fault proxy.
   */
  async joinNode(id: string, via: string, overrides: { secret?: string } = {}): Promise<ClusterNode> {
    const node = await this.allocate(id);
    node.args = this.startArgs(id, ['--join', this.node(via).url], overrides);
    await node.start();
    return node;
  }

  /**
   * Starts a node that is not a member with its own `--initial-cluster` view (itself and
   * `members` at their real Raft addresses), e.g. an impostor with the wrong secret.
   */
  async startOutsider(id: string, members: string[], overrides: { secret?: string } = {}): Promise<ClusterNode> {
    const node = await this.allocate(id);
    node.retired = true;
    const view = [`${id}=${node.raftAddr}`, ...members.map((m) => `${m}=${this.node(m).raftAddr}`)].join(',');
    node.args = this.startArgs(id, ['--initial-cluster', view], overrides);
    await node.start();
    return node;
  }

  /** Changes the cluster secret `id` gets at its next (re)start; the rest of its arguments stay. */
  setSecret(id: string, secret: string): void {
    const node = this.node(id);
    const at = node.args.indexOf('--cluster-secret');
    node.args = [...node.args.slice(0, at + 1), secret, ...node.args.slice(at + 2)];
  }

  /** `GET /cluster/status` of the leader, waiting (bounded) for `predicate` to hold on it. */
  async waitForLeaderStatus(predicate: (status: ClusterStatus) => boolean, what: string, timeoutMs = 30_000): Promise<ClusterStatus> {
    const started = Date.now();
    let last: ClusterStatus | undefined;
    while (Date.now() - started < timeoutMs) {
      const leader = await this.leaderId();
      last = leader ? await this.status(leader) : undefined;
      if (last && predicate(last)) return last;
      await sleep(100);
    }
    throw new Error(`the leader never reported ${what} within ${timeoutMs} ms; last: ${last ? describeStatus(last) : '(no leader)'}`);
  }

  /** `DELETE /cluster/members/ID` through `via`; the node is retired (its process keeps running). */
  async removeMember(id: string, via: string): Promise<HttpResult> {
    const result = await httpRequest(this.node(via).url, `/cluster/members/${encodeURIComponent(id)}`, { method: 'DELETE', timeoutMs: 10_000 });
    if (result.status >= 200 && result.status < 300) this.node(id).retired = true;
    return result;
  }

  // --- observation ----------------------------------------------------------------------------

  async status(id: string, timeoutMs = STATUS_TIMEOUT_MS): Promise<ClusterStatus | undefined> {
    const node = this.node(id);
    if (node.state !== 'running') return undefined;
    const result = await httpRequest(node.url, '/cluster/status', { timeoutMs });
    if (result.status !== 200) return undefined;
    try {
      return JSON.parse(result.body) as ClusterStatus;
    } catch {
      return undefined;
    }
  }

  async statuses(ids = this.ids()): Promise<Map<string, ClusterStatus>> {
    const entries = await Promise.all(ids.map(async (id) => [id, await this.status(id)] as const));
    const map = new Map<string, ClusterStatus>();
    for (const [id, status] of entries) if (status) map.set(id, status);
    return map;
  }

  /**
   * The leader most nodes agree on now: a node that says it leads, at the highest such term,
   * named as leader at that term by a majority of its voters. Undefined when there is none.
   */
  async leaderId(among = this.ids()): Promise<string | undefined> {
    const statuses = await this.statuses(among);
    const leaders = [...statuses.values()].filter((s) => s.role === 'leader').sort((a, b) => b.term - a.term);
    for (const leader of leaders) {
      const voters = leader.members.filter((m) => m.voter).length || this.nodes.size;
      const agreeing = [...statuses.values()].filter((s) => s.term === leader.term && s.leaderId === leader.nodeId).length;
      if (agreeing > voters / 2) return leader.nodeId;
    }
    return undefined;
  }

  /** Waits (bounded) for a leader, optionally one not in `exclude` and among `among`. */
  async waitForLeader(options: { timeoutMs?: number; exclude?: string[]; among?: string[] } = {}): Promise<string> {
    const timeoutMs = options.timeoutMs ?? 20_000;
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      const leader = await this.leaderId(options.among);
      if (leader && !(options.exclude ?? []).includes(leader)) return leader;
      await sleep(POLL_MS);
    }
    const last = await this.statuses(options.among);
    throw new Error(`no leader${options.exclude?.length ? ` other than ${options.exclude}` : ''} within ${timeoutMs} ms; statuses: ${describeStatuses(last)}`);
  }

  async datasetHash(id: string, timeoutMs = 5_000): Promise<DatasetHash | undefined> {
    const node = this.node(id);
    if (node.state !== 'running') return undefined;
    const result = await httpRequest(node.url, '/cluster/dataset-hash', { timeoutMs });
    if (result.status !== 200) return undefined;
    return JSON.parse(result.body) as DatasetHash;
  }

  /**
   * Waits (bounded) until every running node in `ids` reports the same applied index in its
   * dataset hash, then requires equal hashes. Nodes at the same applied index with different
   * hashes have diverged: that fails at once.
   */
  async waitForConvergence(options: { timeoutMs?: number; ids?: string[] } = {}): Promise<DatasetHash> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const ids = (options.ids ?? this.ids()).filter((id) => this.node(id).state === 'running');
    const started = Date.now();
    let hashes = new Map<string, DatasetHash | undefined>();
    while (Date.now() - started < timeoutMs) {
      hashes = new Map(await Promise.all(ids.map(async (id) => [id, await this.datasetHash(id)] as const)));
      const values = [...hashes.values()];
      if (values.every((h) => h !== undefined)) {
        const first = values[0]!;
        if (values.every((h) => h!.appliedIndex === first.appliedIndex)) {
          const differing = [...hashes].filter(([, h]) => h!.hash !== first.hash || h!.quads !== first.quads);
          if (differing.length > 0) {
            throw new Error(`replicas diverged at applied index ${first.appliedIndex}: ${JSON.stringify(Object.fromEntries(hashes))}`);
          }
          return first;
        }
      }
      await sleep(100);
    }
    const statuses = await this.statuses(ids);
    throw new Error(
      `nodes did not converge within ${timeoutMs} ms: hashes ${JSON.stringify(Object.fromEntries(hashes))}; statuses: ${describeStatuses(statuses)}`,
    );
  }

  /** A short description of every node, for failure messages. */
  async describe(): Promise<string> {
    const all = [...this.nodes.keys()];
    const statuses = await this.statuses(all);
    return all
      .map((id) => `${id} [${this.node(id).state}${this.node(id).retired ? ', retired' : ''}] ${statuses.has(id) ? describeStatus(statuses.get(id)!) : '(no status)'}`)
      .join('\n');
  }

  /** SIGKILLs every node, closes every proxy, removes the directory unless `keep`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.nodes.values()].map((node) => node.stop('SIGKILL')));
    await Promise.all([...this.proxies.values()].map((proxy) => proxy.close()));
    if (this.keep) {
      writeFileSync(join(this.root, 'KEPT'), 'kept because the scenario failed; one log per node: ID.log\n');
      process.stderr.write(`cluster directory kept for inspection: ${this.root}\n`);
    } else {
      rmSync(this.root, { recursive: true, force: true });
    }
  }
}

function describeStatus(s: ClusterStatus): string {
  return `role=${s.role} term=${s.term} leader=${s.leaderId} commit=${s.commitIndex} applied=${s.appliedIndex} members=${s.members
    ?.map((m) => `${m.id}${m.voter ? '' : '(learner)'}`)
    .join(',')}`;
}

function describeStatuses(statuses: Map<string, ClusterStatus> | undefined): string {
  if (!statuses || statuses.size === 0) return '(none answered)';
  return [...statuses].map(([id, s]) => `${id}: ${describeStatus(s)}`).join('; ');
}

/**
 * Runs a scenario on a fresh cluster and always cleans up. When it fails, the cluster directory
 * (data and logs) is kept, and the error carries the cluster's state and each node's log tail.
 */
export async function withCluster<T>(options: ClusterOptions, scenario: (cluster: Cluster) => Promise<T>): Promise<T> {
  const cluster = await Cluster.start(options);
  try {
    return await scenario(cluster);
  } catch (error) {
    cluster.keep = true;
    let state = '';
    try {
      state = await cluster.describe();
    } catch {
      state = '(cluster state unavailable)';
    }
    const tails = [...cluster.nodes.keys()]
      .map((id) => `----- ${id} (last lines; whole log in ${cluster.node(id).logFile})\n${cluster.node(id).output().split('\n').slice(-25).join('\n')}`)
      .join('\n');
    if (error instanceof Error) error.message += `\n\ncluster (${cluster.root}):\n${state}\n${tails}`;
    throw error;
  } finally {
    await cluster.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Write load

export interface WriteRecord {
  client: number;
  seq: number;
  subject: string;
  node: string;
  outcome: 'acknowledged' | 'unknown' | 'pending';
  status: number;
  error?: string;
  commitIndex?: number;
  invokedMs: number;
  returnedMs?: number;
}

export interface WriteLoadOptions {
  clients?: number;
  requestTimeoutMs?: number;
  /** Nodes to send to, read at each request (default: every node of the cluster). */
  targets?: () => string[];
  /** Pause after a failed request, so a dead node does not spin a client. */
  backoffMs?: number;
  /** A client's writes at most (a bound on the loop). */
  maxWritesPerClient?: number;
  /** Distinguishes the subjects of two loads in one scenario. */
  prefix?: string;
}

/**
 * K concurrent clients, each inserting unique triples `<urn:w:CLIENT:SEQ> <urn:p> "SEQ"` by
 * POST /update to rotating nodes. A 2xx is acknowledged; anything else leaves the outcome
 * unknown (the write may or may not take effect), and the client moves on to its next write.
 */
export class WriteLoad {
  readonly records: WriteRecord[] = [];
  private stopping = false;
  private clients: Promise<void>[] = [];
  private readonly options: Required<Omit<WriteLoadOptions, 'targets'>> & WriteLoadOptions;

  constructor(
    private readonly cluster: Cluster,
    options: WriteLoadOptions = {},
  ) {
    this.options = { clients: 4, requestTimeoutMs: 3_000, backoffMs: 25, maxWritesPerClient: 20_000, prefix: 'w', ...options };
  }

  get prefix(): string {
    return this.options.prefix;
  }

  start(): this {
    this.clients = Array.from({ length: this.options.clients }, (_, client) => this.run(client));
    return this;
  }

  private async run(client: number): Promise<void> {
    for (let seq = 0; !this.stopping && seq < this.options.maxWritesPerClient; seq++) {
      const targets = this.options.targets?.() ?? this.cluster.ids();
      const node = targets[(client + seq) % targets.length];
      const subject = `urn:${this.options.prefix}:${client}:${seq}`;
      const record: WriteRecord = { client, seq, subject, node, outcome: 'pending', status: 0, invokedMs: Date.now() };
      this.records.push(record);
      const result = await httpRequest(this.cluster.node(node).url, '/update', {
        method: 'POST',
        headers: { 'content-type': 'application/sparql-update' },
        body: `INSERT DATA { <${subject}> <urn:p> "${seq}" }`,
        timeoutMs: this.options.requestTimeoutMs,
      });
      record.returnedMs = Date.now();
      record.status = result.status;
      if (result.status >= 200 && result.status < 300) {
        record.outcome = 'acknowledged';
        const index = Number(result.headers?.get('x-commit-index'));
        if (Number.isFinite(index)) record.commitIndex = index;
      } else {
        record.outcome = 'unknown';
        record.error = result.error ?? result.body.slice(0, 200);
        await sleep(this.options.backoffMs);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.clients);
  }

  acknowledged(): WriteRecord[] {
    return this.records.filter((r) => r.outcome === 'acknowledged');
  }

  unknown(): WriteRecord[] {
    return this.records.filter((r) => r.outcome === 'unknown');
  }

  /** Waits (bounded) until `count` more writes are acknowledged than when called. */
  async waitForAcknowledged(count: number, timeoutMs: number): Promise<void> {
    const target = this.acknowledged().length + count;
    const started = Date.now();
    while (this.acknowledged().length < target) {
      if (Date.now() - started > timeoutMs) {
        const recent = this.records.slice(-8).map((r) => `${r.subject}@${r.node}:${r.outcome}/${r.status}/${r.error ?? ''}`);
        throw new Error(`only ${this.acknowledged().length}/${target} writes acknowledged within ${timeoutMs} ms; recent: ${recent.join(' | ')}`);
      }
      await sleep(POLL_MS);
    }
  }

  summary(): string {
    const byStatus = new Map<string, number>();
    for (const r of this.records) {
      const key = r.status === 0 ? `0:${r.error ?? 'pending'}` : String(r.status);
      byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
    }
    return `${this.records.length} writes, ${this.acknowledged().length} acknowledged, ${this.unknown().length} unknown (${[...byStatus].map(([k, v]) => `${k}x${v}`).join(' ')})`;
  }
}

// ---------------------------------------------------------------------------------------------
// Checkers

export interface SelectJson {
  head: { vars: string[] };
  results: { bindings: Array<Record<string, { type: string; value: string }>> };
}

export async function query(
  cluster: Cluster,
  id: string,
  text: string,
  options: { consistency?: string; timeoutMs?: number } = {},
): Promise<HttpResult & { json?: SelectJson & { boolean?: boolean } }> {
  const headers: Record<string, string> = { 'content-type': 'application/sparql-query', accept: 'application/sparql-results+json' };
  if (options.consistency) headers['x-consistency'] = options.consistency;
  const result = await httpRequest(cluster.node(id).url, '/sparql', { method: 'POST', headers, body: text, timeoutMs: options.timeoutMs ?? 10_000 });
  if (result.status !== 200) return result;
  return { ...result, json: JSON.parse(result.body) };
}

export interface CheckReport {
  converged: DatasetHash;
  acknowledged: number;
  unknown: number;
  /** Unknown writes that did take effect. */
  unknownApplied: number;
  nodes: string[];
}

/**
 * After the faults are healed: waits (bounded) until the running nodes converge to one dataset
 * hash at one applied index, then asks every node for every write of the loads. Fails when an
 * acknowledged write is missing anywhere, when a node holds a write nobody sent or with the wrong
 * value, when nodes disagree on which unknown writes took effect, or when COUNT(*) and a sample
 * of ASK queries disagree with the listing.
 */
export async function checkAcknowledgedWrites(
  cluster: Cluster,
  loads: WriteLoad[],
  options: { timeoutMs?: number; ids?: string[]; askSamples?: number } = {},
): Promise<CheckReport> {
  const ids = (options.ids ?? cluster.ids()).filter((id) => cluster.node(id).state === 'running');
  const converged = await cluster.waitForConvergence({ timeoutMs: options.timeoutMs ?? 30_000, ids });
  const records = loads.flatMap((load) => load.records);
  const bySubject = new Map(records.map((r) => [r.subject, r]));
  const acknowledged = records.filter((r) => r.outcome === 'acknowledged');
  const prefixes = [...new Set(loads.map((load) => `urn:${load.prefix}:`))];
  const maxCommit = Math.max(0, ...acknowledged.map((r) => r.commitIndex ?? 0));
  let appliedUnknown: string | undefined;
  for (const id of ids) {
    // min-index: this node's own state once it applied every acknowledged write's index.
    const listing = await query(cluster, id, 'SELECT ?s ?o WHERE { ?s <urn:p> ?o }', { consistency: `min-index:${maxCommit}` });
    if (listing.status !== 200 || !listing.json) throw new Error(`listing writes on ${id} failed: ${listing.status} ${listing.error ?? listing.body.slice(0, 300)}`);
    const present = new Map<string, string[]>();
    for (const binding of listing.json.results.bindings) {
      const s = binding.s.value;
      if (!prefixes.some((p) => s.startsWith(p))) continue;
      present.set(s, [...(present.get(s) ?? []), binding.o.value]);
    }
    const missing = acknowledged.filter((r) => !present.has(r.subject));
    if (missing.length > 0) {
      throw new Error(
        `${id} is missing ${missing.length} of ${acknowledged.length} acknowledged writes, e.g. ${missing
          .slice(0, 5)
          .map((r) => `${r.subject} (sent to ${r.node}, commit index ${r.commitIndex})`)
          .join(', ')}`,
      );
    }
    for (const [subject, values] of present) {
      const record = bySubject.get(subject);
      if (!record) throw new Error(`${id} holds ${subject}, which was never sent`);
      if (values.length !== 1 || values[0] !== String(record.seq)) throw new Error(`${id} holds ${subject} with values ${JSON.stringify(values)}, expected ["${record.seq}"]`);
    }
    const appliedHere = [...present.keys()]
      .filter((s) => bySubject.get(s)!.outcome !== 'acknowledged')
      .sort()
      .join(',');
    if (appliedUnknown === undefined) appliedUnknown = appliedHere;
    else if (appliedUnknown !== appliedHere) throw new Error(`nodes disagree on which unacknowledged writes took effect (${id}: ${appliedHere})`);

    const count = await query(cluster, id, 'SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:p> ?o }', { consistency: 'stale' });
    if (count.status !== 200 || !count.json) throw new Error(`COUNT(*) on ${id} failed: ${count.status} ${count.error ?? count.body.slice(0, 300)}`);
    const counted = Number(count.json.results.bindings[0]?.n?.value);
    if (counted !== listing.json.results.bindings.length) throw new Error(`COUNT(*) on ${id} says ${counted}, the listing has ${listing.json.results.bindings.length} rows`);

    // A linearizable ASK for a sample of acknowledged writes (each node answers, whoever leads).
    const samples = options.askSamples ?? 10;
    for (let i = 0; i < Math.min(samples, acknowledged.length); i++) {
      const record = acknowledged[Math.floor((i * acknowledged.length) / Math.min(samples, acknowledged.length))];
      const ask = await query(cluster, id, `ASK { <${record.subject}> <urn:p> "${record.seq}" }`, { consistency: 'linearizable' });
      if (ask.status !== 200 || ask.json?.boolean !== true) throw new Error(`ASK for ${record.subject} on ${id}: ${ask.status} ${ask.body.slice(0, 200)}`);
    }
  }
  const unknownApplied = appliedUnknown ? appliedUnknown.split(',').length : 0;
  return { converged, acknowledged: acknowledged.length, unknown: records.length - acknowledged.length, unknownApplied, nodes: ids };
}

// ---------------------------------------------------------------------------------------------
// A register workload for the linearizability checker

export interface RegisterWorkloadOptions {
  keys?: number;
  writers?: number;
  readers?: number;
  seed?: number;
  requestTimeoutMs?: number;
  targets?: () => string[];
  maxOperationsPerClient?: number;
  /** X-Consistency of the reads; only `linearizable` promises a linearizable history. */
  readConsistency?: string;
}

export interface RecordedOperation extends Operation {
  node: string;
  invokedMs: number;
  returnedMs: number | undefined;
  status: number;
}

/**
 * Keys `<urn:reg:K>` each holding at most one value `<urn:reg:K> <urn:v> "VALUE"`. Writers
 * replace the value (DELETE/INSERT in one update, so the key behaves like a register); readers
 * read it at the default (linearizable) consistency. Both go to rotating nodes. Call and return
 * times are a logical clock ticked by this process at each invocation and response, so their
 * order is the real-time order this process observed.
 */
export class RegisterWorkload {
  readonly operations: RecordedOperation[] = [];
  private clock = 0;
  private stopping = false;
  private clients: Promise<void>[] = [];
  private readonly options: Required<Omit<RegisterWorkloadOptions, 'targets'>> & RegisterWorkloadOptions;
  private readonly prng: Prng;

  constructor(
    private readonly cluster: Cluster,
    options: RegisterWorkloadOptions = {},
  ) {
    this.options = { keys: 3, writers: 3, readers: 3, seed: 1, requestTimeoutMs: 3_000, maxOperationsPerClient: 5_000, readConsistency: 'linearizable', ...options };
    this.prng = new Prng(this.options.seed);
  }

  start(): this {
    for (let c = 0; c < this.options.writers; c++) this.clients.push(this.run(c, 'writer'));
    for (let c = 0; c < this.options.readers; c++) this.clients.push(this.run(this.options.writers + c, 'reader'));
    return this;
  }

  private async run(clientId: number, role: 'writer' | 'reader'): Promise<void> {
    for (let seq = 0; !this.stopping && seq < this.options.maxOperationsPerClient; seq++) {
      const targets = this.options.targets?.() ?? this.cluster.ids();
      const node = targets[this.prng.nextInt(targets.length)];
      const key = `k${this.prng.nextInt(this.options.keys)}`;
      const subject = `urn:reg:${key}`;
      const op: RecordedOperation = {
        id: this.operations.length,
        clientId,
        key,
        input: role === 'writer' ? { kind: 'put', value: `c${clientId}-${seq}` } : { kind: 'get' },
        output: { kind: 'unknown' },
        callTime: ++this.clock,
        returnTime: Infinity,
        node,
        invokedMs: Date.now(),
        returnedMs: undefined,
        status: 0,
      };
      this.operations.push(op);
      let output: OpOutput = { kind: 'unknown' };
      if (op.input.kind === 'put') {
        const result = await httpRequest(this.cluster.node(node).url, '/update', {
          method: 'POST',
          headers: { 'content-type': 'application/sparql-update' },
          body: `DELETE { <${subject}> <urn:v> ?old } INSERT { <${subject}> <urn:v> "${op.input.value}" } WHERE { OPTIONAL { <${subject}> <urn:v> ?old } }`,
          timeoutMs: this.options.requestTimeoutMs,
        });
        op.status = result.status;
        if (result.status >= 200 && result.status < 300) output = { kind: 'put' };
      } else {
        const result = await query(this.cluster, node, `SELECT ?o WHERE { <${subject}> <urn:v> ?o }`, {
          consistency: this.options.readConsistency,
          timeoutMs: this.options.requestTimeoutMs,
        });
        op.status = result.status;
        if (result.status === 200 && result.json) {
          const values = result.json.results.bindings.map((b) => b.o.value).sort();
          // Two values at once can match no register state, so the checker rejects it.
          output = { kind: 'get', value: values.length === 0 ? null : values.length === 1 ? values[0] : `MULTIPLE(${values.join('|')})` };
        }
      }
      op.output = output;
      op.returnedMs = Date.now();
      // An operation without an answer may take effect at any later time, or never.
      if (output.kind !== 'unknown') op.returnTime = ++this.clock;
      else await sleep(25);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.clients);
  }

  check(): CheckResult {
    return checkHistory(this.operations);
  }

  /** Answered reads and acknowledged writes so far. */
  answered(): { reads: number; writes: number } {
    let reads = 0;
    let writes = 0;
    for (const op of this.operations) {
      if (op.output.kind === 'get') reads++;
      else if (op.output.kind === 'put') writes++;
    }
    return { reads, writes };
  }

  /** Waits (bounded) until `reads` more reads were answered and `writes` more writes acknowledged. */
  async waitForAnswered(more: { reads: number; writes: number }, timeoutMs: number): Promise<void> {
    const start = this.answered();
    const started = Date.now();
    for (;;) {
      const now = this.answered();
      if (now.reads - start.reads >= more.reads && now.writes - start.writes >= more.writes) return;
      if (Date.now() - started > timeoutMs) {
        throw new Error(`only ${now.reads - start.reads}/${more.reads} reads and ${now.writes - start.writes}/${more.writes} writes answered within ${timeoutMs} ms; ${this.summary()}`);
      }
      await sleep(POLL_MS);
    }
  }

  summary(): string {
    const count = (f: (op: RecordedOperation) => boolean) => this.operations.filter(f).length;
    return (
      `${this.operations.length} operations: ` +
      `${count((op) => op.input.kind === 'put' && op.output.kind === 'put')} writes acknowledged, ` +
      `${count((op) => op.input.kind === 'put' && op.output.kind === 'unknown')} unknown, ` +
      `${count((op) => op.output.kind === 'get')} reads answered, ` +
      `${count((op) => op.input.kind === 'get' && op.output.kind === 'unknown')} failed`
    );
  }

  /** One key's history as text, for a failure report. */
  describeKey(key: string): string {
    return this.operations
      .filter((op) => op.key === key)
      .map((op) => {
        const input = op.input.kind === 'put' ? `put ${op.input.value}` : 'get';
        const output = op.output.kind === 'get' ? `-> ${op.output.value}` : op.output.kind === 'unknown' ? '-> ?' : '-> ok';
        return `[${op.callTime}, ${op.returnTime}] t=${op.invokedMs}..${op.returnedMs} client ${op.clientId} @${op.node}: ${input} ${output} (${op.status})`;
      })
      .join('\n');
  }
}
