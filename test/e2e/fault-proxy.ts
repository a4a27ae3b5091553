/**
 * A TCP proxy on 127.0.0.1 that stands for one network link in end-to-end tests, with faults that
 * can be switched at run time and apply to connections already open:
 *
 * - `pass`: bytes flow both ways (after `latencyMs`, order kept).
 * - `blackhole`: a partition. Connections are still accepted and kept open, but every byte, in
 *   either direction, is read and thrown away. A TCP stream cannot have holes, so a connection
 *   that lost bytes is destroyed when the link leaves `blackhole` (as if TCP had given up on it);
 *   the endpoints see a reset and must reconnect. A connection that lost nothing carries on.
 * - `stall`: a partition as TCP sees a short one. Nothing is read from either side, so bytes wait
 *   in kernel buffers (the sender sees back-pressure) and arrive, in order, when the link heals.
 * - `reset`: every open connection is reset (RST), and new ones are reset as soon as accepted, so
 *   a dialer sees its connection refused; like a peer whose host is down.
 *
 * Faults it does not model: reordering or corruption inside one connection (TCP prevents both).
 * Every connection and timer is owned by the proxy, and `close()` frees all of them.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export type FaultMode = 'pass' | 'blackhole' | 'stall' | 'reset';

export interface FaultProxyOptions {
  /** Where accepted connections are forwarded. */
  targetPort: number;
  targetHost?: string;
  /** Port to listen on (0 or absent: any free port). */
  listenPort?: number;
  mode?: FaultMode;
  /** Added to the delivery of every chunk, each direction. */
  latencyMs?: number;
  /** A name for error messages. */
  name?: string;
}

export interface FaultProxyStats {
  accepted: number;
  /** Bytes delivered, client to target and target to client. */
  bytesForwarded: number;
  /** Bytes read and thrown away in `blackhole` mode. */
  bytesDropped: number;
  /** Connections reset by the proxy (mode `reset`, or healed after losing bytes). */
  connectionsReset: number;
  open: number;
}

/** One direction of one connection: delivers chunks after the link's latency, in order. */
class Pipe {
  private readonly queue: Array<{ chunk: Buffer; dueMs: number }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly link: Link,
    private readonly source: () => Socket | undefined,
    private readonly sink: () => Socket | undefined,
  ) {}

  receive(chunk: Buffer): void {
    const proxy = this.link.proxy;
    if (proxy.mode === 'blackhole' || proxy.mode === 'reset') {
      proxy.stats.bytesDropped += chunk.length;
      this.link.lostBytes = true;
      return;
    }
    this.queue.push({ chunk, dueMs: Date.now() + proxy.latencyMs });
    this.pump();
  }

  /** Delivers what is due; what cannot be delivered yet (not connected, stalled) waits. */
  pump(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const proxy = this.link.proxy;
    const sink = this.sink();
    if (!sink || this.link.closed || !this.link.connected || proxy.mode !== 'pass') return;
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0].dueMs <= now) {
      const { chunk } = this.queue.shift()!;
      proxy.stats.bytesForwarded += chunk.length;
      if (!sink.write(chunk)) {
        // Back-pressure: stop reading the sender until the receiver drains.
        const source = this.source();
        source?.pause();
        sink.once('drain', () => {
          if (!this.link.closed && proxy.mode === 'pass') source?.resume();
        });
      }
    }
    if (this.queue.length > 0) this.timer = setTimeout(() => this.pump(), Math.max(0, this.queue[0].dueMs - now));
  }

  /** Entering `blackhole`: what was still waiting is lost too. */
  dropQueued(): void {
    for (const { chunk } of this.queue) this.link.proxy.stats.bytesDropped += chunk.length;
    if (this.queue.length > 0) this.link.lostBytes = true;
    this.queue.length = 0;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }
}

/** One accepted connection and its upstream connection to the target. */
class Link {
  upstream: Socket | undefined;
  connected = false;
  closed = false;
  /** Bytes were thrown away, so the stream is broken: it must not carry traffic again. */
  lostBytes = false;
  private readonly toTarget: Pipe;
  private readonly toClient: Pipe;

