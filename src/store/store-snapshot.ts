/**
 * Whole-store snapshots, for Raft InstallSnapshot: every record of every database of the store's
 * environment (metadata with the application's keys and the blank-node epoch, the dictionary, the
 * indexes, the graph and predicate counts), copied as stored bytes from one read transaction and
 * installed in one write transaction. Ids travel unchanged, so the receiver ends up byte-for-byte
 * equal to the sender's state at that snapshot.
 *
 * The stream is a sequence of frames, each `[u32 big-endian body length][msgpack body]`:
 *   header   { type: 'header', format: 'oxirs-store-snapshot', version: 1, databases: string[] }
 *   records  { type: 'records', database: string, records: number, data: bytes }
 *   trailer  { type: 'trailer', frames: number, records: number, sha256: string }
 * `data` holds `records` records back to back, each `[u16 key length][u32 value length][key][value]`
 * (big-endian; msgpack per record would cost more than the copy itself). `sha256` covers the bytes
 * of every frame before the trailer, length prefixes included. Records of one database come in
 * key order. The exporter yields one frame per chunk, but the
 * installer reads a byte stream, so a transport may split or join chunks freely.
 *
 * Faults tolerated: a truncated, reordered, corrupted or foreign stream is refused with an
 * InvalidSnapshotError and the store is left as it was (the install's transaction aborts).
 */
import { createHash } from 'node:crypto';
import { Packr } from 'msgpackr';
import type { QuadStore, Snapshot } from './quad-store.ts';

export const SNAPSHOT_FORMAT = 'oxirs-store-snapshot';
export const SNAPSHOT_VERSION = 1;
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/** A frame longer than this is refused: no record is near it, so the length is garbage. */
export const MAX_FRAME_BYTES = 1024 * 1024 * 1024;
const FRAME_HEADER_BYTES = 4;
const RECORD_HEADER_BYTES = 6;
/** Upper bound on what a records frame adds around its data (length prefix, msgpack map). */
const FRAME_OVERHEAD_BYTES = 128;

type Frame =
  | { type: 'header'; format: string; version: number; databases: string[] }
  | { type: 'records'; database: string; records: number; data: Uint8Array }
  | { type: 'trailer'; frames: number; records: number; sha256: string };

/** The snapshot stream cannot be installed: truncated, corrupted, reordered or of another format. */
export class InvalidSnapshotError extends Error {
  override name = 'InvalidSnapshotError';
}

// Plain msgpack maps (no msgpackr record extension): the format stays readable by any decoder.
const packr = new Packr({ useRecords: false });

function encodeFrame(frame: Frame): Uint8Array {
  const body = packr.pack(frame);
  const bytes = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  bytes.writeUInt32BE(body.length, 0);
  body.copy(bytes, FRAME_HEADER_BYTES);
  return bytes;
}

/**
 * The store at `snapshot` as a stream of chunks of about `chunkBytes` each (a single record larger
 * than that gets a chunk of its own). Lazy: it reads as it is consumed, so memory stays within a
 * chunk; `snapshot` must not be released before the generator finishes.
 */
