/**
 * `oxirs-cluster backup create|list|verify|prune|restore`: backups through any member's HTTP API
 * into a directory or S3, checked end to end, restored to a point in time into a fresh data
 * directory (docs/backup.md). Runtime failures exit 1 with the reason (a corrupt backup names the
 * file); bad arguments exit 2.
 */
import { Command } from 'commander';
import { openTarget, s3OptionsFromEnv, type BackupTarget } from '../ops/backup/backup-target.ts';
import { HttpBackupSource } from '../ops/backup/http-backup-source.ts';
import { createBackup } from '../ops/backup/create-backup.ts';
import { readCatalog } from '../ops/backup/backup-catalog.ts';
import { verifyBackups } from '../ops/backup/verify-backup.ts';
import { prune, type RetentionPolicy } from '../ops/backup/retention.ts';
import { restoreBackup } from '../ops/backup/restore-backup.ts';
import { BackupError } from '../ops/backup/backup-errors.ts';
import { ConfigError } from './node-config.ts';

interface TargetFlags {
  target: string;
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
}

function target(flags: TargetFlags): BackupTarget {
  const env = s3OptionsFromEnv();
  try {
    return openTarget(flags.target, { ...env, endpoint: flags.s3Endpoint ?? env.endpoint, region: flags.s3Region ?? env.region, forcePathStyle: flags.s3PathStyle ?? env.forcePathStyle });
  } catch (error) {
    if (error instanceof BackupError) throw new ConfigError(`--target: ${error.message}`);
    throw error;
  }
}

function count(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new ConfigError(`--${name} must be an integer of at least 0`);
    return n;
  };
}

const print = (line: string) => process.stdout.write(`${line}\n`);

function withTarget(command: Command): Command {
  return command
    .requiredOption('--target <target>', 'a directory, or s3://BUCKET/PREFIX')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (default: AWS; env OXIRS_S3_ENDPOINT); credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY')
    .option('--s3-region <region>', 'S3 region (env OXIRS_S3_REGION or AWS_REGION; default us-east-1)')
    .option('--s3-path-style', 'bucket in the URL path (default with --s3-endpoint; env OXIRS_S3_FORCE_PATH_STYLE)');
}

