/**
 * Reads backups end to end: the manifest's own checksum, then every file's bytes against the
 * manifest (size and sha256), decompressed, and parsed (the snapshot stream with all its checks,
 * every log entry decoded and in sequence). Stops at the FIRST corrupt file and names it.
 */
import { readSnapshotStream, InvalidSnapshotError } from '../../store/store-snapshot.ts';
import type { BackupTarget } from './backup-target.ts';
import { CorruptBackupError } from './backup-errors.ts';
import { chainOf, readCatalog, readManifest } from './backup-catalog.ts';
import { checked, decodeLogParts, gunzip, LOG_FILE, STORE_FILE } from './backup-files.ts';
import type { BackupManifest } from './manifest.ts';

export interface VerifyReport {
  /** Backups checked, oldest first. */
  verified: BackupManifest[];
}

/** `id`: that backup and the chain it needs; none: every backup in the target. */
export async function verifyBackups(target: BackupTarget, id?: string): Promise<VerifyReport> {
  const catalog = await readCatalog(target);
  if (catalog.corrupt.length > 0 && id === undefined) throw catalog.corrupt[0];
  // With an id, a corrupt manifest elsewhere does not matter, but one in the chain does: read the named one directly.
  const selected = id === undefined ? catalog.manifests : chainOf([...catalog.manifests.filter((m) => m.id !== id), await readManifest(target, id)], id, catalog.corrupt);
  for (const manifest of selected) await verifyFiles(target, manifest);
  return { verified: selected };
}

export async function verifyFiles(target: BackupTarget, manifest: BackupManifest): Promise<void> {
  const expected = manifest.kind === 'full' ? STORE_FILE : LOG_FILE;
  if (manifest.files.length !== 1 || manifest.files[0].name !== expected) throw new CorruptBackupError(`${manifest.id}/manifest.json`, `a ${manifest.kind} backup holds exactly ${expected}`);
  const file = manifest.files[0];
  const path = `${manifest.id}/${file.name}`;
  const bytes = gunzip(checked(target.get(path), file, path), path);
  if (manifest.kind === 'full') {
    try {
      await readSnapshotStream(bytes, null, () => undefined);
    } catch (error) {
      if (error instanceof InvalidSnapshotError) throw new CorruptBackupError(path, error.message);
      throw error;
    }
  } else {
    let entries = 0;
    for await (const batch of decodeLogParts(bytes, path, manifest.fromIndex, manifest.toIndex)) entries += batch.length;
    if (entries !== manifest.entries) throw new CorruptBackupError(path, `${entries} entries, the manifest says ${manifest.entries}`);
  }
}
