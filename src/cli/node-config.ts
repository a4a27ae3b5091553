/**
 * The settings of `oxirs-cluster start`. Each comes from, in order of precedence: its flag, its
 * environment variable `OXIRS_<UPPER_SNAKE>`, its key in the `--config` JSON file (the flag's
 * name without dashes, e.g. "data-dir"), or its default. Bad values are a ConfigError: the CLI
 * prints its one-line reason and exits with code 2.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { defaultQueryWorkers } from '../sparql/query-pool.ts';
import { parseHostPort as parseAddress, parseInitialCluster } from '../cluster/membership.ts';
import { AlertConfigError, parseAlertingConfig, type AlertingConfig } from '../ops/alerting/alerting-config.ts';
import type { BackupConfig } from '../ops/backup/backup-service.ts';
import { parseBackupConfig } from './backup-config.ts';

export class ConfigError extends Error {}

export interface NodeConfig {
  nodeId: string;
  dataDir: string;
  /** Where this node listens for peers (HOST:PORT). */
  raftAddr: string;
  initialCluster: Record<string, string> | undefined;
  joinUrl: string | undefined;
  clusterSecret: string | undefined;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  compactLogBytes: number;
  httpHost: string;
  httpPort: number;
  authFile: string | undefined;
  logLevel: string;
  queryTimeoutMs: number;
  /** 0: queries run on the main thread. */
  queryWorkers: number;
  /** OTLP/HTTP endpoint spans are sent to; undefined: tracing is off. */
  otlpEndpoint: string | undefined;
  /** Alert rules and sinks: the config file's structured `alerts` key (docs/alerting.md); defaults without it. */
  alerts: AlertingConfig;
  /** The config file's structured "backup" key (backup-config.ts); no flag. */
  backup: BackupConfig | undefined;
}

/** Config-file keys that hold structured values and have no flag. */
export const SETTINGS = {
  'node-id': { description: 'unique, stable name of this member', default: 'hostname-based' },
  'data-dir': { description: 'all durable state of this node', default: './oxirs-data' },
  http: { description: 'client API address HOST:PORT', default: '127.0.0.1:7878' },
  raft: { description: 'peer traffic address HOST:PORT', default: 'HTTP port + 1000' },
  'initial-cluster': { description: "static bootstrap ID=HOST:PORT,... (this node's view of every member's Raft address, itself included)", default: undefined },
  join: { description: "join a running cluster through a member's HTTP URL", default: undefined },
  'cluster-secret': { description: 'shared secret authenticating peer connections, or @FILE', default: undefined },
  'heartbeat-interval-ms': { description: 'Raft heartbeat interval (one tick)', default: '50' },
  'election-timeout-ms': { description: 'Raft election timeout (randomised up to twice this)', default: '500' },
  'compact-log-bytes': { description: 'compact the Raft log after this many bytes of entries', default: String(64 * 2 ** 20) },
  auth: { description: 'users, tokens and roles for the HTTP API (JSON file)', default: undefined },
  'log-level': { description: 'fatal, error, warn, info, debug or trace', default: 'info' },
  'query-timeout-ms': { description: 'longest a query may run; a request may ask for less with ?timeout=SECONDS', default: '30000' },
  'query-workers': { description: 'worker threads that evaluate queries (0: the main thread)', default: 'one per core, at least 2' },
  'otlp-endpoint': { description: 'OpenTelemetry tracing: OTLP/HTTP URL spans are sent to (http://HOST:4318 or its /v1/traces URL)', default: undefined },
} as const;

export type SettingName = keyof typeof SETTINGS;

/** Config-file keys that hold an object and have no flag. */
/** Config-file keys that hold structured values and have no flag. */
const STRUCTURED_KEYS = {
  alerts: 'alert rules and sinks (docs/alerting.md)',
  backup: 'backups into a target, scheduled, with retention (docs/backup.md)',
} as const;

export function envName(setting: string): string {
  return `OXIRS_${setting.toUpperCase().replace(/-/g, '_')}`;
}

