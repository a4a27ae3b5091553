/**
 * Which backups to keep: the last N full backups, and the newest full backup of each of the last
 * D days, W ISO weeks and M months that have one (UTC; the rule restic and borg use). An
 * incremental is kept exactly when the full backup its chain starts from is kept, so pruning
 * never removes a backup a kept one depends on. Unreadable manifests are never touched.
 */
import { BackupError } from './backup-errors.ts';
import type { BackupTarget } from './backup-target.ts';
import { readCatalog } from './backup-catalog.ts';
import type { BackupManifest } from './manifest.ts';

export interface RetentionPolicy {
  keepLast?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
}

export function keptBackups(manifests: BackupManifest[], policy: RetentionPolicy): Set<string> {
  const counts = [policy.keepLast, policy.daily, policy.weekly, policy.monthly];
  if (counts.every((n) => n === undefined)) throw new BackupError('bad_request', 'a retention policy needs keepLast, daily, weekly or monthly');
  for (const n of counts) if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new BackupError('bad_request', `retention counts are integers of at least 0, got ${n}`);
  const fulls = manifests.filter((m) => m.kind === 'full').sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const kept = new Set<string>();
  fulls.slice(0, policy.keepLast ?? 0).forEach((m) => kept.add(m.id));
  const byPeriod = (count: number | undefined, period: (at: Date) => string) => {
    const seen = new Set<string>();
    for (const m of fulls) {
      if (seen.size >= (count ?? 0)) return;
      const key = period(new Date(m.createdAt));
      if (seen.has(key)) continue;
      seen.add(key);
      kept.add(m.id);
    }
  };
  byPeriod(policy.daily, (at) => at.toISOString().slice(0, 10));
  byPeriod(policy.weekly, isoWeek);
  byPeriod(policy.monthly, (at) => at.toISOString().slice(0, 7));
  // Incrementals follow the full backup their chain starts from.
  const byId = new Map(manifests.map((m) => [m.id, m]));
  for (const m of manifests) {
    let root: BackupManifest | undefined = m;
    for (let steps = 0; root && root.kind !== 'full' && steps <= manifests.length; steps++) root = root.parentId === null ? undefined : byId.get(root.parentId);
    if (root?.kind === 'full' && kept.has(root.id)) kept.add(m.id);
  }
  return kept;
}

function isoWeek(at: Date): string {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  return `${day.getUTCFullYear()}-W${Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7)}`;
}

export interface PruneReport {
  kept: string[];
  deleted: string[];
  /** Unfinished backups (no manifest) that were removed. */
  removedIncomplete: string[];
}

/**
 * Deletes what the policy does not keep, newest index first (an incremental goes before the
 * backup it continues, so an interrupted prune leaves no kept backup without its parent).
 * Unfinished folders are removed too unless `inProgress` names them.
 */
export async function prune(target: BackupTarget, policy: RetentionPolicy, options: { dryRun?: boolean; inProgress?: Set<string> } = {}): Promise<PruneReport> {
  const catalog = await readCatalog(target);
  const kept = keptBackups(catalog.manifests, policy);
  const doomed = catalog.manifests.filter((m) => !kept.has(m.id)).sort((a, b) => b.toIndex - a.toIndex);
  const incomplete = catalog.incomplete.filter((folder) => !options.inProgress?.has(folder));
  if (!options.dryRun) {
    for (const m of doomed) await target.removeFolder(m.id);
    for (const folder of incomplete) await target.removeFolder(folder);
  }
  return { kept: catalog.manifests.filter((m) => kept.has(m.id)).map((m) => m.id), deleted: doomed.map((m) => m.id), removedIncomplete: incomplete };
}
