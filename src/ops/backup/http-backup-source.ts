/**
 * A backup source on the other side of HTTP: any member's /admin/backup endpoints (backup-wire.ts).
 * Used by `oxirs-cluster backup create --endpoint URL`. An error answer keeps the member's error
 * code and message; a stream cut short is an error, never a shorter backup.
 */
import { BackupError, type BackupErrorCode } from './backup-errors.ts';
import type { BackupSource, ExportHead, LogExport, SnapshotExport } from './backup-source.ts';
import { PartReader } from './backup-wire.ts';

export interface HttpCredentials {
  user?: string;
  token?: string;
}

const PASSED_THROUGH: BackupErrorCode[] = ['backup_log_compacted', 'backup_behind', 'bad_request', 'backup_in_progress'];

export class HttpBackupSource implements BackupSource {
  constructor(
    private readonly endpoint: string,
    private readonly credentials: HttpCredentials = {},
  ) {}

  async exportSnapshot(): Promise<SnapshotExport> {
    const reader = await this.open('/admin/backup/snapshot');
    const head = await reader.json<ExportHead>();
    return { head, chunks: reader.body(), dataset: () => reader.tail(), abort: () => reader.close() };
  }

  async exportLog(fromIndex: number): Promise<LogExport> {
    const reader = await this.open(`/admin/backup/log?from=${fromIndex}`);
    const head = await reader.json<LogExport['head']>();
    return { head, batches: reader.entries(), dataset: () => reader.tail(), abort: () => reader.close() };
  }

  private async open(path: string): Promise<PartReader> {
    let url: URL;
    try {
      url = new URL(path, this.endpoint);
    } catch {
      throw new BackupError('bad_request', `--endpoint ${JSON.stringify(this.endpoint)} is not a URL`);
    }
    const headers: Record<string, string> = {};
    if (this.credentials.token) headers.authorization = `Bearer ${this.credentials.token}`;
    else if (this.credentials.user) headers.authorization = `Basic ${Buffer.from(this.credentials.user).toString('base64')}`;
    const response = await fetch(url, { headers });
    if (!response.ok || !response.body) {
      const text = await response.text();
      let code: string | undefined;
      let message = text;
      try {
        const error = (JSON.parse(text) as { error: { code: string; message: string } }).error;
        code = error.code;
        message = `${error.code}: ${error.message}`;
      } catch {
        // not the catalogue's JSON
      }
      if (code && PASSED_THROUGH.includes(code as BackupErrorCode)) throw new BackupError(code as BackupErrorCode, message);
      throw new Error(`${url.origin}${url.pathname}: ${response.status} ${message}`);
    }
    return new PartReader(response.body as unknown as AsyncIterable<Uint8Array>);
  }
}
