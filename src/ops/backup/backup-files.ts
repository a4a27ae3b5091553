/**
 * The two kinds of backup data file and how their bytes are checked. Both are gzip streams:
 *   store.snap.gz    the store snapshot stream (store/store-snapshot.ts), self-checking inside
 *   log.entries.gz   `[u32 length][msgpack Entry[]]` parts, entries in index order
 * The manifest holds the sha256 and size of the stored (compressed) bytes. Readers check them as
 * the bytes go by and fail at the end of the file at the latest, before its effect is committed
 * (a snapshot install aborts its transaction; a log file is checked whole before replay).
 */
import { createHash } from 'node:crypto';
import { createGunzip, createGzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Packr } from 'msgpackr';
import type { Entry } from '../../raft/messages.ts';
import { decodeConfChange } from '../../raft/messages.ts';
import { decodeLogCommand } from '../../cluster/log-command.ts';
import { CorruptBackupError } from './backup-errors.ts';
import type { BackupFile } from './manifest.ts';

export const STORE_FILE = 'store.snap.gz';
export const LOG_FILE = 'log.entries.gz';
/** Measured in bench/backup.ts: level 1 comes within 10% of level 6's size in 50 to 65% of its time. */
export const GZIP_LEVEL = 1;

const packr = new Packr({ useRecords: false });

export function gzip(source: AsyncIterable<Uint8Array>, level = GZIP_LEVEL): AsyncIterable<Buffer> {
  const compressor = createGzip({ level });
  // pipeline destroys the compressor with the source's error, which its reader then sees.
  pipeline(Readable.from(source), compressor).catch(() => undefined);
  return compressor;
}

/** Decompresses `source`, naming `file` in any error. */
export async function* gunzip(source: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Buffer> {
  const decompressor = createGunzip();
  let feedError: unknown;
  const feeding = pipeline(Readable.from(source), decompressor).catch((error: unknown) => {
    feedError = error;
  });
  const corrupt = (error: unknown) => (error instanceof CorruptBackupError ? error : new CorruptBackupError(file, `cannot decompress: ${(error as Error).message}`));
  try {
    for await (const chunk of decompressor) yield chunk as Buffer;
  } catch (error) {
    throw corrupt(error);
  }
  // The input's own checks (size, sha256) fail at its end: never let that pass unseen.
  await feeding;
  if (feedError !== undefined) throw corrupt(feedError);
}

/** Passes the bytes through, measuring them into `file` (its sha256 and size). */
export async function* measure(source: AsyncIterable<Uint8Array>, file: BackupFile): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source) {
    hash.update(chunk);
    size += chunk.byteLength;
    yield chunk;
  }
  file.sha256 = hash.digest('hex');
  file.sizeBytes = size;
}

/** Passes the bytes through and throws (naming `path`) at the end if they are not `file`'s. */
export async function* checked(source: AsyncIterable<Uint8Array>, file: BackupFile, path: string): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source) {
    size += chunk.byteLength;
    if (size > file.sizeBytes) throw new CorruptBackupError(path, `longer than the ${file.sizeBytes} bytes the manifest records`);
    hash.update(chunk);
    yield chunk;
  }
  if (size !== file.sizeBytes) throw new CorruptBackupError(path, `${size} bytes, the manifest records ${file.sizeBytes}`);
  if (hash.digest('hex') !== file.sha256) throw new CorruptBackupError(path, 'sha256 differs from the manifest');
}

export async function* encodeLogParts(batches: AsyncIterable<Entry[]>): AsyncGenerator<Uint8Array> {
  for await (const batch of batches) {
    const body = packr.pack(batch);
    const prefix = Buffer.allocUnsafe(4);
    prefix.writeUInt32BE(body.length, 0);
    yield prefix;
    yield body;
  }
}

/**
 * Reads a log file's entries (decompressed bytes in), checking that they run from `fromIndex`
 * to `toIndex` without a gap and that every entry decodes. Yields them in batches.
 */
export async function* decodeLogParts(source: AsyncIterable<Uint8Array>, path: string, fromIndex: number, toIndex: number): AsyncGenerator<Entry[]> {
  let pending = Buffer.alloc(0);
  let next = fromIndex;
  const corrupt = (why: string) => new CorruptBackupError(path, why);
  for await (const chunk of source) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    for (;;) {
      if (pending.length < 4) break;
      const length = pending.readUInt32BE(0);
      if (pending.length < 4 + length) break;
      let batch: Entry[];
      try {
        batch = packr.unpack(pending.subarray(4, 4 + length)) as Entry[];
      } catch (error) {
        throw corrupt(`undecodable entries: ${(error as Error).message}`);
      }
      pending = pending.subarray(4 + length);
      if (!Array.isArray(batch) || batch.length === 0) throw corrupt('an empty or malformed batch of entries');
      for (const entry of batch) {
        if (entry?.index !== next) throw corrupt(`entry ${entry?.index} where ${next} belongs`);
        if (!Number.isInteger(entry.term) || !(entry.data instanceof Uint8Array)) throw corrupt(`entry ${entry.index} is malformed`);
        try {
          if (entry.type === 'confChange') decodeConfChange(entry.data);
          else if (entry.type !== 'normal') throw new Error(`unknown entry type ${JSON.stringify(entry.type)}`);
          else if (entry.data.byteLength > 0) decodeLogCommand(entry.data);
        } catch (error) {
          throw corrupt(`entry ${entry.index} does not decode: ${(error as Error).message}`);
        }
        next++;
      }
      yield batch;
    }
  }
  if (pending.length > 0) throw corrupt(`${pending.length} bytes after the last whole batch`);
  if (next !== toIndex + 1) throw corrupt(`entries end at ${next - 1}, the manifest says ${toIndex}`);
}
