/**
 * Point-in-time restore into a fresh data directory: the full backup's snapshot is installed,
 * then the incrementals' log entries are replayed through the node's own StateMachine (the code
 * every replica applies entries with, so replay is exact), up to the chosen point:
 *   latest          the newest backup's index
 *   --id ID         that backup's index
 *   --to-index N    exactly index N (a chain whose full backup is at or before N and reaches N)
 *   --to-time T     the longest log prefix in which no write is stamped after T (stamps are the
 *                   proposers' clocks, carried in each entry)
 * Then the membership is cleared and the store marked for claiming: the first `start` on the
 * directory makes it a new one-node cluster with a new id (cluster/state-machine.ts).
 *
 * Safety: every file is checked against its manifest before its effect counts (the snapshot
 * install aborts its transaction, a log file is downloaded and checked whole before replay);
 * where the restore ends at a backup's index, the restored dataset hash must equal the one
 * recorded. On any failure the directory is removed: there is no silently wrong store.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { QuadStore } from '../../store/quad-store.ts';
import { installSnapshot, InvalidSnapshotError } from '../../store/store-snapshot.ts';
import { datasetHash } from '../../store/dataset-hash.ts';
import { APPLIED_KEY, RESTORE_CLAIM_KEY, StateMachine, readAppliedState } from '../../cluster/state-machine.ts';
import { decodeLogCommand } from '../../cluster/log-command.ts';
import { emptyConfState, type Entry } from '../../raft/messages.ts';
import type { BackupTarget } from './backup-target.ts';
import { BackupError, CorruptBackupError } from './backup-errors.ts';
import { chainOf, latest, readCatalog } from './backup-catalog.ts';
import { checked, decodeLogParts, gunzip } from './backup-files.ts';
import type { BackupManifest } from './manifest.ts';
import { LocalDirectoryTarget } from './local-directory-target.ts';

export interface RestoreOptions {
  dataDir: string;
  id?: string;
  toIndex?: number;
  toTime?: Date;
  log?: (message: string) => void;
}

export interface RestoreReport {
  /** The backups replayed, full first. */
  chain: BackupManifest[];
  index: number;
  term: number;
  quads: number;
  hash: string;
  /** The backup whose recorded hash the restored dataset matched (none: a point between backups). */
  matchedBackupId: string | null;
}

/** Which chain to replay and where to stop. */
export function planRestore(manifests: BackupManifest[], options: Omit<RestoreOptions, 'dataDir'>): { chain: BackupManifest[]; stopIndex: number; stopTimeMs: number | null } {
  if (options.toIndex !== undefined && options.toTime !== undefined) throw new BackupError('bad_request', 'give --to-index or --to-time, not both');
  if (manifests.length === 0) throw new BackupError('backup_not_found', 'the target holds no backup');
  if (options.id !== undefined) {
    const chain = chainOf(manifests, options.id);
    const end = chain[chain.length - 1];
    const stopIndex = options.toIndex ?? end.toIndex;
    if (stopIndex > end.toIndex || stopIndex < chain[0].toIndex) throw new BackupError('backup_not_found', `backup ${options.id} covers indexes ${chain[0].toIndex} to ${end.toIndex}, not ${stopIndex}`);
    if (options.toTime !== undefined && (chain[0].logClockMs ?? 0) > options.toTime.getTime()) {
      throw new BackupError('backup_not_found', `the full backup ${chain[0].id} already holds writes stamped after ${options.toTime.toISOString()}`);
    }
    return { chain: trim(chain, stopIndex), stopIndex, stopTimeMs: options.toTime?.getTime() ?? null };
  }
  // Every chain, by its last backup: each backup ends one.
  const chains = manifests.map((m) => {
    try {
      return chainOf(manifests, m.id);
    } catch {
      return undefined;
    }
  }).filter((c): c is BackupManifest[] => c !== undefined);
  if (options.toIndex !== undefined) {
    const n = options.toIndex;
    const fitting = chains.filter((c) => c[0].toIndex <= n && n <= c[c.length - 1].toIndex);
    // The latest full backup (least replay), then the shortest chain reaching n.
    fitting.sort((a, b) => b[0].toIndex - a[0].toIndex || a[a.length - 1].toIndex - b[b.length - 1].toIndex);
    if (fitting.length === 0) throw new BackupError('backup_not_found', `no backup chain covers index ${n} (backups cover ${coverage(chains)})`);
    return { chain: trim(fitting[0], n), stopIndex: n, stopTimeMs: null };
  }
  if (options.toTime !== undefined) {
    const t = options.toTime.getTime();
    const fitting = chains.filter((c) => (c[0].logClockMs ?? 0) <= t);
    // The latest full backup stamped at or before t, then its longest chain.
    fitting.sort((a, b) => (b[0].logClockMs ?? 0) - (a[0].logClockMs ?? 0) || b[0].toIndex - a[0].toIndex || b[b.length - 1].toIndex - a[a.length - 1].toIndex);
    if (fitting.length === 0) throw new BackupError('backup_not_found', `no full backup holds only writes stamped at or before ${options.toTime.toISOString()}`);
    const chain = fitting[0];
    return { chain, stopIndex: chain[chain.length - 1].toIndex, stopTimeMs: t };
  }
  const newest = latest(manifests)!;
  const chain = chainOf(manifests, newest.id);
  return { chain, stopIndex: newest.toIndex, stopTimeMs: null };
}

