/**
 * What can go wrong with a backup, as values a caller can tell apart: the CLI prints the message
 * (exit 1), the HTTP API answers with the catalogue entry of the same code (server/errors.ts).
 */
export type BackupErrorCode =
  | 'backup_not_configured'
  | 'backup_not_found'
  | 'backup_corrupt'
  | 'backup_log_compacted'
  | 'backup_chain_broken'
  | 'backup_in_progress'
  | 'backup_behind'
  | 'backup_target_error'
  | 'bad_request';

export class BackupError extends Error {
  override name = 'BackupError';
  constructor(
    readonly code: BackupErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A backup file is not what its manifest says (or the manifest is damaged): names the file. */
export class CorruptBackupError extends BackupError {
  override name = 'CorruptBackupError';
  constructor(
    /** The file's path inside the target, e.g. `20260101T000000000Z-full-42/store.snap.gz`. */
    readonly file: string,
    reason: string,
  ) {
    super('backup_corrupt', `corrupt backup file ${file}: ${reason}`);
  }
}
