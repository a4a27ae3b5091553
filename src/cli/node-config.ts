/**
 * The settings of `oxirs-cluster start`. Each comes from, in order of precedence: its flag, its
 * environment variable `OXIRS_<UPPER_SNAKE>`, its key in the `--config` JSON file (the flag's
 * name without dashes, e.g. "data-dir"), or its default. Bad values are a ConfigError: the CLI
 * prints its one-line reason and exits with code 2.
 */
import { readFileSync } from 'node:fs';
import { defaultQueryWorkers } from '../sparql/query-pool.ts';

export class ConfigError extends Error {}

export interface NodeConfig {
  dataDir: string;
  httpHost: string;
  httpPort: number;
  authFile: string | undefined;
  logLevel: string;
  queryTimeoutMs: number;
  /** 0: queries run on the main thread. */
  queryWorkers: number;
}

export const SETTINGS = {
  'data-dir': { description: 'all durable state of this node', default: './oxirs-data' },
  http: { description: 'client API address HOST:PORT', default: '127.0.0.1:7878' },
  auth: { description: 'users, tokens and roles for the HTTP API (JSON file)', default: undefined },
  'log-level': { description: 'fatal, error, warn, info, debug or trace', default: 'info' },
  'query-timeout-ms': { description: 'longest a query may run; a request may ask for less with ?timeout=SECONDS', default: '30000' },
  'query-workers': { description: 'worker threads that evaluate queries (0: the main thread)', default: 'one per core, at least 2' },
} as const;

export type SettingName = keyof typeof SETTINGS;

export function envName(setting: string): string {
  return `OXIRS_${setting.toUpperCase().replace(/-/g, '_')}`;
}

export function parseHostPort(value: string, what: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) throw new ConfigError(`${what} must be HOST:PORT (got ${JSON.stringify(value)})`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
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
      if (!(key in SETTINGS)) throw new ConfigError(`config file ${configFile}: unknown key ${JSON.stringify(key)} (known: ${Object.keys(SETTINGS).join(', ')})`);
    }
  }
  const value = (name: SettingName): string | undefined => {
    const fromFile = fileValues[name];
    if (fromFile !== undefined && typeof fromFile !== 'string') throw new ConfigError(`config key ${JSON.stringify(name)} must be a string`);
    return flags[name] ?? env[envName(name)] ?? fromFile ?? SETTINGS[name].default;
  };
  const http = parseHostPort(value('http')!, '--http');
  const logLevel = value('log-level')!;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const queryTimeoutMs = Number(value('query-timeout-ms'));
  if (!Number.isInteger(queryTimeoutMs) || queryTimeoutMs <= 0) throw new ConfigError('--query-timeout-ms must be a positive integer');
  const workers = value('query-workers')!;
  const queryWorkers = workers === SETTINGS['query-workers'].default ? defaultQueryWorkers() : Number(workers);
  if (!Number.isInteger(queryWorkers) || queryWorkers < 0 || queryWorkers > 64) throw new ConfigError('--query-workers must be an integer from 0 to 64');
  return { dataDir: value('data-dir')!, httpHost: http.host, httpPort: http.port, authFile: value('auth'), logLevel, queryTimeoutMs, queryWorkers };
}
