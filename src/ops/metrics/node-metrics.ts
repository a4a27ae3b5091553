/**
 * Every metric a node exports on `GET /metrics`, defined in one place (names and labels are a
 * contract: ../../../docs/observability.md and the alerting rules and dashboard rely on them).
 *
 * Two kinds of feeding: counters and histograms are fed where their event happens (the Raft loop
 * through the RaftMetricsSink, the WAL's fsync, the HTTP and SPARQL handlers), each by one cheap
 * call per Ready, request or fsync; gauges that are cheap to read (term, role, indexes, peer
 * progress, store counts, sizes, free disk) are read at scrape time by their `collect()`, so
 * nothing is pushed per entry. A scrape that cannot read a value (the data dir vanished) leaves
 * that gauge at its last value rather than failing the whole scrape.
 *
 * Production uses prom-client's default registry (one node per process); tests give each node a
 * registry of its own so several in-process nodes do not mix.
 */
import { readdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, register as defaultRegistry } from 'prom-client';
import type { ClusterNode } from '../../cluster/cluster-node.ts';
import type { RaftMetricsSink } from '../../cluster/node-telemetry.ts';

export type QueryForm = 'select' | 'ask' | 'construct' | 'describe' | 'unknown';
export type QueryOutcome = 'ok' | 'error' | 'timeout' | 'cancelled';
export type UpdateOutcome = 'ok' | 'error' | 'timeout';
export const RAFT_ROLES = ['leader', 'follower', 'candidate', 'learner'] as const;

/** Disk operations: 100 µs .. 1 s (the fsync alert looks at p99 above 10 ms). */
const DISK_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
/** Replication and requests: 500 µs .. 60 s. */
const REQUEST_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Values read at scrape time are reused for this long, so one scrape reads each source once. */
const SCRAPE_MEMO_MS = 25;

export interface MetricsOptions {
  /** Default: prom-client's default registry. */
  registry?: Registry;
  /** Node.js process metrics (process_*, nodejs_*); once per registry. */
  defaultMetrics?: boolean;
}

export class NodeMetrics {
  readonly registry: Registry;
  private source: ClusterNode | undefined;

  // ---- Raft -------------------------------------------------------------------------------
  readonly raftTerm: Gauge;
  readonly raftRole: Gauge<'role'>;
  readonly raftHasLeader: Gauge;
  readonly raftLeaderChanges: Counter;
  readonly raftCommitIndex: Gauge;
  readonly raftAppliedIndex: Gauge;
  readonly raftApplyLag: Gauge;
  readonly raftProposalsCommitted: Counter;
  readonly raftProposalsFailed: Counter;
  readonly raftAppendDuration: Histogram;
  readonly raftCommitDuration: Histogram;
  readonly walFsyncDuration: Histogram;
  readonly raftSnapshotsSent: Counter;
  readonly raftSnapshotsReceived: Counter;
  readonly raftPeerMatchIndex: Gauge<'peer'>;
  readonly raftPeerLag: Gauge<'peer'>;
  readonly raftPeerReachable: Gauge<'peer'>;
  // ---- store ------------------------------------------------------------------------------
  readonly storeQuads: Gauge;
  readonly storeGraphs: Gauge;
  readonly storeSize: Gauge;
  readonly diskFreeRatio: Gauge;
  // ---- SPARQL -----------------------------------------------------------------------------
  readonly sparqlQueries: Counter<'form' | 'outcome'>;
  readonly sparqlUpdates: Counter<'outcome'>;
  readonly sparqlQueryDuration: Histogram<'form'>;
  readonly sparqlUpdateDuration: Histogram;
  readonly sparqlQueryTimeouts: Counter;
  readonly sparqlRowsReturned: Counter;
  // ---- HTTP -------------------------------------------------------------------------------
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpRequestDuration: Histogram<'route' | 'method'>;

  /** The sink the node's Raft loop feeds (ClusterNodeOptions.metrics). */
  readonly raftSink: RaftMetricsSink;

