/**
 * Takes a backup from a source into a target. Full: the store snapshot at the member's applied
 * index, gzip-compressed as it streams. Incremental: the log entries since the newest backup in
 * the target, which must still be in the member's log (etcd-like: if they were compacted away,
 * it refuses and says to take a full backup). Data files go up first, the manifest last, so an
 * interrupted backup leaves no manifest and is ignored (and pruned).
 */
import type { BackupSource } from './backup-source.ts';
import type { BackupTarget } from './backup-target.ts';
import { BackupError } from './backup-errors.ts';
import { latest, readCatalog } from './backup-catalog.ts';
import { encodeLogParts, gzip, LOG_FILE, measure, STORE_FILE } from './backup-files.ts';
import { backupId, encodeManifest, MANIFEST_FORMAT, MANIFEST_NAME, MANIFEST_VERSION, type BackupFile, type BackupManifest } from './manifest.ts';
import type { Entry } from '../../raft/messages.ts';

export interface CreateResult {
  manifest: BackupManifest;
  /** An incremental found nothing new since `manifest` (no backup was written). */
  upToDate: boolean;
}

export async function createBackup(source: BackupSource, target: BackupTarget, options: { incremental: boolean; now?: () => Date }): Promise<CreateResult> {
  const now = options.now ?? (() => new Date());
  return options.incremental ? createIncremental(source, target, now) : createFull(source, target, now);
}

async function createFull(source: BackupSource, target: BackupTarget, now: () => Date): Promise<CreateResult> {
  const exported = await source.exportSnapshot();
  const createdAt = now();
  const { head } = exported;
  const id = backupId(createdAt, 'full', head.toIndex);
  const file: BackupFile = { name: STORE_FILE, sizeBytes: 0, sha256: '' };
  try {
    await target.put(`${id}/${STORE_FILE}`, measure(gzip(exported.chunks), file));
  } catch (error) {
    // The source holds a read transaction until its hash is taken or it is abandoned.
    exported.abort();
    throw error;
  }
  const dataset = await exported.dataset();
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    id,
    kind: 'full',
    clusterId: head.clusterId,
    parentId: null,
    fromIndex: 1,
    toIndex: head.toIndex,
    term: head.term,
    prevTerm: null,
    createdAt: createdAt.toISOString(),
    logClockMs: head.logClockMs,
    dataset,
    entries: null,
    servedBy: head.nodeId,
    localWrites: head.localWrites,
    files: [file],
  };
  await target.put(`${id}/${MANIFEST_NAME}`, [encodeManifest(manifest)]);
  return { manifest, upToDate: false };
}

async function createIncremental(source: BackupSource, target: BackupTarget, now: () => Date): Promise<CreateResult> {
  const catalog = await readCatalog(target);
  if (catalog.corrupt.length > 0) throw catalog.corrupt[0];
  const parent = latest(catalog.manifests);
  if (!parent) throw new BackupError('backup_not_found', `${target.description} holds no backup to continue: take a full backup first`);
  const exported = await source.exportLog(parent.toIndex + 1);
  const { head } = exported;
  let dataset: { quads: number; hash: string } | undefined;
  try {
    const broken = (why: string) => new BackupError('backup_chain_broken', `cannot continue backup ${parent.id}: ${why}; take a full backup`);
    if (head.clusterId !== parent.clusterId) throw broken(`the member belongs to cluster ${head.clusterId}, the backup to ${parent.clusterId}`);
    if (head.prevTerm !== parent.term) throw broken(`entry ${parent.toIndex} has term ${head.prevTerm} in the member's log, ${parent.term} in the backup`);
    if (head.localWrites !== parent.localWrites) throw broken('a bulk load went to the store outside the log since then');
    if (head.toIndex === parent.toIndex) {
      dataset = await exported.dataset();
      return { manifest: parent, upToDate: true };
    }
    const createdAt = now();
    const id = backupId(createdAt, 'incremental', head.toIndex);
    const file: BackupFile = { name: LOG_FILE, sizeBytes: 0, sha256: '' };
    let entries = 0;
    let expected = head.fromIndex;
    const counted = async function* (batches: AsyncIterable<Entry[]>): AsyncGenerator<Entry[]> {
      for await (const batch of batches) {
        for (const entry of batch) {
          if (entry.index !== expected) throw new Error(`the member sent entry ${entry.index} where ${expected} belongs`);
          expected++;
        }
        entries += batch.length;
        yield batch;
      }
    };
    await target.put(`${id}/${LOG_FILE}`, measure(gzip(encodeLogParts(counted(exported.batches))), file));
    if (expected !== head.toIndex + 1) throw new Error(`the member sent entries up to ${expected - 1}, announced ${head.toIndex}`);
    dataset = await exported.dataset();
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      id,
      kind: 'incremental',
      clusterId: head.clusterId,
      parentId: parent.id,
      fromIndex: head.fromIndex,
      toIndex: head.toIndex,
      term: head.term,
      prevTerm: head.prevTerm,
      createdAt: createdAt.toISOString(),
      logClockMs: head.logClockMs,
      dataset,
      entries,
      servedBy: head.nodeId,
      localWrites: head.localWrites,
      files: [file],
    };
    await target.put(`${id}/${MANIFEST_NAME}`, [encodeManifest(manifest)]);
    return { manifest, upToDate: false };
  } finally {
    if (!dataset) exported.abort();
  }
}
