/**
 * The backups a target holds: every folder with a readable manifest, and the chains they form
 * (a full backup, then incrementals each continuing the one before). A folder without a manifest
 * is an unfinished backup; a manifest that does not check is reported, never guessed around.
 */
import { BackupError, CorruptBackupError } from './backup-errors.ts';
import type { BackupTarget } from './backup-target.ts';
import { BACKUP_ID_PATTERN, decodeManifest, MANIFEST_NAME, type BackupManifest } from './manifest.ts';

export interface Catalog {
  /** Oldest first (by creation time, then index). */
  manifests: BackupManifest[];
  /** Folders that look like backups but have no manifest (unfinished or abandoned). */
  incomplete: string[];
  /** Manifests that failed their check. */
  corrupt: CorruptBackupError[];
}

export async function readAll(target: BackupTarget, path: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of target.get(path)) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

export async function readManifest(target: BackupTarget, id: string): Promise<BackupManifest> {
  const path = `${id}/${MANIFEST_NAME}`;
  const manifest = decodeManifest(await readAll(target, path), path);
  if (manifest.id !== id) throw new CorruptBackupError(path, `names backup ${manifest.id}, found in folder ${id}`);
  return manifest;
}

export async function readCatalog(target: BackupTarget): Promise<Catalog> {
  const catalog: Catalog = { manifests: [], incomplete: [], corrupt: [] };
  for (const folder of (await target.folders()).filter((name) => BACKUP_ID_PATTERN.test(name)).sort()) {
    if (!(await target.has(`${folder}/${MANIFEST_NAME}`))) {
      catalog.incomplete.push(folder);
      continue;
    }
    try {
      catalog.manifests.push(await readManifest(target, folder));
    } catch (error) {
      if (!(error instanceof CorruptBackupError)) throw error;
      catalog.corrupt.push(error);
    }
  }
  catalog.manifests.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.toIndex - b.toIndex);
  return catalog;
}

/** The chain a restore of `id` replays: its full backup first, `id` last. Checks every link. */
export function chainOf(manifests: BackupManifest[], id: string, corrupt: CorruptBackupError[] = []): BackupManifest[] {
  const byId = new Map(manifests.map((m) => [m.id, m]));
  const chain: BackupManifest[] = [];
  const end = byId.get(id);
  if (!end) throw new BackupError('backup_not_found', `no backup ${id} in the target`);
  let current: BackupManifest = end;
  // Bounded by the number of backups: a cycle would be a forged manifest.
  for (let steps = 0; steps <= manifests.length; steps++) {
    chain.unshift(current);
    if (current.kind === 'full') return checkLinks(chain);
    const parentId = current.parentId;
    const parent: BackupManifest | undefined = parentId === null ? undefined : byId.get(parentId);
    const damaged = corrupt.find((error) => error.file === `${parentId}/${MANIFEST_NAME}`);
    if (!parent && damaged) throw damaged;
    if (!parent) throw new BackupError('backup_chain_broken', `backup ${current.id} continues ${current.parentId}, which is not in the target (pruned or never finished)`);
    current = parent;
  }
  throw new BackupError('backup_chain_broken', `the parents of backup ${id} form a cycle`);
}

function checkLinks(chain: BackupManifest[]): BackupManifest[] {
  for (let i = 1; i < chain.length; i++) {
    const [parent, child] = [chain[i - 1], chain[i]];
    const broken = (why: string) => new BackupError('backup_chain_broken', `backup ${child.id} does not continue ${parent.id}: ${why}`);
    if (child.clusterId !== parent.clusterId) throw broken(`cluster ${child.clusterId} vs ${parent.clusterId}`);
    if (child.fromIndex !== parent.toIndex + 1) throw broken(`it starts at index ${child.fromIndex}, the parent ends at ${parent.toIndex}`);
    if (child.prevTerm !== parent.term) throw broken(`entry ${parent.toIndex} has term ${child.prevTerm} in its log, ${parent.term} in the parent`);
    if (child.localWrites !== parent.localWrites) throw broken('writes bypassed the log in between');
  }
  return chain;
}

/** The newest backup: highest index, then latest creation. */
export function latest(manifests: BackupManifest[]): BackupManifest | undefined {
  return [...manifests].sort((a, b) => b.toIndex - a.toIndex || b.createdAt.localeCompare(a.createdAt))[0];
}
