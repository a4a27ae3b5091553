/**
 * A backup target in an S3-compatible bucket under a prefix (AWS S3, MinIO, Ceph, s3rver...).
 * Large files go up as multipart uploads (lib-storage), streamed: memory stays within a few parts.
 * An upload that fails is aborted by lib-storage, so no partial object appears under the name.
 */
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { BackupError } from './backup-errors.ts';
import type { BackupTarget } from './backup-target.ts';

export interface S3Options {
  /** e.g. http://127.0.0.1:9000 for a local server; none: AWS. */
  endpoint?: string;
  region?: string;
  /** Bucket in the path rather than the host name (what local servers need); default: true when an endpoint is given. */
  forcePathStyle?: boolean;
  /** None: the SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, instance roles). */
  accessKeyId?: string;
  secretAccessKey?: string;
}

const PART_BYTES = 8 * 1024 * 1024;

// The SDK warns on every start that versions published after January 2027 will need Node 22.
// This project pins its SDK version, so the notice does not concern its users (set the variable
// to "false" to see it).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const PARALLEL_PARTS = 4;

export class S3Target implements BackupTarget {
  readonly description: string;
  private readonly client: S3Client;

  constructor(
    readonly bucket: string,
    readonly prefix: string,
    options: S3Options,
  ) {
    this.description = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      credentials: options.accessKeyId && options.secretAccessKey ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } : undefined,
    });
  }

  async put(path: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    await this.wrap(path, async () => {
      const upload = new Upload({ client: this.client, params: { Bucket: this.bucket, Key: this.key(path), Body: Readable.from(body) }, partSize: PART_BYTES, queueSize: PARALLEL_PARTS });
      await upload.done();
    });
  }

  async *get(path: string): AsyncIterable<Uint8Array> {
    const response = await this.wrap(path, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(path) })));
    if (!response.Body) throw new BackupError('backup_target_error', `${this.description}/${path}: no body`);
    for await (const chunk of response.Body as Readable) yield chunk as Buffer;
  }

  async folders(): Promise<string[]> {
    const folders: string[] = [];
    const base = this.prefix ? `${this.prefix}/` : '';
    let token: string | undefined;
    // Bounded: a bucket with more than this many pages of backups is not one this tool made.
    for (let page = 0; page < 10_000; page++) {
      const response = await this.wrap('', () => this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base, Delimiter: '/', ContinuationToken: token })));
      for (const common of response.CommonPrefixes ?? []) if (common.Prefix) folders.push(common.Prefix.slice(base.length).replace(/\/$/, ''));
      if (!response.IsTruncated) break;
      token = response.NextContinuationToken;
    }
    return folders;
  }

  async has(path: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(path) }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw this.targetError(path, error);
    }
  }

  async removeFolder(folder: string): Promise<void> {
    const base = `${this.key(folder)}/`;
    for (let page = 0; page < 10_000; page++) {
      const response = await this.wrap(folder, () => this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base })));
      const keys = (response.Contents ?? []).map((object) => object.Key!).filter(Boolean);
      if (keys.length === 0) return;
      for (const key of keys) await this.wrap(folder, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
    }
  }

  private key(path: string): string {
    return this.prefix ? `${this.prefix}/${path}` : path;
  }

  private async wrap<T>(path: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (isNotFound(error)) throw new BackupError('backup_not_found', `${this.description}/${path} does not exist`);
      throw this.targetError(path, error);
    }
  }

  private targetError(path: string, error: unknown): BackupError {
    return new BackupError('backup_target_error', `${this.description}/${path}: ${(error as Error).name}: ${(error as Error).message}`);
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  // A missing bucket is a configuration error, not a missing backup.
  if (e.name === 'NoSuchBucket') return false;
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}