  constructor(options: MetricsOptions = {}) {
    const registry = options.registry ?? defaultRegistry;
    this.registry = registry;
    const registers = [registry];
    const status = memo(() => this.source?.status());
    const storeStats = memo(() => this.source && storeStatistics(this.source));
    const storeBytes = memoAsync(() => (this.source ? allocatedBytes(this.source.store.path) : Promise.resolve(undefined)));
    const diskFree = memoAsync(() => (this.source ? freeRatio(this.source.dataDir) : Promise.resolve(undefined)));

    const gauge = <L extends string = never>(name: string, help: string, read: (g: Gauge<L>) => void | Promise<void>, labelNames: L[] = []) =>
      new Gauge<L>({ name, help, labelNames, registers, collect() { return read(this); } });

    this.raftTerm = gauge('oxirs_raft_term', 'Current Raft term of this node.', (g) => setIf(g, status()?.term));
    this.raftRole = gauge(
      'oxirs_raft_role',
      'Raft role of this node: 1 for the current role, 0 for the others.',
      (g) => {
        const role = status()?.role;
        if (role) for (const r of RAFT_ROLES) g.set({ role: r }, r === role ? 1 : 0);
      },
      ['role'],
    );
    this.raftHasLeader = gauge('oxirs_raft_has_leader', '1 when this node knows a leader, else 0.', (g) => {
      const s = status();
      if (s) g.set(s.leaderId === null ? 0 : 1);
    });
    this.raftCommitIndex = gauge('oxirs_raft_commit_index', 'Highest log index known committed on this node.', (g) => setIf(g, status()?.commitIndex));
    this.raftAppliedIndex = gauge('oxirs_raft_applied_index', 'Highest log index applied to the store on this node.', (g) => setIf(g, status()?.appliedIndex));
    this.raftApplyLag = gauge('oxirs_raft_apply_lag_entries', 'Committed entries not yet applied on this node (commit index - applied index).', (g) => {
      const s = status();
      if (s) g.set(Math.max(0, s.commitIndex - s.appliedIndex));
    });
    // Per-peer series exist on the leader only; elsewhere they are removed, never left stale.
    const perPeer = (read: (member: { matchIndex: number | null; lagEntries: number | null; reachable: boolean }) => number | null) => (g: Gauge<'peer'>) => {
      g.reset();
      const s = status();
      if (!s || s.role !== 'leader') return;
      for (const member of s.members) {
        if (member.id === s.nodeId) continue;
        const value = read(member);
        if (value !== null) g.set({ peer: member.id }, value);
      }
    };
    this.raftPeerMatchIndex = gauge('oxirs_raft_peer_match_index', 'Leader only: highest log index known replicated on the peer.', perPeer((m) => m.matchIndex), ['peer']);
    this.raftPeerLag = gauge('oxirs_raft_peer_lag_entries', 'Leader only: commit index - the peer\'s match index.', perPeer((m) => m.lagEntries), ['peer']);
    this.raftPeerReachable = gauge('oxirs_raft_peer_reachable', 'Leader only: 1 when the peer transport is connected to the peer, else 0.', perPeer((m) => (m.reachable ? 1 : 0)), ['peer']);

    this.raftLeaderChanges = new Counter({ name: 'oxirs_raft_leader_changes_total', help: 'Times this node learnt of a new leader.', registers });
    this.raftProposalsCommitted = new Counter({ name: 'oxirs_raft_proposals_committed_total', help: 'Writes proposed by this node that were committed and applied here.', registers });
    this.raftProposalsFailed = new Counter({ name: 'oxirs_raft_proposals_failed_total', help: 'Writes proposed by this node that failed (refused, no leader, timed out, leader changed, node stopping).', registers });
    this.raftAppendDuration = new Histogram({ name: 'oxirs_raft_append_duration_seconds', help: 'Appending one Ready\'s entries to the local log and making them durable.', buckets: DISK_BUCKETS_SECONDS, registers });
    this.raftCommitDuration = new Histogram({ name: 'oxirs_raft_commit_duration_seconds', help: 'On the proposer: from the proposal accepted by the Raft core to its entry committed.', buckets: REQUEST_BUCKETS_SECONDS, registers });
    this.walFsyncDuration = new Histogram({ name: 'oxirs_wal_fsync_duration_seconds', help: 'One fdatasync of the write-ahead log.', buckets: DISK_BUCKETS_SECONDS, registers });
    this.raftSnapshotsSent = new Counter({ name: 'oxirs_raft_snapshots_sent_total', help: 'Snapshots streamed completely to a follower.', registers });
    this.raftSnapshotsReceived = new Counter({ name: 'oxirs_raft_snapshots_received_total', help: 'Snapshots received completely from a leader.', registers });

    this.storeQuads = gauge('oxirs_store_quads', 'Quads in the store, all graphs.', (g) => setIf(g, storeStats()?.quads));
    this.storeGraphs = gauge('oxirs_store_graphs', 'Named graphs in the store (the default graph not counted).', (g) => setIf(g, storeStats()?.namedGraphs));
    this.storeSize = gauge('oxirs_store_size_bytes', 'Disk space allocated to the store\'s files.', async (g) => setIf(g, await storeBytes()));
    this.diskFreeRatio = gauge('oxirs_disk_free_ratio', 'Free / total bytes of the filesystem holding the data directory (0..1).', async (g) => setIf(g, await diskFree()));

    this.sparqlQueries = new Counter({ name: 'oxirs_sparql_queries_total', help: 'SPARQL queries by form and outcome.', labelNames: ['form', 'outcome'], registers });
    this.sparqlUpdates = new Counter({ name: 'oxirs_sparql_updates_total', help: 'SPARQL updates by outcome.', labelNames: ['outcome'], registers });
    this.sparqlQueryDuration = new Histogram({ name: 'oxirs_sparql_query_duration_seconds', help: 'SPARQL query time, from the request read to the last result byte handed to the connection.', labelNames: ['form'], buckets: REQUEST_BUCKETS_SECONDS, registers });
    this.sparqlUpdateDuration = new Histogram({ name: 'oxirs_sparql_update_duration_seconds', help: 'SPARQL update time, from the request read to the write applied on this node.', buckets: REQUEST_BUCKETS_SECONDS, registers });
    this.sparqlQueryTimeouts = new Counter({ name: 'oxirs_sparql_query_timeouts_total', help: 'SPARQL queries stopped by their time limit.', registers });
    this.sparqlRowsReturned = new Counter({ name: 'oxirs_sparql_rows_returned_total', help: 'Rows sent by SPARQL queries: SELECT solutions, CONSTRUCT/DESCRIBE triples.', registers });

    this.httpRequests = new Counter({ name: 'oxirs_http_requests_total', help: 'HTTP requests by route pattern (or unmatched), method and status.', labelNames: ['route', 'method', 'status'], registers });
    this.httpRequestDuration = new Histogram({ name: 'oxirs_http_request_duration_seconds', help: 'HTTP request time, from the request received to the response sent.', labelNames: ['route', 'method'], buckets: REQUEST_BUCKETS_SECONDS, registers });

    if (options.defaultMetrics) collectDefaultMetrics({ register: registry });

    this.raftSink = {
      leaderChanged: () => this.raftLeaderChanges.inc(),
      proposalCommitted: (commitSeconds) => {
        this.raftProposalsCommitted.inc();
        this.raftCommitDuration.observe(commitSeconds);
      },
      proposalFailed: () => this.raftProposalsFailed.inc(),
      appendDuration: (seconds) => this.raftAppendDuration.observe(seconds),
      fsyncDuration: (seconds) => this.walFsyncDuration.observe(seconds),
      snapshotSent: () => this.raftSnapshotsSent.inc(),
      snapshotReceived: () => this.raftSnapshotsReceived.inc(),
    };
  }

