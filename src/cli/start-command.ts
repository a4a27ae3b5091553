/**
 * `oxirs-cluster start`: runs one node in the foreground until SIGINT or SIGTERM, then shuts down
 * gracefully: readiness turns 503, new requests are refused, in-flight ones get up to
 * SHUTDOWN_GRACE_MS to finish (an unfinished load is aborted and commits nothing), the node leaves
 * the Raft loop and the store is closed cleanly.
 */
import { join } from 'node:path';
import pino from 'pino';
import { QuadStore } from '../store/quad-store.ts';
import { buildApp } from '../server/app.ts';
import { QueryPool } from '../sparql/query-pool.ts';
import { ClusterNode, type LogFn } from '../cluster/cluster-node.ts';
import { readAppliedState } from '../cluster/state-machine.ts';
import { joinCluster, joinTarget, promoteWhenCaughtUp } from '../cluster/join.ts';
import { Authenticator, loadAuthConfig, AuthConfigError } from '../server/auth.ts';
import { ConfigError, resolveNodeConfig, type SettingName } from './node-config.ts';
import { NodeMetrics } from '../ops/metrics/node-metrics.ts';
import { Alerting } from '../ops/alerting/alerting.ts';
import { MetricSource } from '../ops/alerting/metric-source.ts';
import { BackupService } from '../ops/backup/backup-service.ts';

const SHUTDOWN_GRACE_MS = 10_000;

export async function startCommand(flags: Partial<Record<SettingName, string>>, configFile: string | undefined): Promise<void> {
  const config = resolveNodeConfig(flags, configFile);
  let authenticator: Authenticator | undefined;
  try {
    if (config.authFile) authenticator = new Authenticator(loadAuthConfig(config.authFile));
  } catch (error) {
    if (error instanceof AuthConfigError) throw new ConfigError(error.message);
    throw error;
  }
  const logger = pino({ level: config.logLevel });
  const log: LogFn = (level, message, fields) => logger[level](fields ?? {}, message);
  if (config.clusterSecret === undefined && (config.initialCluster || config.joinUrl)) {
    logger.warn('no --cluster-secret: peer connections are NOT authenticated; anyone who reaches the Raft port can join the cluster. Use this for local development only.');
  }
  // One node per process: its metrics live in prom-client's default registry, with the process metrics.
  const metrics = new NodeMetrics({ defaultMetrics: true });
  // The SDK and exporter take ~0.3 s to load: only when tracing is on (a restart's catch-up waits on start-up).
  const tracing = config.otlpEndpoint ? (await import('../ops/tracing/otlp-tracing.ts')).startTracing({ endpoint: config.otlpEndpoint, nodeId: config.nodeId }) : undefined;
  const storePath = join(config.dataDir, 'store');
  const store = QuadStore.open({ path: storePath });
  let knownPeers: Record<string, string> | undefined;
  const joining = config.joinUrl !== undefined && readAppliedState(store).index === 0;
  if (joining) {
    knownPeers = await joinCluster(joinTarget(config.joinUrl!), config.nodeId, config.raftAddr, log);
  }
  const node = await ClusterNode.start({
    nodeId: config.nodeId,
    dataDir: config.dataDir,
    store,
    raftAddr: config.raftAddr,
    initialCluster: config.initialCluster,
    knownPeers,
    clusterSecret: config.clusterSecret,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    electionTimeoutMs: config.electionTimeoutMs,
    compactLogBytes: config.compactLogBytes,
    log,
    metrics: metrics.raftSink,
    tracer: tracing?.tracer,
    debugLogs: logger.isLevelEnabled('debug'),
    // A replica that cannot follow the log must not keep serving: exit so a supervisor restarts it.
    onFatal: () => process.exit(1),
  });
  const queryPool = config.queryWorkers > 0 ? new QueryPool(storePath, config.queryWorkers) : undefined;
  metrics.observe(node);
  const alerting = new Alerting({ config: config.alerts, source: new MetricSource(metrics.registry), nodeId: config.nodeId, log });
  alerting.start();
  const backups = config.backup ? new BackupService(node, config.backup, (level, message, fields) => logger[level](fields ?? {}, message)) : undefined;
  backups?.startSchedule();
  const { app, state } = buildApp({ node, authenticator, logger, queryPool, metrics, tracer: tracing?.tracer, alerts: alerting, backups, limits: { queryTimeoutMs: config.queryTimeoutMs } });
  if (!authenticator && !['127.0.0.1', 'localhost', '::1'].includes(config.httpHost)) {
    logger.warn(`no --auth: the HTTP API on ${config.httpHost} is open to anyone who can reach it`);
  }
  await app.listen({ host: config.httpHost, port: config.httpPort });
  const base = `http://${config.httpHost.includes(':') ? `[${config.httpHost}]` : config.httpHost}:${config.httpPort}`;
  process.stdout.write(
    [
      `oxirs-cluster node ${config.nodeId} ready (data in ${config.dataDir}, Raft on ${config.raftAddr})`,
      `  SPARQL endpoint:  ${base}/sparql`,
      `  Graph Store:      ${base}/data`,
      `  Cluster status:   ${base}/cluster/status`,
      `  Health:           ${base}/health/ready`,
      `  Dashboard:        ${base}/`,
      `  Metrics:          ${base}/metrics`,
      '',
    ].join('\n'),
  );
  const promotion = new AbortController();
  if (joining) void promoteWhenCaughtUp(joinTarget(config.joinUrl!), config.nodeId, promotion.signal, log);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    promotion.abort();
    logger.info({ signal }, 'shutting down');
    state.shuttingDown = true;
    const force = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    try {
      await app.close();
    } finally {
      clearTimeout(force);
      await alerting.stop();
      await backups?.stop();
      await node.close();
      await queryPool?.close();
      await store.close();
      await tracing?.shutdown().catch(() => undefined);
      logger.info('stopped');
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