export function parseHostPort(value: string, what: string): { host: string; port: number } {
  try {
    return parseAddress(value);
  } catch {
    throw new ConfigError(`${what} must be HOST:PORT (got ${JSON.stringify(value)})`);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function resolveNodeConfig(
  flags: Partial<Record<SettingName, string>>,
  configFile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): NodeConfig {
  let fileValues: Record<string, unknown> = {};
  if (configFile) {
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read config file ${configFile}: ${(error as Error).message}`);
    }
    try {
      fileValues = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`config file ${configFile} is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof fileValues !== 'object' || fileValues === null || Array.isArray(fileValues)) throw new ConfigError(`config file ${configFile} must hold a JSON object`);
    for (const key of Object.keys(fileValues)) {
      if (!(key in SETTINGS) && !(key in STRUCTURED_KEYS)) throw new ConfigError(`config file ${configFile}: unknown key ${JSON.stringify(key)} (known: ${[...Object.keys(SETTINGS), ...Object.keys(STRUCTURED_KEYS)].join(', ')})`);
    }
  }
  const value = (name: SettingName): string | undefined => {
    const fromFile = fileValues[name];
    if (fromFile !== undefined && typeof fromFile !== 'string') throw new ConfigError(`config key ${JSON.stringify(name)} must be a string`);
    return flags[name] ?? env[envName(name)] ?? fromFile ?? SETTINGS[name].default;
  };
  const http = parseHostPort(value('http')!, '--http');
  const nodeIdValue = value('node-id')!;
  const nodeId = nodeIdValue === SETTINGS['node-id'].default ? hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64) || 'node' : nodeIdValue;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(nodeId)) throw new ConfigError('--node-id must be 1 to 64 letters, digits, dots, dashes or underscores');
  const raftValue = value('raft')!;
  const raftAddr = raftValue === SETTINGS.raft.default ? `${http.host.includes(':') ? `[${http.host}]` : http.host}:${http.port + 1000}` : raftValue;
  parseHostPort(raftAddr, '--raft');
  let initialCluster: Record<string, string> | undefined;
  const initial = value('initial-cluster');
  if (initial !== undefined) {
    try {
      initialCluster = parseInitialCluster(initial);
    } catch (error) {
      throw new ConfigError(`--initial-cluster: ${(error as Error).message}`);
    }
    if (initialCluster[nodeId] === undefined) throw new ConfigError(`--initial-cluster must name this node (${nodeId})`);
  }
  const joinUrl = value('join');
  if (joinUrl !== undefined) {
    if (initialCluster) throw new ConfigError('give --initial-cluster or --join, not both');
    if (!/^https?:\/\/[^\s]+$/.test(joinUrl) || !URL.canParse(joinUrl)) throw new ConfigError('--join must be an http:// URL of a member (with user:password@ for a member with --auth)');
  }
  let clusterSecret = value('cluster-secret');
  if (clusterSecret?.startsWith('@')) {
    try {
      clusterSecret = readFileSync(clusterSecret.slice(1), 'utf8').trim();
    } catch (error) {
      throw new ConfigError(`cannot read --cluster-secret file: ${(error as Error).message}`);
    }
  }
  if (clusterSecret !== undefined && clusterSecret.length === 0) throw new ConfigError('--cluster-secret is empty');
  const positive = (name: SettingName, max: number) => {
    const n = Number(value(name));
    if (!Number.isInteger(n) || n <= 0 || n > max) throw new ConfigError(`--${name} must be an integer from 1 to ${max}`);
    return n;
  };
  const heartbeatIntervalMs = positive('heartbeat-interval-ms', 10_000);
  const electionTimeoutMs = positive('election-timeout-ms', 600_000);
  if (electionTimeoutMs < 2 * heartbeatIntervalMs) throw new ConfigError('--election-timeout-ms must be at least twice --heartbeat-interval-ms');
  const compactLogBytes = positive('compact-log-bytes', 2 ** 40);
  const logLevel = value('log-level')!;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const queryTimeoutMs = Number(value('query-timeout-ms'));
  if (!Number.isInteger(queryTimeoutMs) || queryTimeoutMs <= 0) throw new ConfigError('--query-timeout-ms must be a positive integer');
  const workers = value('query-workers')!;
  const queryWorkers = workers === SETTINGS['query-workers'].default ? defaultQueryWorkers() : Number(workers);
  if (!Number.isInteger(queryWorkers) || queryWorkers < 0 || queryWorkers > 64) throw new ConfigError('--query-workers must be an integer from 0 to 64');
  const otlpEndpoint = value('otlp-endpoint');
  if (otlpEndpoint !== undefined && !/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(otlpEndpoint)) throw new ConfigError('--otlp-endpoint must be an http:// or https:// URL');
  let alerts: AlertingConfig;
  try {
    alerts = parseAlertingConfig(fileValues.alerts);
  } catch (error) {
    if (error instanceof AlertConfigError) throw new ConfigError(`config file ${configFile}: ${error.message}`);
    throw error;
  }
  return {
    nodeId,
    dataDir: value('data-dir')!,
    raftAddr,
    initialCluster,
    joinUrl,
    clusterSecret,
    heartbeatIntervalMs,
    electionTimeoutMs,
    compactLogBytes,
    httpHost: http.host,
    httpPort: http.port,
    authFile: value('auth'),
    logLevel,
    queryTimeoutMs,
    queryWorkers,
    otlpEndpoint,
    alerts,
    backup: fileValues.backup === undefined ? undefined : parseBackupConfig(fileValues.backup, env),
  };
}