  constructor(
    readonly proxy: FaultProxy,
    readonly client: Socket,
  ) {
    this.toTarget = new Pipe(this, () => this.client, () => this.upstream);
    this.toClient = new Pipe(this, () => this.upstream, () => this.client);
    client.on('data', (chunk: Buffer) => this.toTarget.receive(chunk));
    client.on('error', () => this.destroy(true));
    client.on('end', () => this.destroy(false));
    client.on('close', () => this.destroy(false));
  }

  /** Dials the target only once the link passes traffic: a partition lets no SYN through. */
  private dial(): void {
    if (this.upstream || this.closed) return;
    const upstream = connect({ host: this.proxy.targetHost, port: this.proxy.targetPort });
    this.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('connect', () => {
      this.connected = true;
      this.applyMode();
    });
    upstream.on('data', (chunk: Buffer) => this.toClient.receive(chunk));
    // The target refusing or resetting shows up at the client as a reset.
    upstream.on('error', () => this.destroy(true));
    upstream.on('end', () => this.destroy(false));
    upstream.on('close', () => this.destroy(false));
  }

  applyMode(): void {
    if (this.closed) return;
    switch (this.proxy.mode) {
      case 'pass':
        if (this.lostBytes) return this.destroy(true);
        if (!this.upstream) return this.dial();
        if (!this.connected) return; // resumed on connect
        this.client.resume();
        this.upstream.resume();
        this.toTarget.pump();
        this.toClient.pump();
        return;
      case 'blackhole':
        // Keep reading, so that senders see no back-pressure, and drop everything.
        this.toTarget.dropQueued();
        this.toClient.dropQueued();
        this.client.resume();
        this.upstream?.resume();
        return;
      case 'stall':
        this.client.pause();
        this.upstream?.pause();
        return;
      case 'reset':
        return this.destroy(true);
    }
  }

  /** `reset`: an RST to both ends rather than an orderly FIN. */
  destroy(reset: boolean): void {
    if (this.closed) return;
    this.closed = true;
    if (reset) this.proxy.stats.connectionsReset++;
    this.toTarget.stop();
    this.toClient.stop();
    for (const socket of [this.client, this.upstream]) {
      if (!socket || socket.destroyed) continue;
      socket.on('error', () => undefined);
      if (reset && !socket.connecting) socket.resetAndDestroy();
      else socket.destroy();
    }
    this.proxy.forget(this);
  }
}

export class FaultProxy {
  mode: FaultMode;
  latencyMs: number;
  readonly targetHost: string;
  readonly targetPort: number;
  readonly name: string;
  readonly stats: FaultProxyStats = { accepted: 0, bytesForwarded: 0, bytesDropped: 0, connectionsReset: 0, open: 0 };
  private readonly links = new Set<Link>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    options: FaultProxyOptions,
  ) {
    this.mode = options.mode ?? 'pass';
    this.latencyMs = options.latencyMs ?? 0;
    this.targetHost = options.targetHost ?? '127.0.0.1';
    this.targetPort = options.targetPort;
    this.name = options.name ?? `proxy->${this.targetPort}`;
    server.on('connection', (socket) => this.accept(socket));
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const server = createServer({ pauseOnConnect: true });
    const proxy = new FaultProxy(server, options);
    server.listen(options.listenPort ?? 0, '127.0.0.1');
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
    return proxy;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Takes effect on open connections at once. */
  setMode(mode: FaultMode): void {
    if (this.closed) return;
    this.mode = mode;
    for (const link of [...this.links]) link.applyMode();
  }

  /** Applies to chunks received from now on. */
  setLatency(latencyMs: number): void {
    this.latencyMs = latencyMs;
  }

  /** Resets every open connection without changing the mode (the endpoints reconnect). */
  resetConnections(): void {
    for (const link of [...this.links]) link.destroy(true);
  }

  private accept(socket: Socket): void {
    if (this.closed) return void socket.destroy();
    this.stats.accepted++;
    socket.setNoDelay(true);
    if (this.mode === 'reset') {
      this.stats.connectionsReset++;
      socket.on('error', () => undefined);
      socket.resetAndDestroy();
      return;
    }
    const link = new Link(this, socket);
    this.links.add(link);
    this.stats.open = this.links.size;
    link.applyMode();
  }

  forget(link: Link): void {
    this.links.delete(link);
    this.stats.open = this.links.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const link of [...this.links]) link.destroy(false);
    const closing = once(this.server, 'close');
    this.server.close();
    await closing;
  }
}
