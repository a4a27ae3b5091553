/**
 * Reads a request body stream, failing with 413 once more than `maxBytes` have arrived (counted
 * after decompression, so a small gzip bomb is caught too). `source` is the socket-side stream to
 * destroy when the limit is hit, if `stream` is derived from it.
 */
import type { Readable } from 'node:stream';
import { ApiError } from './errors.ts';

export async function* limitBody(stream: Readable, maxBytes: number, source: Readable = stream): AsyncGenerator<Buffer> {
  let received = 0;
  try {
    for await (const chunk of stream) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      received += buffer.length;
      if (received > maxBytes) throw new ApiError('payload_too_large', `The request body is larger than ${maxBytes} bytes.`, { maxBytes });
      yield buffer;
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') throw new ApiError('bad_request', 'The gzip body is corrupt.');
    throw new ApiError('bad_request', `The request body could not be read: ${(error as Error).message}`);
  } finally {
    if (source !== stream) source.unpipe();
  }
}

/** The whole body as text, for small payloads (queries, updates). */
export async function readBodyText(stream: Readable, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of limitBody(stream, maxBytes)) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
