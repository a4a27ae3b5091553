/**
 * The manifest of one backup (`<id>/manifest.json`): what it holds, from which cluster, which log
 * range, and the checksum of each of its files. Written last, so a backup without a manifest is
 * incomplete and ignored. The manifest protects itself: `manifestSha256` covers the rest of it,
 * and the file must be byte-for-byte the canonical serialisation, so any changed byte (even
 * whitespace) is detected.
 */
import { createHash } from 'node:crypto';
import { CorruptBackupError } from './backup-errors.ts';

export const MANIFEST_FORMAT = 'oxirs-backup';
export const MANIFEST_VERSION = 1;
export const MANIFEST_NAME = 'manifest.json';

export interface BackupFile {
  /** Name inside the backup's folder. */
  name: string;
  sizeBytes: number;
  /** Of the stored (compressed) bytes. */
  sha256: string;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  id: string;
  kind: 'full' | 'incremental';
  /** The cluster's id (store meta `cluster.id`); null for a cluster created before ids existed. */
  clusterId: string | null;
  /** Incremental: the backup it continues (full or incremental); full: null. */
  parentId: string | null;
  /** Full: 1 (the state holds every entry up to toIndex). Incremental: the first entry it holds. */
  fromIndex: number;
  /** The state after applying this log index. */
  toIndex: number;
  /** Term of entry toIndex. */
  term: number;
  /** Incremental: term of entry fromIndex - 1 (must equal the parent's `term`); full: null. */
  prevTerm: number | null;
  /** Wall clock of the machine that wrote the backup. */
  createdAt: string;
  /** The log's clock at toIndex: the latest proposer time of any entry up to it (null: no write yet). */
  logClockMs: number | null;
  /** Order-independent hash and quad count of the dataset at toIndex (store/dataset-hash.ts). */
  dataset: { quads: number; hash: string };
  /** Incremental: how many log entries it holds. */
  entries: number | null;
  /** The member whose applied state was read. */
  servedBy: string;
  /** Writes that bypassed the log so far (store meta `store.localWrites`); an incremental needs its parent's count unchanged. */
  localWrites: number;
  files: BackupFile[];
}

type Stored = BackupManifest & { manifestSha256: string };

function serialise(manifest: BackupManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function encodeManifest(manifest: BackupManifest): Buffer {
  const body = serialise(manifest);
  const stored: Stored = { ...manifest, manifestSha256: createHash('sha256').update(body).digest('hex') };
  return Buffer.from(serialise(stored));
}

/** Parses and checks a manifest; `path` names it in the error. */
export function decodeManifest(bytes: Uint8Array, path: string): BackupManifest {
  const text = Buffer.from(bytes).toString('utf8');
  let parsed: Stored;
  try {
    parsed = JSON.parse(text) as Stored;
  } catch (error) {
    throw new CorruptBackupError(path, `not JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.manifestSha256 !== 'string') throw new CorruptBackupError(path, 'no manifestSha256');
  const { manifestSha256, ...manifest } = parsed;
  if (createHash('sha256').update(serialise(manifest)).digest('hex') !== manifestSha256) throw new CorruptBackupError(path, 'checksum mismatch');
  if (serialise(parsed) !== text) throw new CorruptBackupError(path, 'not in canonical form (bytes were changed)');
  if (manifest.format !== MANIFEST_FORMAT) throw new CorruptBackupError(path, `format ${JSON.stringify(manifest.format)} is not ${MANIFEST_FORMAT}`);
  if (manifest.version !== MANIFEST_VERSION) throw new CorruptBackupError(path, `version ${JSON.stringify(manifest.version)}; this build reads version ${MANIFEST_VERSION}`);
  return manifest;
}

/** `20260102T030405678Z-full-1234`: sorts by time, says what it is. */
export function backupId(createdAt: Date, kind: BackupManifest['kind'], toIndex: number): string {
  return `${createdAt.toISOString().replace(/[-:.]/g, '')}-${kind === 'full' ? 'full' : 'incr'}-${toIndex}`;
}

export const BACKUP_ID_PATTERN = /^\d{8}T\d{9}Z-(full|incr)-\d+$/;
