/**
 * A local S3-compatible server for tests (s3rver, files in a temporary directory) on a free
 * 127.0.0.1 port, with one bucket. Credentials are s3rver's fixed pair.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { S3Options } from '../../src/ops/backup/backup-target.ts';

export interface LocalS3 {
  endpoint: string;
  bucket: string;
  options: S3Options;
  /** For child processes: the environment the CLI and nodes read S3 settings from. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startLocalS3(bucket = 'backups'): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'oxirs-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    options: { endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    env: { OXIRS_S3_ENDPOINT: endpoint, OXIRS_S3_FORCE_PATH_STYLE: 'true', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' },
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
