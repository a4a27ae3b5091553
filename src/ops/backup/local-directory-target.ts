/**
 * A backup target on a local (or mounted) file system. Each file is written to a temporary name,
 * fsynced, renamed into place and its folder fsynced: a crash leaves either the whole file or a
 * temporary one that nothing reads.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { BackupError } from './backup-errors.ts';
import type { BackupTarget } from './backup-target.ts';

export class LocalDirectoryTarget implements BackupTarget {
  readonly description: string;

  constructor(readonly root: string) {
    this.description = root;
  }

  async put(path: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    const final = this.resolve(path);
    await mkdir(dirname(final), { recursive: true });
    const temporary = `${final}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await pipeline(Readable.from(body), createWriteStream(temporary));
      const handle = await open(temporary, 'r');
      await handle.sync().finally(() => handle.close());
      await rename(temporary, final);
      const folder = await open(dirname(final), 'r');
      await folder.sync().finally(() => folder.close());
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async *get(path: string): AsyncIterable<Uint8Array> {
    const stream = createReadStream(this.resolve(path), { highWaterMark: 1024 * 1024 });
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BackupError('backup_not_found', `${join(this.root, path)} does not exist`);
      throw error;
    }
  }

  async folders(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  }

  async has(path: string): Promise<boolean> {
    return stat(this.resolve(path)).then(
      () => true,
      () => false,
    );
  }

  async removeFolder(folder: string): Promise<void> {
    await rm(this.resolve(folder), { recursive: true, force: true });
  }

  private resolve(path: string): string {
    if (path.split('/').some((part) => part === '..' || part === '')) throw new BackupError('bad_request', `bad backup path ${JSON.stringify(path)}`);
    return join(this.root, path);
  }
}