export function registerBackupCommands(program: Command): void {
  const backup = program.command('backup').description('online backups, verification and point-in-time restore (docs/backup.md)');

  withTarget(backup.command('create').description('take a backup through any member: the store at its applied index, or with --incremental the log since the newest backup'))
    .requiredOption('--endpoint <url>', 'base URL of any member, e.g. http://127.0.0.1:7878')
    .option('--incremental', 'only the log entries since the newest backup in the target')
    .option('--user <user:password>', 'HTTP Basic credentials (admin role)')
    .option('--token <token>', 'HTTP Bearer token (admin role)')
    .action(async (flags: TargetFlags & { endpoint: string; incremental?: boolean; user?: string; token?: string }) => {
      const result = await createBackup(new HttpBackupSource(flags.endpoint, flags), target(flags), { incremental: flags.incremental === true });
      const m = result.manifest;
      if (result.upToDate) {
        print(`nothing new since backup ${m.id} at index ${m.toIndex}: no backup written`);
        return;
      }
      print(`backup ${m.id}`);
      print(`  ${m.kind}, cluster ${m.clusterId ?? '(none)'}, index ${m.fromIndex}..${m.toIndex}, term ${m.term}, served by ${m.servedBy}`);
      print(`  dataset hash ${m.dataset.hash} (${m.dataset.quads} quads)`);
      print(`  ${m.files.map((f) => `${f.name} ${f.sizeBytes} bytes`).join(', ')}`);
    });

  withTarget(backup.command('list').description('list the backups in a target, oldest first')).action(async (flags: TargetFlags) => {
    const catalog = await readCatalog(target(flags));
    const rows = [['ID', 'KIND', 'FROM', 'TO', 'TERM', 'QUADS', 'BYTES', 'PARENT']];
    for (const m of catalog.manifests) rows.push([m.id, m.kind, String(m.fromIndex), String(m.toIndex), String(m.term), String(m.dataset.quads), String(m.files.reduce((n, f) => n + f.sizeBytes, 0)), m.parentId ?? '-']);
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const row of rows) print(row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
    for (const folder of catalog.incomplete) print(`incomplete (no manifest): ${folder}`);
    for (const error of catalog.corrupt) print(`CORRUPT: ${error.message}`);
    if (catalog.corrupt.length > 0) process.exitCode = 1;
  });

  withTarget(backup.command('verify').description('read backups end to end (checksums, decompression, every record and entry); exit 1 naming the first corrupt file'))
    .option('--id <id>', 'this backup and the chain it needs (default: every backup)')
    .action(async (flags: TargetFlags & { id?: string }) => {
      const report = await verifyBackups(target(flags), flags.id);
      for (const m of report.verified) print(`ok  ${m.id}  ${m.kind}  index ${m.fromIndex}..${m.toIndex}`);
      print(`${report.verified.length} backup(s) verified`);
    });

  withTarget(backup.command('prune').description('delete backups outside the retention policy (never one a kept incremental depends on)'))
    .option('--keep-last <n>', 'keep the newest N full backups and their incrementals', count('keep-last'))
    .option('--daily <n>', 'keep the newest full backup of each of the last N days that have one', count('daily'))
    .option('--weekly <n>', 'the same per ISO week', count('weekly'))
    .option('--monthly <n>', 'the same per month', count('monthly'))
    .option('--dry-run', 'say what would be deleted, delete nothing')
    .action(async (flags: TargetFlags & RetentionPolicy & { dryRun?: boolean }) => {
      const policy: RetentionPolicy = { keepLast: flags.keepLast, daily: flags.daily, weekly: flags.weekly, monthly: flags.monthly };
      if (Object.values(policy).every((n) => n === undefined)) throw new ConfigError('give --keep-last N (and/or --daily, --weekly, --monthly)');
      if (Object.values(policy).every((n) => n === undefined || n === 0)) throw new ConfigError('that policy would delete every backup');
      const report = await prune(target(flags), policy, { dryRun: flags.dryRun });
      const verb = flags.dryRun ? 'would delete' : 'deleted';
      for (const id of report.deleted) print(`${verb} ${id}`);
      for (const id of report.removedIncomplete) print(`${verb} unfinished ${id}`);
      print(`${report.kept.length} kept, ${report.deleted.length} ${verb}`);
    });

  withTarget(backup.command('restore').description('restore into a fresh data dir; `start --data-dir DIR` then runs it as a new one-node cluster'))
    .requiredOption('--data-dir <dir>', 'a new (or empty) data directory')
    .option('--id <id>', 'restore this backup (default: the newest)')
    .option('--to-index <n>', 'restore exactly up to this log index', count('to-index'))
    .option('--to-time <iso>', 'restore the log up to this time (writes stamped later are left out)')
    .action(async (flags: TargetFlags & { dataDir: string; id?: string; toIndex?: number; toTime?: string }) => {
      if (flags.toIndex !== undefined && flags.toTime !== undefined) throw new ConfigError('give --to-index or --to-time, not both');
      let toTime: Date | undefined;
      if (flags.toTime !== undefined) {
        toTime = new Date(flags.toTime);
        if (!/^\d{4}-\d{2}-\d{2}T/.test(flags.toTime) || Number.isNaN(toTime.getTime())) throw new ConfigError(`--to-time must be an ISO 8601 time such as 2026-01-02T03:04:05Z (got ${JSON.stringify(flags.toTime)})`);
      }
      const report = await restoreBackup(target(flags), { dataDir: flags.dataDir, id: flags.id, toIndex: flags.toIndex, toTime, log: (line) => process.stderr.write(`${line}\n`) });
      print(`restored ${flags.dataDir} to index ${report.index} (term ${report.term}) from ${report.chain.map((m) => m.id).join(' + ')}`);
      print(`  dataset hash ${report.hash} (${report.quads} quads)${report.matchedBackupId ? `, equal to the one recorded in ${report.matchedBackupId}` : ''}`);
      print(`  start it with: oxirs-cluster start --data-dir ${flags.dataDir}  (a new one-node cluster; grow it with members add / --join)`);
    });
}
