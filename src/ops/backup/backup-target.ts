/**
 * Where backups are kept: a local directory or an S3-compatible bucket, behind one interface.
 * Paths are `<backup id>/<file>`. A file becomes visible only once written whole (a rename for a
 * directory, a completed (multipart) upload for S3), so a reader never sees half a file under its
 * name; the manifest is written last, so a backup without one is incomplete.
 */
import { LocalDirectoryTarget } from './local-directory-target.ts';
import { S3Target, type S3Options } from './s3-target.ts';
import { BackupError } from './backup-errors.ts';

export interface BackupTarget {
  /** For messages: the directory or `s3://bucket/prefix`. */
  readonly description: string;
  /** Stores `path` from the stream; visible under its name only when complete. */
  put(path: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void>;
  /** Streams `path`; a missing file is a BackupError `backup_not_found`. */
  get(path: string): AsyncIterable<Uint8Array>;
  /** The backup folders (first path component), in no particular order. */
  folders(): Promise<string[]>;
  /** Whether `path` exists. */
  has(path: string): Promise<boolean>;
  /** Deletes a backup folder and everything in it. */
  removeFolder(folder: string): Promise<void>;
}

export type { S3Options };

/** `DIR`, `file://DIR` or `s3://BUCKET[/PREFIX]`; S3 settings come from `s3` (and the SDK's environment). */
export function openTarget(spec: string, s3: S3Options = {}): BackupTarget {
  if (spec.startsWith('s3://')) {
    const rest = spec.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new BackupError('bad_request', `${JSON.stringify(spec)}: ${JSON.stringify(bucket)} is not an S3 bucket name`);
    return new S3Target(bucket, prefix, s3);
  }
  const path = spec.startsWith('file://') ? spec.slice('file://'.length) : spec;
  if (path.trim() === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) throw new BackupError('bad_request', `${JSON.stringify(spec)} is neither a directory nor s3://BUCKET/PREFIX`);
  return new LocalDirectoryTarget(path);
}

/** S3 settings from the environment: OXIRS_S3_ENDPOINT, OXIRS_S3_REGION, OXIRS_S3_FORCE_PATH_STYLE (credentials: the SDK's usual AWS_* variables). */
export function s3OptionsFromEnv(env: NodeJS.ProcessEnv = process.env): S3Options {
  return {
    endpoint: env.OXIRS_S3_ENDPOINT,
    region: env.OXIRS_S3_REGION ?? env.AWS_REGION,
    forcePathStyle: env.OXIRS_S3_FORCE_PATH_STYLE === undefined ? undefined : env.OXIRS_S3_FORCE_PATH_STYLE === 'true',
  };
}