  /** Scrape-time gauges read this node (its Raft state, store and data directory) from now on. */
  observe(node: ClusterNode): void {
    this.source = node;
  }

  observeQuery(form: QueryForm, outcome: QueryOutcome, seconds: number, rows: number): void {
    this.sparqlQueries.inc({ form, outcome });
    this.sparqlQueryDuration.observe({ form }, seconds);
    if (outcome === 'timeout') this.sparqlQueryTimeouts.inc();
    if (rows > 0) this.sparqlRowsReturned.inc(rows);
  }

  observeUpdate(outcome: UpdateOutcome, seconds: number): void {
    this.sparqlUpdates.inc({ outcome });
    this.sparqlUpdateDuration.observe(seconds);
  }

  observeHttp(route: string, method: string, status: number, seconds: number): void {
    this.httpRequests.inc({ route, method, status: String(status) });
    this.httpRequestDuration.observe({ route, method }, seconds);
  }

  /** The text a Prometheus server scrapes. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function storeStatistics(node: ClusterNode): { quads: number; namedGraphs: number } {
  const snapshot = node.store.snapshot();
  try {
    return snapshot.statistics();
  } finally {
    snapshot.release();
  }
}

function setIf(gauge: Gauge<string>, value: number | undefined): void {
  if (value !== undefined) gauge.set(value);
}

/** `read`, reused for SCRAPE_MEMO_MS: the gauges of one scrape share one reading. */
function memo<T>(read: () => T): () => T {
  let at = -Infinity;
  let value: T;
  return () => {
    const now = performance.now();
    if (now - at > SCRAPE_MEMO_MS) {
      value = read();
      at = now;
    }
    return value;
  };
}

function memoAsync<T>(read: () => Promise<T>): () => Promise<T | undefined> {
  return memo(() => read().catch(() => undefined));
}

/** Bytes allocated on disk to the files of a directory (not their apparent size: LMDB files may be sparse). */
async function allocatedBytes(directory: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(directory)) {
    const info = await stat(join(directory, name));
    if (info.isFile()) total += info.blocks * 512;
  }
  return total;
}

async function freeRatio(directory: string): Promise<number> {
  const fs = await statfs(directory);
  return fs.blocks > 0 ? fs.bavail / fs.blocks : 0;
}
