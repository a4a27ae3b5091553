/**
 * How a member streams a backup export over HTTP (GET /admin/backup/snapshot and
 * /admin/backup/log): length-prefixed parts, `[u32 big-endian length][bytes]`:
 *   head      JSON (ExportHead, plus fromIndex/prevTerm for the log)
 *   body...   snapshot: store-snapshot chunks; log: msgpack arrays of entries
 *   end       a part of length 0
 *   tail      JSON { quads, hash }: the dataset hash, known only once the body is out
 * An export that fails midway is cut off (the connection closes), which the reader reports as a
 * truncated stream: the status line went out long before.
 */
import { Packr } from 'msgpackr';
import type { Entry } from '../../raft/messages.ts';
import type { LogExport, SnapshotExport } from './backup-source.ts';

const packr = new Packr({ useRecords: false });
const MAX_PART_BYTES = 1024 * 1024 * 1024;

function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeUInt32BE(length, 0);
  return prefix;
}

function* part(bytes: Uint8Array): Generator<Uint8Array> {
  yield lengthPrefix(bytes.byteLength);
  if (bytes.byteLength > 0) yield bytes;
}

export async function* encodeSnapshotExport(exported: SnapshotExport): AsyncGenerator<Uint8Array> {
  yield* part(Buffer.from(JSON.stringify(exported.head)));
  for await (const chunk of exported.chunks) yield* part(chunk);
  yield* part(new Uint8Array());
  yield* part(Buffer.from(JSON.stringify(await exported.dataset())));
}

export async function* encodeLogExport(exported: LogExport): AsyncGenerator<Uint8Array> {
  yield* part(Buffer.from(JSON.stringify(exported.head)));
  for await (const batch of exported.batches) yield* part(packr.pack(batch));
  yield* part(new Uint8Array());
  yield* part(Buffer.from(JSON.stringify(await exported.dataset())));
}

/** Reads the parts of a stream; `body()` yields the body parts, then `tail()` gives the last. */
export class PartReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private pending: Buffer[] = [];
  private buffered = 0;
  private bodyDone = false;

  constructor(stream: AsyncIterable<Uint8Array>) {
    this.iterator = stream[Symbol.asyncIterator]();
  }

  async json<T>(): Promise<T> {
    const bytes = await this.next();
    if (bytes === null || bytes.length === 0) throw new Error('the backup stream has no head or tail where one belongs');
    return JSON.parse(bytes.toString('utf8')) as T;
  }

  async *body(): AsyncGenerator<Buffer> {
    while (!this.bodyDone) {
      const bytes = await this.next();
      if (bytes === null) throw new Error('the backup stream ended early (the member failed or went away)');
      if (bytes.length === 0) this.bodyDone = true;
      else yield bytes;
    }
  }

  /** The tail part, skipping whatever of the body was not read. */
  async tail<T>(): Promise<T> {
    for await (const _ of this.body());
    return this.json<T>();
  }

  async *entries(): AsyncGenerator<Entry[]> {
    for await (const bytes of this.body()) yield packr.unpack(bytes) as Entry[];
  }

  /** Stops reading: the underlying stream (a response body) is cancelled. */
  close(): void {
    void this.iterator.return?.()?.catch(() => undefined);
  }

  private async next(): Promise<Buffer | null> {
    if (!(await this.fill(4))) return null;
    const length = this.take(4).readUInt32BE(0);
    if (length > MAX_PART_BYTES) throw new Error(`a backup stream part of ${length} bytes: the stream is garbled`);
    if (!(await this.fill(length))) throw new Error('the backup stream ended early (the member failed or went away)');
    return this.take(length);
  }

  private async fill(length: number): Promise<boolean> {
    while (this.buffered < length) {
      const { done, value } = await this.iterator.next();
      if (done) return false;
      const chunk = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      this.pending.push(chunk);
      this.buffered += chunk.length;
    }
    return true;
  }

  private take(length: number): Buffer {
    // The end marker has no bytes, and may come when nothing else is buffered.
    if (length === 0) return Buffer.alloc(0);
    if (this.pending[0].length < length) this.pending = [Buffer.concat(this.pending)];
    const first = this.pending[0];
    const taken = first.subarray(0, length);
    if (first.length === length) this.pending.shift();
    else this.pending[0] = first.subarray(length);
    this.buffered -= length;
    return taken;
  }
}
