/**
 * A received Raft snapshot is written to a file as it arrives (length-prefixed chunks), so a large
 * store never sits whole in memory, and read back chunk by chunk when Raft installs it.
 */
import { closeSync, fsyncSync, openSync, readSync, writeSync, unlinkSync } from 'node:fs';

export class SnapshotFileWriter {
  private readonly fd: number;
  chunks = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  append(chunk: Uint8Array): void {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(chunk.byteLength);
    writeSync(this.fd, length);
    let written = 0;
    while (written < chunk.byteLength) written += writeSync(this.fd, chunk, written);
    this.chunks++;
  }

  finish(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
  }

  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    removeSnapshotFile(this.path);
  }
}

export function* readSnapshotFile(path: string): Generator<Uint8Array> {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(4);
    for (;;) {
      const got = readSync(fd, header, 0, 4, null);
      if (got === 0) return;
      if (got !== 4) throw new Error(`${path}: truncated chunk header`);
      const chunk = Buffer.alloc(header.readUInt32BE(0));
      let read = 0;
      while (read < chunk.length) {
        const n = readSync(fd, chunk, read, chunk.length - read, null);
        if (n === 0) throw new Error(`${path}: truncated chunk`);
        read += n;
      }
      yield chunk;
    }
  } finally {
    closeSync(fd);
  }
}

export function removeSnapshotFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}
