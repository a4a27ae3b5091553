/**
 * One record of the write-ahead log: `[u32 payload length][u32 CRC-32 of payload][payload]`, the
 * payload a msgpack value. Decoding tells apart a record cut short by a crash (the file ends
 * inside it: a torn tail, safe to cut) from one whose bytes are wrong (corruption: fail loudly).
 */
import { crc32 } from 'node:zlib';
import { pack, unpack } from 'msgpackr';
import type { ConfState, Entry, HardState, SnapshotMetadata } from '../messages.ts';

export const RECORD_HEADER_BYTES = 8;
/** No record is larger: a length beyond it can only be garbage. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

export type WalRecord =
  | { type: 'entry'; entry: Entry }
  | { type: 'hardState'; hardState: HardState }
  | { type: 'confState'; confState: ConfState }
  /** The log now starts after this snapshot: entries up to its index are gone. */
  | { type: 'snapshot'; metadata: SnapshotMetadata };

export function encodeRecord(record: WalRecord): Buffer {
  const payload = pack(record);
  const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

export type DecodeResult =
  | { kind: 'record'; record: WalRecord; bytes: number }
  /** Only zeros from here on: the unused, preallocated rest of a segment. */
  | { kind: 'end' }
  /** The last write was cut short by a crash (never acknowledged): safe to cut in the last segment. */
  | { kind: 'torn' }
  | { kind: 'corrupt'; reason: string };

/** The unit a disk writes atomically, at the least: a torn write leaves whole sectors old or new. */
const SECTOR_BYTES = 512;

/**
 * Decodes the record at `offset`. Segments are preallocated with zeros and written in order, each
 * write synced before the next, so only the last write can be torn, and what follows it is zeros.
 * A record is torn (rather than corrupt) when it runs past the end of the file, when nothing but
 * zeros follows it, or when one of its sectors is still all zeros (the sector never reached the
 * disk: etcd's torn-entry rule); a zero header followed by data is a first sector that never did.
 */
export function decodeRecord(buffer: Buffer, offset: number): DecodeResult {
  const remaining = buffer.length - offset;
  if (isAllZero(buffer, offset, buffer.length)) return { kind: 'end' };
  if (remaining < RECORD_HEADER_BYTES) return { kind: 'torn' };
  const length = buffer.readUInt32LE(offset);
  const checksum = buffer.readUInt32LE(offset + 4);
  if (length === 0 && checksum === 0) return { kind: 'torn' };
  if (length > MAX_RECORD_BYTES) return { kind: 'corrupt', reason: `record length ${length} is impossible` };
  const end = offset + RECORD_HEADER_BYTES + length;
  if (remaining < RECORD_HEADER_BYTES + length) return { kind: 'torn' };
  const payload = buffer.subarray(offset + RECORD_HEADER_BYTES, end);
  if (crc32(payload) !== checksum) {
    const torn = end === buffer.length || isAllZero(buffer, end, buffer.length) || hasZeroSector(buffer, offset, end);
    return torn ? { kind: 'torn' } : { kind: 'corrupt', reason: 'checksum mismatch' };
  }
  let record: WalRecord;
  try {
    record = unpack(payload) as WalRecord;
  } catch (error) {
    return { kind: 'corrupt', reason: `undecodable payload: ${(error as Error).message}` };
  }
  if (record.type === 'entry') record.entry.data = new Uint8Array(record.entry.data);
  return { kind: 'record', record, bytes: RECORD_HEADER_BYTES + length };
}

function isAllZero(buffer: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buffer[i] !== 0) return false;
  return true;
}

/** Whether a whole sector-aligned block inside [from, to) holds only zeros. */
function hasZeroSector(buffer: Buffer, from: number, to: number): boolean {
  for (let start = Math.ceil(from / SECTOR_BYTES) * SECTOR_BYTES; start + SECTOR_BYTES <= to; start += SECTOR_BYTES) {
    if (isAllZero(buffer, start, start + SECTOR_BYTES)) return true;
  }
  return false;
}