function trim(chain: BackupManifest[], stopIndex: number): BackupManifest[] {
  return chain.filter((m, i) => i === 0 || m.fromIndex <= stopIndex);
}

function coverage(chains: BackupManifest[][]): string {
  return chains.length === 0 ? 'nothing' : [...new Set(chains.map((c) => `${c[0].toIndex}-${c[c.length - 1].toIndex}`))].join(', ');
}

export async function restoreBackup(target: BackupTarget, options: RestoreOptions): Promise<RestoreReport> {
  const say = options.log ?? (() => undefined);
  const existing = await readdir(options.dataDir).catch(() => [] as string[]);
  if (existing.length > 0) throw new BackupError('bad_request', `--data-dir ${options.dataDir} is not empty: restore writes a fresh data directory`);
  const catalog = await readCatalog(target);
  // A damaged manifest could be the backup meant: never pick around it.
  if (catalog.corrupt.length > 0) throw catalog.corrupt[0];
  const plan = planRestore(catalog.manifests, options);
  await mkdir(options.dataDir, { recursive: true });
  const store = QuadStore.open({ path: join(options.dataDir, 'store') });
  let closed = false;
  try {
    const [full, ...incrementals] = plan.chain;
    say(`installing full backup ${full.id} (index ${full.toIndex})`);
    const storePath = `${full.id}/${full.files[0].name}`;
    try {
      await installSnapshot(store, gunzip(checked(target.get(storePath), full.files[0], storePath), storePath));
    } catch (error) {
      if (error instanceof InvalidSnapshotError) throw new CorruptBackupError(storePath, error.message);
      throw error;
    }
    const installed = readAppliedState(store);
    if (installed.index !== full.toIndex || installed.term !== full.term) {
      throw new CorruptBackupError(`${full.id}/manifest.json`, `the snapshot holds index ${installed.index} term ${installed.term}, the manifest says ${full.toIndex} term ${full.term}`);
    }
    // Replayed entries change the store only; no Raft core listens to configuration changes here.
    const machine = new StateMachine(store, () => emptyConfState(), () => false);
    let done = false;
    for (const incremental of incrementals) {
      if (done || machine.applied.index >= plan.stopIndex) break;
      say(`replaying ${incremental.id} (entries ${incremental.fromIndex} to ${Math.min(incremental.toIndex, plan.stopIndex)})`);
      const file = incremental.files[0];
      const path = `${incremental.id}/${file.name}`;
      // Downloaded and checked whole first: replay commits as it goes.
      const scratch = join(options.dataDir, 'restore-scratch');
      await new LocalDirectoryTarget(scratch).put('log', checked(target.get(path), file, path));
      for await (const batch of decodeLogParts(gunzip(createReadStream(join(scratch, 'log')), path), path, incremental.fromIndex, incremental.toIndex)) {
        const take = entriesToReplay(batch, plan.stopIndex, plan.stopTimeMs);
        if (take.length > 0) await machine.apply(take);
        if (take.length < batch.length) {
          done = true;
          break;
        }
      }
      await rm(scratch, { recursive: true, force: true });
    }
    const applied = machine.applied;
    if (plan.stopTimeMs === null && applied.index !== plan.stopIndex) throw new BackupError('backup_chain_broken', `replay ended at index ${applied.index}, short of ${plan.stopIndex}`);
    const snapshot = store.snapshot();
    let dataset: { quads: number; hash: string };
    try {
      dataset = datasetHash(snapshot);
    } finally {
      snapshot.release();
    }
    const matched = plan.chain.find((m) => m.toIndex === applied.index) ?? null;
    if (matched && (matched.dataset.hash !== dataset.hash || matched.dataset.quads !== dataset.quads)) {
      throw new CorruptBackupError(`${matched.id}/manifest.json`, `the restored dataset (${dataset.quads} quads, hash ${dataset.hash}) differs from the one recorded at index ${applied.index} (${matched.dataset.quads} quads, hash ${matched.dataset.hash})`);
    }
    await store.write((writer) => {
      writer.putMeta(APPLIED_KEY, { ...applied, confState: emptyConfState(), members: {} });
      writer.putMeta(RESTORE_CLAIM_KEY, { backupId: plan.chain[plan.chain.length - 1].id, index: applied.index, fromClusterId: full.clusterId, restoredAt: new Date().toISOString() });
    }, { sync: true });
    await store.flushed();
    await store.close();
    closed = true;
    return { chain: plan.chain, index: applied.index, term: applied.term, ...dataset, matchedBackupId: matched?.id ?? null };
  } catch (error) {
    if (!closed) await store.close().catch(() => undefined);
    await rm(options.dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** The prefix of `batch` to replay: up to stopIndex, and before the first write stamped after stopTimeMs. */
function entriesToReplay(batch: Entry[], stopIndex: number, stopTimeMs: number | null): Entry[] {
  let end = 0;
  for (const entry of batch) {
    if (entry.index > stopIndex) break;
    if (stopTimeMs !== null && entry.type === 'normal' && entry.data.byteLength > 0 && decodeLogCommand(entry.data).timeMs > stopTimeMs) break;
    end++;
  }
  return batch.slice(0, end);
}
