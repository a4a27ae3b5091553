/**
 * A node's own backups: taken on demand (POST /admin/backups) or on a schedule into the target
 * configured on the node, one at a time, with retention applied after each scheduled one.
 *
 * The schedule runs on the leader only (every member has the data; three copies of each backup
 * would be waste), checked every `checkEveryMs`. Its clock is the target's catalog: the times of
 * the newest full and newest backup found there, so a restart or a leader change keeps the
 * rhythm. An incremental that cannot continue (log compacted, a bulk load outside the log) is
 * replaced by a full backup.
 */
import type { ClusterNode } from '../../cluster/cluster-node.ts';
import { BackupError } from './backup-errors.ts';
import { openTarget, type BackupTarget, type S3Options } from './backup-target.ts';
import { NodeBackupSource } from './node-backup-source.ts';
import { createBackup, type CreateResult } from './create-backup.ts';
import { readCatalog, type Catalog } from './backup-catalog.ts';
import { prune, type RetentionPolicy } from './retention.ts';

export interface BackupConfig {
  /** A directory or s3://BUCKET/PREFIX. */
  target: string;
  s3?: S3Options;
  schedule?: { fullEveryMs?: number; incrementalEveryMs?: number };
  retention?: RetentionPolicy;
}

export type BackupLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export class BackupService {
  readonly target: BackupTarget;
  private readonly source: NodeBackupSource;
  /** The backup being taken (settles, never rejects). */
  private running: Promise<unknown> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly node: ClusterNode,
    private readonly config: BackupConfig,
    private readonly log: BackupLog,
  ) {
    this.target = openTarget(config.target, config.s3);
    this.source = new NodeBackupSource(node);
  }

  /** One backup now; a BackupError `backup_in_progress` if one is running. */
  async take(incremental: boolean): Promise<CreateResult> {
    if (this.running) throw new BackupError('backup_in_progress', 'a backup of this node is running; retry when it ends');
    const run = createBackup(this.source, this.target, { incremental });
    this.running = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      this.running = undefined;
    }
  }

  list(): Promise<Catalog> {
    return readCatalog(this.target);
  }

  startSchedule(checkEveryMs = 10_000): void {
    const schedule = this.config.schedule;
    if (!schedule || (schedule.fullEveryMs === undefined && schedule.incrementalEveryMs === undefined)) return;
    this.timer = setInterval(() => void this.tick().catch((error: Error) => this.log('error', 'scheduled backup failed', { error: error.message, target: this.target.description })), checkEveryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One check of the schedule (exported for tests). */
  async tick(nowMs = Date.now()): Promise<CreateResult | undefined> {
    if (this.running || this.node.status().role !== 'leader') return undefined;
    const schedule = this.config.schedule ?? {};
    const catalog = await this.list();
    const fulls = catalog.manifests.filter((m) => m.kind === 'full');
    const lastFullMs = fulls.length > 0 ? Date.parse(fulls[fulls.length - 1].createdAt) : -Infinity;
    const lastAnyMs = catalog.manifests.length > 0 ? Date.parse(catalog.manifests[catalog.manifests.length - 1].createdAt) : -Infinity;
    let kind: 'full' | 'incremental' | undefined;
    if (fulls.length === 0 || (schedule.fullEveryMs !== undefined && nowMs - lastFullMs >= schedule.fullEveryMs)) kind = 'full';
    else if (schedule.incrementalEveryMs !== undefined && nowMs - lastAnyMs >= schedule.incrementalEveryMs) kind = 'incremental';
    if (!kind) return undefined;
    let result: CreateResult;
    try {
      result = await this.take(kind === 'incremental');
    } catch (error) {
      if (!(error instanceof BackupError) || !['backup_log_compacted', 'backup_chain_broken'].includes(error.code)) throw error;
      this.log('warn', 'incremental backup impossible; taking a full one', { reason: error.message });
      result = await this.take(false);
    }
    if (!result.upToDate) this.log('info', 'backup taken', { id: result.manifest.id, kind: result.manifest.kind, index: result.manifest.toIndex, target: this.target.description });
    if (this.config.retention && !result.upToDate) {
      const report = await prune(this.target, this.config.retention);
      if (report.deleted.length > 0) this.log('info', 'old backups pruned', { deleted: report.deleted });
    }
    return result;
  }
}