export function* exportSnapshot(snapshot: Snapshot, chunkBytes = DEFAULT_CHUNK_BYTES): Generator<Uint8Array> {
  if (!(chunkBytes > FRAME_OVERHEAD_BYTES)) throw new RangeError(`chunkBytes must exceed ${FRAME_OVERHEAD_BYTES}, got ${chunkBytes}`);
  const hash = createHash('sha256');
  let frames = 0;
  let records = 0;
  const emit = (frame: Frame): Uint8Array => {
    const bytes = encodeFrame(frame);
    hash.update(bytes);
    frames++;
    return bytes;
  };
  yield emit({ type: 'header', format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, databases: snapshot.rawDatabaseNames() });
  // Records go into `data` until the next one would take the frame past chunkBytes.
  const budget = chunkBytes - FRAME_OVERHEAD_BYTES;
  let data = Buffer.allocUnsafe(budget);
  for (const database of snapshot.rawDatabaseNames()) {
    let used = 0;
    let count = 0;
    for (const { key, value } of snapshot.rawRecords(database)) {
      const recordBytes = RECORD_HEADER_BYTES + key.length + value.length;
      if (used + recordBytes > data.length) {
        if (count > 0) {
          yield emit({ type: 'records', database, records: count, data: data.subarray(0, used) });
          used = 0;
          count = 0;
        }
        // A record larger than the budget gets a frame of its own.
        if (recordBytes > data.length) data = Buffer.allocUnsafe(recordBytes);
      }
      data.writeUInt16BE(key.length, used);
      data.writeUInt32BE(value.length, used + 2);
      // TypedArray#set: Buffer#copy costs a native call per record.
      data.set(key, used + RECORD_HEADER_BYTES);
      if (value.length > 0) data.set(value, used + RECORD_HEADER_BYTES + key.length);
      used += recordBytes;
      count++;
      records++;
    }
    if (count > 0) yield emit({ type: 'records', database, records: count, data: data.subarray(0, used) });
    if (data.length > budget) data = Buffer.allocUnsafe(budget);
  }
  // The trailer is not part of its own checksum.
  yield encodeFrame({ type: 'trailer', frames, records, sha256: hash.digest('hex') });
}

/**
 * Replaces the whole store with the snapshot in `chunks`, in one write transaction queued after
 * earlier writes. Throws InvalidSnapshotError (and changes nothing) if the stream is not a complete,
 * intact snapshot of this format with this store's databases.
 */
export async function installSnapshot(store: QuadStore, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
  await store.replaceContents(async (databases) => {
    await readSnapshotStream(chunks, [...databases.keys()], (database, key, value, record) => {
      const db = databases.get(database)!;
      let written: unknown;
      try {
        // The database was emptied and keys come in order, so every record appends.
        written = db.putSync(key, value, { append: true });
      } catch (error) {
        throw new InvalidSnapshotError(`record ${record} of ${database} cannot be written: ${(error as Error).message}`);
      }
      // putSync's typings say void; it returns false when the key was not after the last one.
      if (written !== true) throw new InvalidSnapshotError(`records of ${database} out of order at record ${record}`);
    });
  });
}

/**
 * Reads a whole snapshot stream with every check the install makes (framing, header, record
 * bounds, the trailer's counts and checksum) and hands each record to `onRecord`. With
 * `databases` null any database list in the header is accepted (a backup check has no store).
 * Throws InvalidSnapshotError on the first fault; `onRecord` may have seen records by then.
 */
export async function readSnapshotStream(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  databases: string[] | null,
  onRecord: (database: string, key: Buffer, value: Buffer, record: number) => void,
): Promise<{ frames: number; records: number }> {
  const reader = new FrameReader();
  const hash = createHash('sha256');
  let known: Set<string> = new Set(databases ?? []);
  let frames = 0;
  let records = 0;
  let trailerSeen = false;
  const apply = (frame: Frame, bytes: Uint8Array): void => {
    if (trailerSeen) throw new InvalidSnapshotError('bytes after the trailer');
    if (frames === 0) {
      checkHeader(frame, databases);
      known = new Set((frame as { databases: string[] }).databases);
    } else if (frame.type === 'records') {
      if (!known.has(frame.database)) throw new InvalidSnapshotError(`records for unknown database ${JSON.stringify(frame.database)}`);
      const data = frame.data;
      if (!Buffer.isBuffer(data) || !Number.isInteger(frame.records)) throw new InvalidSnapshotError('malformed records frame');
      let at = 0;
      for (let i = 0; i < frame.records; i++) {
        if (at + RECORD_HEADER_BYTES > data.length) throw new InvalidSnapshotError(`records frame of ${frame.database} ends inside record ${i}`);
        const keyEnd = at + RECORD_HEADER_BYTES + data.readUInt16BE(at);
        const valueEnd = keyEnd + data.readUInt32BE(at + 2);
        if (valueEnd > data.length) throw new InvalidSnapshotError(`records frame of ${frame.database} ends inside record ${i}`);
        onRecord(frame.database, data.subarray(at + RECORD_HEADER_BYTES, keyEnd), data.subarray(keyEnd, valueEnd), records);
        at = valueEnd;
        records++;
      }
      if (at !== data.length) throw new InvalidSnapshotError(`records frame of ${frame.database} has bytes after its ${frame.records} records`);
    } else if (frame.type === 'trailer') {
      const digest = hash.digest('hex');
      if (frame.sha256 !== digest) throw new InvalidSnapshotError('checksum mismatch: the snapshot is corrupted');
      if (frame.frames !== frames || frame.records !== records) {
        throw new InvalidSnapshotError(`trailer counts ${frame.frames} frames and ${frame.records} records, the stream had ${frames} and ${records}`);
      }
      trailerSeen = true;
      return;
    } else {
      throw new InvalidSnapshotError(`unexpected frame ${JSON.stringify((frame as { type?: unknown }).type)}`);
    }
    hash.update(bytes);
    frames++;
  };
  for await (const chunk of chunks) {
    for (const { frame, bytes } of reader.push(chunk)) apply(frame, bytes);
  }
  if (reader.pendingBytes() > 0) throw new InvalidSnapshotError(`snapshot stream truncated inside a frame (${reader.pendingBytes()} bytes left over)`);
  if (!trailerSeen) throw new InvalidSnapshotError(frames === 0 ? 'empty snapshot stream' : 'snapshot stream truncated: no trailer');
  return { frames, records };
}

