/**
 * The structured `backup` key of a node's config file (the only setting that is not a flag):
 *   "backup": {
 *     "target": "/var/backups/oxirs" | "s3://BUCKET/PREFIX",
 *     "s3": { "endpoint": "http://127.0.0.1:9000", "region": "us-east-1", "forcePathStyle": true,
 *             "accessKeyId": "...", "secretAccessKey": "..." },          (optional; env OXIRS_S3_*, AWS_*)
 *     "schedule": { "fullEveryMs": 86400000, "incrementalEveryMs": 900000 }, (optional)
 *     "retention": { "keepLast": 7, "daily": 7, "weekly": 4, "monthly": 12 }  (optional)
 *   }
 * Every mistake is a ConfigError naming the key.
 */
import type { BackupConfig } from '../ops/backup/backup-service.ts';
import { openTarget, s3OptionsFromEnv } from '../ops/backup/backup-target.ts';
import { ConfigError } from './node-config.ts';

const KEYS = { top: ['target', 's3', 'schedule', 'retention'], s3: ['endpoint', 'region', 'forcePathStyle', 'accessKeyId', 'secretAccessKey'], schedule: ['fullEveryMs', 'incrementalEveryMs'], retention: ['keepLast', 'daily', 'weekly', 'monthly'] };

function object(value: unknown, where: string, keys: string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`config key ${where} must be an object`);
  for (const key of Object.keys(value)) if (!keys.includes(key)) throw new ConfigError(`config key ${where}: unknown key ${JSON.stringify(key)} (known: ${keys.join(', ')})`);
  return value as Record<string, unknown>;
}

function integer(value: unknown, where: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new ConfigError(`config key ${where} must be an integer of at least ${min}`);
  return value;
}

function string(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new ConfigError(`config key ${where} must be a non-empty string`);
  return value;
}

export function parseBackupConfig(value: unknown, env: NodeJS.ProcessEnv = process.env): BackupConfig {
  const top = object(value, '"backup"', KEYS.top);
  const target = string(top.target, 'backup.target');
  if (target === undefined) throw new ConfigError('config key backup.target is required (a directory or s3://BUCKET/PREFIX)');
  const s3 = top.s3 === undefined ? {} : object(top.s3, 'backup.s3', KEYS.s3);
  if (s3.forcePathStyle !== undefined && typeof s3.forcePathStyle !== 'boolean') throw new ConfigError('config key backup.s3.forcePathStyle must be true or false');
  const fromEnv = s3OptionsFromEnv(env);
  const config: BackupConfig = {
    target,
    s3: {
      endpoint: string(s3.endpoint, 'backup.s3.endpoint') ?? fromEnv.endpoint,
      region: string(s3.region, 'backup.s3.region') ?? fromEnv.region,
      forcePathStyle: (s3.forcePathStyle as boolean | undefined) ?? fromEnv.forcePathStyle,
      accessKeyId: string(s3.accessKeyId, 'backup.s3.accessKeyId'),
      secretAccessKey: string(s3.secretAccessKey, 'backup.s3.secretAccessKey'),
    },
  };
  if ((config.s3!.accessKeyId === undefined) !== (config.s3!.secretAccessKey === undefined)) throw new ConfigError('config keys backup.s3.accessKeyId and secretAccessKey go together');
  if (top.schedule !== undefined) {
    const schedule = object(top.schedule, 'backup.schedule', KEYS.schedule);
    config.schedule = { fullEveryMs: integer(schedule.fullEveryMs, 'backup.schedule.fullEveryMs', 1000), incrementalEveryMs: integer(schedule.incrementalEveryMs, 'backup.schedule.incrementalEveryMs', 1000) };
    if (config.schedule.fullEveryMs === undefined && config.schedule.incrementalEveryMs === undefined) throw new ConfigError('config key backup.schedule needs fullEveryMs or incrementalEveryMs');
  }
  if (top.retention !== undefined) {
    const retention = object(top.retention, 'backup.retention', KEYS.retention);
    config.retention = Object.fromEntries(KEYS.retention.filter((k) => retention[k] !== undefined).map((k) => [k, integer(retention[k], `backup.retention.${k}`, 0)]));
    if (Object.keys(config.retention).length === 0) throw new ConfigError('config key backup.retention needs keepLast, daily, weekly or monthly');
    if (Object.values(config.retention).every((n) => n === 0)) throw new ConfigError('config key backup.retention would keep no backup');
  }
  try {
    openTarget(config.target, config.s3);
  } catch (error) {
    throw new ConfigError(`config key backup.target: ${(error as Error).message}`);
  }
  return config;
}
