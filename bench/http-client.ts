/**
 * The benchmarks' HTTP/1.1 client: keep-alive connections over plain sockets, one request at a
 * time on each (no pipelining), at most `maxSocketsPerOrigin` per origin, requests waiting for a
 * free connection in order.
 *
 * Why not node:http: its client costs 0.35–0.45 ms of CPU per request and adds ~0.3 ms to each
 * request's latency (a POST answered by a server that waits 2 ms: 2.50–2.74 ms a round trip
 * against 2.27–2.31 ms here, which costs 0.10 ms of CPU; undici measured like node:http). The
 * benchmarks run the systems they compare and this client on the same two cores, so a heavy
 * client is measured as if it were the server's latency and takes CPU from the servers.
 */
import { connect, type Socket } from 'node:net';

export interface HttpAnswer {
  status: number;
  body: string;
}

interface Pending {
  resolve(answer: HttpAnswer): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const LINE_END = Buffer.from('\r\n');
/** A response head larger than this is not an answer we expect. */
const MAX_HEAD_BYTES = 64 * 1024;

function failure(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The body of a chunked response in `bytes`, or undefined while incomplete. */
function dechunk(bytes: Buffer): { body: Buffer; used: number } | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf(LINE_END, at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1').split(';')[0], 16);
    if (!Number.isFinite(size)) throw failure('BAD_RESPONSE', 'bad chunk size');
    if (size === 0) {
      // The last chunk, then trailers (usually none), then an empty line.
      const end = bytes.indexOf(HEAD_END, lineEnd);
      return end < 0 ? undefined : { body: Buffer.concat(parts), used: end + 4 };
    }
    const dataStart = lineEnd + 2;
    if (bytes.length < dataStart + size + 2) return undefined;
    parts.push(bytes.subarray(dataStart, dataStart + size));
    at = dataStart + size + 2;
  }
}

/** One keep-alive connection. */
class Connection {
  readonly socket: Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private pending: Pending | undefined;
  closed = false;

  constructor(host: string, port: number, private readonly onIdle: (connection: Connection) => void, private readonly onClosed: (connection: Connection) => void) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (bytes: Buffer) => this.receive(bytes));
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => {
      this.closed = true;
      this.fail(failure('ECONNRESET', 'socket hang up'));
      this.onClosed(this);
    });
  }

  send(head: string, body: Buffer, timeoutMs: number): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.socket.destroy(failure('TIMEOUT', 'timeout')), timeoutMs);
      this.pending = { resolve, reject, timer };
      this.socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    });
  }

  private fail(error: Error): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    pending.reject(error);
  }

  private receive(bytes: Buffer): void {
    this.buffered = this.buffered.length === 0 ? bytes : Buffer.concat([this.buffered, bytes]);
    try {
      this.parse();
    } catch (error) {
      this.socket.destroy(error as Error);
    }
  }

  private parse(): void {
    const headEnd = this.buffered.indexOf(HEAD_END);
    if (headEnd < 0) {
      if (this.buffered.length > MAX_HEAD_BYTES) throw failure('BAD_RESPONSE', 'response head too large');
      return;
    }
    const lines = this.buffered.subarray(0, headEnd).toString('latin1').split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]);
    if (!statusLine) throw failure('BAD_RESPONSE', `bad status line: ${lines[0].slice(0, 80)}`);
    const status = Number(statusLine[2]);
    let contentLength: number | undefined;
    let chunked = false;
    let keepAlive = statusLine[1] === '1';
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      const name = lines[i].slice(0, colon).trim().toLowerCase();
      const value = lines[i].slice(colon + 1).trim().toLowerCase();
      if (name === 'content-length') contentLength = Number(value);
      else if (name === 'transfer-encoding') chunked = value.includes('chunked');
      else if (name === 'connection') keepAlive = value !== 'close' && (keepAlive || value === 'keep-alive');
    }
    if (status < 200) {
      // An interim answer (100 Continue): the real one follows.
      this.buffered = this.buffered.subarray(headEnd + 4);
      this.parse();
      return;
    }
    const rest = this.buffered.subarray(headEnd + 4);
    let body: Buffer;
    let used: number;
    if (status === 204 || status === 304) {
      body = Buffer.alloc(0);
      used = 0;
    } else if (chunked) {
      const whole = dechunk(rest);
      if (!whole) return;
      ({ body, used } = whole);
    } else if (contentLength !== undefined) {
      if (!Number.isSafeInteger(contentLength) || contentLength < 0) throw failure('BAD_RESPONSE', 'bad content-length');
      if (rest.length < contentLength) return;
      body = rest.subarray(0, contentLength);
      used = contentLength;
    } else {
      throw failure('BAD_RESPONSE', 'a response without a length (read to close) is not supported');
    }
    this.buffered = rest.subarray(used);
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) throw failure('BAD_RESPONSE', 'a response nobody asked for');
    clearTimeout(pending.timer);
    if (keepAlive) this.onIdle(this);
    else this.socket.end();
    pending.resolve({ status, body: body.toString('utf8') });
  }
}

interface Origin {
  host: string;
  port: number;
  idle: Connection[];
  open: number;
  waiting: Array<(connection: Connection) => void>;
}

export class HttpClient {
  private readonly origins = new Map<string, Origin>();
  private readonly connections = new Set<Connection>();

  constructor(private readonly maxSocketsPerOrigin: number) {}

  post(origin: string, path: string, contentType: string, body: string, timeoutMs = 10_000): Promise<HttpAnswer> {
    const target = this.origin(origin);
    const payload = Buffer.from(body, 'utf8');
    const head = `POST ${path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nContent-Type: ${contentType}\r\nContent-Length: ${payload.length}\r\n\r\n`;
    return this.connection(target).then((connection) => connection.send(head, payload, timeoutMs));
  }

  close(): void {
    for (const connection of this.connections) connection.socket.destroy();
    this.connections.clear();
    this.origins.clear();
  }

  private origin(origin: string): Origin {
    let target = this.origins.get(origin);
    if (!target) {
      const url = new URL(origin);
      target = { host: url.hostname, port: Number(url.port || 80), idle: [], open: 0, waiting: [] };
      this.origins.set(origin, target);
    }
    return target;
  }

  private connection(target: Origin): Promise<Connection> {
    while (target.idle.length > 0) {
      const connection = target.idle.pop()!;
      if (!connection.closed) return Promise.resolve(connection);
    }
    if (target.open < this.maxSocketsPerOrigin) {
      target.open++;
      const connection = new Connection(
        target.host,
        target.port,
        (c) => this.release(target, c),
        (c) => {
          target.open--;
          this.connections.delete(c);
          target.idle = target.idle.filter((x) => x !== c);
          // A request waiting for a free connection gets a new one.
          const next = target.waiting.shift();
          if (next) void this.connection(target).then(next);
        },
      );
      this.connections.add(connection);
      return Promise.resolve(connection);
    }
    return new Promise((resolve) => target.waiting.push(resolve));
  }

  private release(target: Origin, connection: Connection): void {
    const next = target.waiting.shift();
    if (next) next(connection);
    else target.idle.push(connection);
  }
}
