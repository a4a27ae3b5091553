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
  /** The buffer ends before the record does (or has only zeros, as a preallocated tail). */
  | { kind: 'torn' }
  | { kind: 'corrupt'; reason: string };

/** Decodes the record at `offset`. */
export function decodeRecord(buffer: Buffer, offset: number): DecodeResult {
  const remaining = buffer.length - offset;
  if (remaining < RECORD_HEADER_BYTES) return { kind: 'torn' };
  const length = buffer.readUInt32LE(offset);
  const checksum = buffer.readUInt32LE(offset + 4);
  if (length === 0 && checksum === 0 && isAllZero(buffer, offset)) return { kind: 'torn' };
  if (length > MAX_RECORD_BYTES) return { kind: 'corrupt', reason: `record length ${length} is impossible` };
  if (remaining < RECORD_HEADER_BYTES + length) return { kind: 'torn' };
  const payload = buffer.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length);
  if (crc32(payload) !== checksum) {
    // A crash can leave the last record's bytes partly written: that is a torn tail, not corruption.
    return offset + RECORD_HEADER_BYTES + length === buffer.length ? { kind: 'torn' } : { kind: 'corrupt', reason: 'checksum mismatch' };
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

function isAllZero(buffer: Buffer, offset: number): boolean {
  for (let i = offset; i < buffer.length; i++) if (buffer[i] !== 0) return false;
  return true;
}
