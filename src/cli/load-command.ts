/**
 * `oxirs-cluster load --endpoint URL [--graph IRI] FILE...`: streams each file to the Graph
 * Store Protocol (POST: adds to what is there) in one request, so each file loads atomically.
 * Triple files go to `--graph` or the default graph; quad files (N-Quads, TriG) without
 * `--graph` go to the dataset, keeping their graphs. `.gz` files are sent compressed.
 * On a TTY a progress line shows quads (counted by lines for N-Triples/N-Quads) and quads/s.
 */
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FORMAT_MEDIA_TYPE, formatOfFileName, isQuadFormat } from '../rdf/media-types.ts';
import { ConfigError } from './node-config.ts';

export interface LoadFlags {
  endpoint: string;
  graph?: string;
  /** Basic `user:password` or a bearer token, for servers with --auth. */
  user?: string;
  token?: string;
}

export interface FileLoadResult {
  file: string;
  quads: number;
  seconds: number;
}

export async function loadCommand(files: string[], flags: LoadFlags, output: NodeJS.WriteStream = process.stderr): Promise<FileLoadResult[]> {
  let endpoint: URL;
  try {
    endpoint = new URL(flags.endpoint);
  } catch {
    throw new ConfigError(`--endpoint must be a URL (got ${JSON.stringify(flags.endpoint)})`);
  }
  const plan = files.map((file) => {
    const format = formatOfFileName(file);
    if (!format) throw new ConfigError(`${file}: unknown format (use .nt, .nq, .ttl or .trig, optionally .gz)`);
    return { file, format };
  });
  const results: FileLoadResult[] = [];
  for (const { file, format } of plan) {
    const target = new URL('/data', endpoint);
    if (flags.graph) target.searchParams.set('graph', flags.graph);
    else if (!isQuadFormat(format)) target.search = '?default';
    const started = performance.now();
    const quads = await sendFile(file, target, FORMAT_MEDIA_TYPE[format], format === 'n-triples' || format === 'n-quads', flags, output);
    const seconds = (performance.now() - started) / 1000;
    results.push({ file, quads, seconds });
    output.write(`${basename(file)}: ${quads} quads in ${seconds.toFixed(1)} s (${Math.round(quads / seconds)} quads/s)\n`);
  }
  return results;
}

function sendFile(file: string, target: URL, contentType: string, countLines: boolean, flags: LoadFlags, output: NodeJS.WriteStream): Promise<number> {
  const size = statSync(file).size;
  const gzip = file.endsWith('.gz');
  const headers: Record<string, string> = { 'content-type': contentType };
  if (gzip) headers['content-encoding'] = 'gzip';
  if (flags.user) headers.authorization = `Basic ${Buffer.from(flags.user).toString('base64')}`;
  if (flags.token) headers.authorization = `Bearer ${flags.token}`;
  const progress = new Progress(basename(file), size, countLines && !gzip, output);
  return new Promise<number>((resolve, reject) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(target, { method: 'POST', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        progress.done();
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          resolve(Number(response.headers['x-quads-parsed'] ?? progress.lines));
          return;
        }
        const text = Buffer.concat(chunks).toString('utf8');
        let message = text;
        try {
          const error = JSON.parse(text).error;
          message = `${error.message}${error.line ? ` [line ${error.line}, column ${error.column}]` : ''} (${error.code})`;
        } catch {
          // not JSON: print as is
        }
        reject(new Error(`${file}: HTTP ${status}: ${message}`));
      });
    });
    request.on('error', (error) => {
      progress.done();
      reject(new Error(`${file}: ${error.message}`));
    });
    pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), progress.meter(), request).catch((error) => {
      progress.done();
      reject(new Error(`${file}: ${error.message}`));
    });
  });
}

/** A one-line progress display, redrawn at most every PROGRESS_INTERVAL_MS, on a TTY only. */
const PROGRESS_INTERVAL_MS = 200;

class Progress {
  lines = 0;
  private bytes = 0;
  private readonly started = performance.now();
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly name: string,
    private readonly totalBytes: number,
    private readonly countLines: boolean,
    private readonly output: NodeJS.WriteStream,
  ) {
    this.tty = Boolean(output.isTTY);
  }

  meter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.bytes += chunk.length;
        if (this.countLines) {
          for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) this.lines++;
        }
        this.draw();
        callback(null, chunk);
      },
    });
  }

  private draw(): void {
    const now = performance.now();
    if (!this.tty || now - this.lastDraw < PROGRESS_INTERVAL_MS) return;
    this.lastDraw = now;
    const seconds = (now - this.started) / 1000;
    const fraction = this.totalBytes ? this.bytes / this.totalBytes : 1;
    const width = 30;
    const bar = '#'.repeat(Math.round(fraction * width)).padEnd(width, '.');
    const rate = this.countLines ? `${this.lines} quads, ${Math.round(this.lines / seconds)} quads/s` : `${(this.bytes / 2 ** 20 / seconds).toFixed(1)} MiB/s`;
    this.output.write(`\r${this.name} [${bar}] ${(fraction * 100).toFixed(0)}% ${rate}   `);
  }

  done(): void {
    if (this.tty && this.lastDraw > 0) this.output.write('\r\u001b[K');
  }
}
