/**
 * Length-prefixed frames on a peer connection: `[u32 length][msgpack payload]`. A message too big
 * for one frame (a snapshot) travels as chunk frames that the receiver reassembles. The decoder
 * is incremental (bytes arrive in arbitrary pieces) and refuses frames over MAX_FRAME_BYTES.
 */
import { pack, unpack } from 'msgpackr';
import { assert } from '../../util/assert.ts';

export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Messages larger than this are sent in chunks of this size. */
export const CHUNK_BYTES = 1024 * 1024;

export type Frame =
  | { t: 'hello'; node: string; nonce: Uint8Array }
  | { t: 'challenge'; node: string; nonce: Uint8Array; proof: Uint8Array }
  | { t: 'proof'; proof: Uint8Array }
  | { t: 'batch'; messages: unknown[] }
  /** Part `index` of an encoded message split in `count` parts. */
  | { t: 'chunk'; id: number; index: number; count: number; bytes: Uint8Array };

export function encodeFrame(frame: Frame): Buffer {
  const payload = pack(frame);
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

export class FrameError extends Error {}

/** Splits a byte stream into frames. */
export class FrameDecoder {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;

  push(bytes: Buffer): Frame[] {
    this.buffered.push(bytes);
    this.bufferedBytes += bytes.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.bufferedBytes < 4) break;
      const head = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered);
      this.buffered = [head];
      const length = head.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) throw new FrameError(`frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}`);
      if (head.length < 4 + length) break;
      let frame: Frame;
      try {
        frame = unpack(head.subarray(4, 4 + length)) as Frame;
      } catch (error) {
        throw new FrameError(`undecodable frame: ${(error as Error).message}`);
      }
      frames.push(frame);
      const rest = head.subarray(4 + length);
      this.buffered = rest.length > 0 ? [rest] : [];
      this.bufferedBytes = rest.length;
    }
    return frames;
  }
}

/** A message on its way out, packed once: whole (merged with others into a batch frame when written), or in chunks. */
export type Outgoing = { t: 'packed'; bytes: Uint8Array } | Extract<Frame, { t: 'chunk' }>;

/** Packs one message: one outgoing item, or chunk frames when it is large; and its packed size. */
export function outgoingMessage(message: unknown, chunkId: number): { items: Outgoing[]; bytes: number } {
  const encoded = pack(message);
  if (encoded.length <= CHUNK_BYTES) return { items: [{ t: 'packed', bytes: encoded }], bytes: encoded.length };
  const count = Math.ceil(encoded.length / CHUNK_BYTES);
  const items: Outgoing[] = [];
  for (let index = 0; index < count; index++) {
    items.push({ t: 'chunk', id: chunkId, index, count, bytes: encoded.subarray(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES) });
  }
  return { items, bytes: encoded.length };
}

/** `{ t: 'batch', messages: [` in msgpack: the packed empty batch without its array header (one byte, 0x90). */
const BATCH_HEAD = pack({ t: 'batch', messages: [] }).subarray(0, -1);

/** The batch frame of messages already packed (msgpack: an array is its header, then its elements). */
export function encodeBatch(packed: Uint8Array[]): Buffer {
  assert(packed.length > 0 && packed.length <= 0xffff, `a batch of ${packed.length} messages`);
  const arrayHeader = packed.length < 16 ? [0x90 | packed.length] : [0xdc, packed.length >> 8, packed.length & 0xff];
  let payloadBytes = BATCH_HEAD.length + arrayHeader.length;
  for (const bytes of packed) payloadBytes += bytes.length;
  const frame = Buffer.allocUnsafe(4 + payloadBytes);
  frame.writeUInt32BE(payloadBytes, 0);
  let at = 4 + BATCH_HEAD.copy(frame, 4);
  for (const byte of arrayHeader) frame[at++] = byte;
  for (const bytes of packed) {
    frame.set(bytes, at);
    at += bytes.length;
  }
  return frame;
}

/** Reassembles chunked messages (one at a time per connection: chunks of a message are sent in order). */
export class ChunkAssembler {
  private current: { id: number; parts: Uint8Array[] } | undefined;

  push(frame: Extract<Frame, { t: 'chunk' }>): unknown | undefined {
    if (frame.index === 0) this.current = { id: frame.id, parts: [] };
    if (!this.current || this.current.id !== frame.id || this.current.parts.length !== frame.index) {
      throw new FrameError(`chunk ${frame.index} of message ${frame.id} arrived out of order`);
    }
    this.current.parts.push(frame.bytes);
    if (frame.index < frame.count - 1) return undefined;
    const message = unpack(Buffer.concat(this.current.parts));
    this.current = undefined;
    return message;
  }
}