function checkHeader(frame: Frame, databases: string[] | null): void {
  if (frame.type !== 'header' || frame.format !== SNAPSHOT_FORMAT) throw new InvalidSnapshotError('not a store snapshot: the stream does not start with its header');
  if (frame.version !== SNAPSHOT_VERSION) {
    throw new InvalidSnapshotError(`unsupported snapshot version ${JSON.stringify(frame.version)} (this build reads version ${SNAPSHOT_VERSION})`);
  }
  if (!Array.isArray(frame.databases) || !frame.databases.every((name) => typeof name === 'string')) throw new InvalidSnapshotError('the header has no database list');
  if (databases === null) return;
  const theirs = [...frame.databases].sort();
  const ours = [...databases].sort();
  if (theirs.join('\n') !== ours.join('\n')) {
    throw new InvalidSnapshotError(`the snapshot has databases [${theirs}], this store has [${ours}]`);
  }
}

/** Splits a byte stream, arriving in arbitrary pieces, into frames. */
class FrameReader {
  private pieces: Buffer[] = [];
  private buffered = 0;

  *push(chunk: Uint8Array): Generator<{ frame: Frame; bytes: Buffer }> {
    if (!(chunk instanceof Uint8Array)) throw new InvalidSnapshotError('a snapshot chunk is not bytes');
    // Buffers throughout, so decoded keys and values are Buffers too (what lmdb's binary keys take).
    this.pieces.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.buffered += chunk.length;
    for (;;) {
      if (this.buffered < FRAME_HEADER_BYTES) return;
      const length = this.contiguous(FRAME_HEADER_BYTES).readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) throw new InvalidSnapshotError(`frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}: the stream is corrupted`);
      const total = FRAME_HEADER_BYTES + length;
      if (this.buffered < total) return;
      const bytes = this.contiguous(total);
      this.consume(total);
      let frame: unknown;
      try {
        frame = packr.unpack(bytes.subarray(FRAME_HEADER_BYTES));
      } catch (error) {
        throw new InvalidSnapshotError(`undecodable frame: ${(error as Error).message}`);
      }
      if (typeof frame !== 'object' || frame === null) throw new InvalidSnapshotError('a frame is not a map');
      yield { frame: frame as Frame, bytes };
    }
  }

  pendingBytes(): number {
    return this.buffered;
  }

  /** The first `length` buffered bytes as one array (joining pieces only when they straddle). */
  private contiguous(length: number): Buffer {
    if (this.pieces[0].length >= length) return this.pieces[0].subarray(0, length);
    const joined = Buffer.concat(this.pieces);
    this.pieces = [joined];
    return joined.subarray(0, length);
  }

  private consume(length: number): void {
    const first = this.pieces[0];
    // contiguous(length) ran first, so the bytes are all in the first piece.
    this.pieces[0] = first.subarray(length);
    if (this.pieces[0].length === 0) this.pieces.shift();
    this.buffered -= length;
  }
}
