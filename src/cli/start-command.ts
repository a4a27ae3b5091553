/**
 * `oxirs-cluster start`: runs one node in the foreground until SIGINT or SIGTERM, then shuts down
 * gracefully: readiness turns 503, new requests are refused, in-flight ones get up to
 * SHUTDOWN_GRACE_MS to finish (an unfinished load is aborted and commits nothing), and the store
 * is closed cleanly.
 */
import { join } from 'node:path';
import pino from 'pino';
import { QuadStore } from '../store/quad-store.ts';
import { buildApp } from '../server/app.ts';
import { QueryPool } from '../sparql/query-pool.ts';
import { Authenticator, loadAuthConfig, AuthConfigError } from '../server/auth.ts';
import { ConfigError, resolveNodeConfig, type SettingName } from './node-config.ts';

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
  const storePath = join(config.dataDir, 'store');
  const store = QuadStore.open({ path: storePath });
  const queryPool = config.queryWorkers > 0 ? new QueryPool(storePath, config.queryWorkers) : undefined;
  const { app, state } = buildApp({ store, authenticator, logger, queryPool, limits: { queryTimeoutMs: config.queryTimeoutMs } });
  if (!authenticator && !['127.0.0.1', 'localhost', '::1'].includes(config.httpHost)) {
    logger.warn(`no --auth: the HTTP API on ${config.httpHost} is open to anyone who can reach it`);
  }
  await app.listen({ host: config.httpHost, port: config.httpPort });
  const base = `http://${config.httpHost.includes(':') ? `[${config.httpHost}]` : config.httpHost}:${config.httpPort}`;
  process.stdout.write(
    [
      `oxirs-cluster node ready (data in ${config.dataDir})`,
      `  SPARQL endpoint:  ${base}/sparql`,
      `  Graph Store:      ${base}/data`,
      `  Health:           ${base}/health/ready`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    state.shuttingDown = true;
    const force = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    try {
      await app.close();
    } finally {
      clearTimeout(force);
      await queryPool?.close();
      await store.close();
      logger.info('stopped');
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
