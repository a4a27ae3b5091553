/**
 * Raft peer traffic over TCP: one connection per pair of nodes (the node whose id sorts first
 * dials; the other accepts), length-prefixed msgpack frames (frames.ts), messages batched per
 * event-loop turn, large ones chunked.
 *
 * Authentication: a mutual challenge-response with HMAC-SHA256 keyed by the cluster secret over
 * both nonces and both ids; the secret never crosses the wire. A peer that fails it is refused
 * and logged.
 *
 * Faults tolerated: peers that crash, restart or hang. The dialer reconnects with capped
 * exponential backoff and jitter. Memory stays bounded: nothing is queued for a peer that is not
 * connected, and a connected peer's send queue holds at most `maxQueuedBytes`; past that,
 * messages are dropped (Raft retransmits) and counted. A socket that stops draining is not
 * written to until it drains.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ChunkAssembler, FrameDecoder, encodeBatch, encodeFrame, outgoingMessage, type Frame, type Outgoing } from './frames.ts';

export interface PeerAddress {
  host: string;
  port: number;
}

export type TransportLog = (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;

export interface PeerTransportOptions {
  nodeId: string;
  listen: PeerAddress;
  /** Where this node reaches each peer (itself excluded). */
  peers: Record<string, PeerAddress>;
  /** Shared by every member; without it connections still work but are not authenticated. */
  clusterSecret: string | undefined;
  onMessage(from: string, message: unknown): void;
  /** An established connection to a peer closed (it may have died: a hint, not a verdict). */
  onPeerDisconnected?(peerId: string): void;
  log?: TransportLog;
  /** Bound on one peer's unsent messages. */
  maxQueuedBytes?: number;
  /** Fail a handshake that takes longer. */
  handshakeTimeoutMs?: number;
}

const BACKOFF_INITIAL_MS = 50;
const BACKOFF_MAX_MS = 2_000;

interface Peer {
  id: string;
  address: PeerAddress;
  socket: Socket | undefined;
  /** Established and authenticated. */
  ready: boolean;
  /** Messages (and chunks of large ones) not yet written. */
  queue: Outgoing[];
  queuedBytes: number;
  droppedMessages: number;
  backoffMs: number;
  reconnectTimer: NodeJS.Timeout | undefined;
  flushScheduled: boolean;
  nextChunkId: number;
}

function proof(secret: string, role: 'dialer' | 'acceptor', dialerId: string, acceptorId: string, dialerNonce: Uint8Array, acceptorNonce: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`oxirs-raft/1 ${role} ${dialerId} ${acceptorId} `).update(dialerNonce).update(acceptorNonce).digest();
}

function sameProof(a: Uint8Array, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export class PeerTransport {
  private readonly peers = new Map<string, Peer>();
  private server: Server | undefined;
  private readonly log: TransportLog;
  private readonly secret: string;
  private closed = false;
  private readonly inbound = new Set<Socket>();

  constructor(private readonly options: PeerTransportOptions) {
    this.log = options.log ?? (() => undefined);
    this.secret = options.clusterSecret ?? '';
    for (const [id, address] of Object.entries(options.peers)) this.addPeer(id, address);
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.listen.port, this.options.listen.host, () => resolve());
    });
    for (const peer of this.peers.values()) if (this.dials(peer.id)) this.dial(peer);
    return (this.server.address() as { port: number }).port;
  }

  addPeer(id: string, address: PeerAddress): void {
    if (id === this.options.nodeId || this.peers.has(id)) return;
    const peer: Peer = { id, address, socket: undefined, ready: false, queue: [], queuedBytes: 0, droppedMessages: 0, backoffMs: BACKOFF_INITIAL_MS, reconnectTimer: undefined, flushScheduled: false, nextChunkId: 1 };
    this.peers.set(id, peer);
    if (this.server && this.dials(id)) this.dial(peer);
  }

  removePeer(id: string): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    clearTimeout(peer.reconnectTimer);
    peer.socket?.destroy();
  }

  /** Queues a message; it leaves with the others queued in this event-loop turn. */
  send(to: string, message: unknown): void {
    const peer = this.peers.get(to);
    if (!peer) return;
    // Nothing is kept for a peer that is not connected (as etcd does): Raft sends again what is
    // still needed once it is back, rather than a backlog of stale appends it may no longer need.
    if (!peer.ready) {
      peer.droppedMessages++;
      return;
    }
    const { items, bytes } = outgoingMessage(message, peer.nextChunkId++);
    if (peer.queuedBytes + bytes > (this.options.maxQueuedBytes ?? 64 * 1024 * 1024)) {
      peer.droppedMessages++;
      return;
    }
    peer.queue.push(...items);
    peer.queuedBytes += bytes;
    if (!peer.flushScheduled) {
      peer.flushScheduled = true;
      setImmediate(() => this.flush(peer));
    }
  }

  /** Whether the connection to a peer is up and authenticated. */
  isConnected(id: string): boolean {
    return this.peers.get(id)?.ready ?? false;
  }

  /** Bytes queued for a peer and not yet handed to its socket (for pacing bulk sends). */
  queuedBytes(id: string): number {
    const peer = this.peers.get(id);
    return peer ? peer.queuedBytes + (peer.socket?.writableLength ?? 0) : 0;
  }

  /** Peers this transport sends to (dialled or accepted). */
  peerIds(): string[] {
    return [...this.peers.keys()];
  }

  droppedMessages(id: string): number {
    return this.peers.get(id)?.droppedMessages ?? 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const peer of this.peers.values()) {
      clearTimeout(peer.reconnectTimer);
      peer.socket?.destroy();
    }
    for (const socket of this.inbound) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  // ---- connections --------------------------------------------------------------------------

  /** Of each pair, the node whose id sorts first dials. */
  private dials(peerId: string): boolean {
    return this.options.nodeId < peerId;
  }

  private dial(peer: Peer): void {
    if (this.closed || peer.socket) return;
    const socket = connect({ host: peer.address.host, port: peer.address.port });
    socket.setNoDelay(true);
    peer.socket = socket;
    const nonce = randomBytes(32);
    const decoder = new FrameDecoder();
    const assembler = new ChunkAssembler();
    let established = false;
    const timeout = setTimeout(() => socket.destroy(new Error('handshake timed out')), this.options.handshakeTimeoutMs ?? 5_000);
    socket.on('connect', () => socket.write(encodeFrame({ t: 'hello', node: this.options.nodeId, nonce })));
    socket.on('data', (bytes: Buffer) => {
      try {
        for (const frame of decoder.push(bytes)) {
          if (!established) {
            if (frame.t !== 'challenge' || frame.node !== peer.id) throw new Error(`unexpected handshake frame from ${peer.id}`);
            if (!sameProof(frame.proof, proof(this.secret, 'acceptor', this.options.nodeId, peer.id, nonce, frame.nonce))) {
              this.log('warn', 'peer refused: it does not hold the cluster secret', { peer: peer.id });
              throw new Error('peer failed authentication');
            }
            socket.write(encodeFrame({ t: 'proof', proof: proof(this.secret, 'dialer', this.options.nodeId, peer.id, nonce, frame.nonce) }));
            established = true;
            clearTimeout(timeout);
            this.connected(peer, socket);
            continue;
          }
          this.receive(peer.id, frame, assembler);
        }
      } catch (error) {
        socket.destroy(error as Error);
      }
    });
    socket.on('drain', () => this.flush(peer));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timeout);
      if (peer.socket === socket) this.disconnected(peer);
      this.scheduleReconnect(peer);
    });
  }

  private scheduleReconnect(peer: Peer): void {
    if (this.closed || !this.peers.has(peer.id) || peer.reconnectTimer) return;
    const delay = peer.backoffMs * (0.5 + Math.random());
    peer.backoffMs = Math.min(peer.backoffMs * 2, BACKOFF_MAX_MS);
    peer.reconnectTimer = setTimeout(() => {
      peer.reconnectTimer = undefined;
      this.dial(peer);
    }, delay);
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    this.inbound.add(socket);
    const decoder = new FrameDecoder();
    const assembler = new ChunkAssembler();
    const nonce = randomBytes(32);
    let state: { dialer: string; dialerNonce: Uint8Array } | undefined;
    let peer: Peer | undefined;
    const timeout = setTimeout(() => socket.destroy(), this.options.handshakeTimeoutMs ?? 5_000);
    socket.on('data', (bytes: Buffer) => {
      try {
        for (const frame of decoder.push(bytes)) {
          if (peer) {
            this.receive(peer.id, frame, assembler);
          } else if (!state) {
            if (frame.t !== 'hello') throw new Error('expected hello');
            const known = this.peers.get(frame.node);
            if (!known || this.dials(frame.node)) {
              this.log('warn', 'peer refused: not a member this node accepts connections from', { peer: frame.node, address: socket.remoteAddress });
              throw new Error('unknown peer');
            }
            state = { dialer: frame.node, dialerNonce: frame.nonce };
            socket.write(encodeFrame({ t: 'challenge', node: this.options.nodeId, nonce, proof: proof(this.secret, 'acceptor', frame.node, this.options.nodeId, frame.nonce, nonce) }));
          } else {
            if (frame.t !== 'proof' || !sameProof(frame.proof, proof(this.secret, 'dialer', state.dialer, this.options.nodeId, state.dialerNonce, nonce))) {
              this.log('warn', 'peer refused: it does not hold the cluster secret', { peer: state.dialer, address: socket.remoteAddress });
              throw new Error('peer failed authentication');
            }
            clearTimeout(timeout);
            peer = this.peers.get(state.dialer)!;
            // A newer connection from the same peer replaces the old one (it restarted).
            if (peer.socket && peer.socket !== socket) peer.socket.destroy();
            this.connected(peer, socket);
          }
        }
      } catch (error) {
        socket.destroy(error as Error);
      }
    });
    socket.on('drain', () => peer && this.flush(peer));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timeout);
      this.inbound.delete(socket);
      if (peer && peer.socket === socket) this.disconnected(peer);
    });
  }

  /** A lost connection takes every unsent message with it (Raft sends again what is still needed). */
  private disconnected(peer: Peer): void {
    const wasReady = peer.ready;
    peer.socket = undefined;
    peer.ready = false;
    peer.droppedMessages += peer.queue.length;
    peer.queue = [];
    peer.queuedBytes = 0;
    if (wasReady && !this.closed) this.options.onPeerDisconnected?.(peer.id);
  }

  private connected(peer: Peer, socket: Socket): void {
    peer.socket = socket;
    peer.ready = true;
    peer.backoffMs = BACKOFF_INITIAL_MS;
    this.log('info', 'peer connected', { peer: peer.id });
    this.flush(peer);
  }

  private receive(from: string, frame: Frame, assembler: ChunkAssembler): void {
    if (frame.t === 'batch') {
      for (const message of frame.messages) this.options.onMessage(from, message);
    } else if (frame.t === 'chunk') {
      const message = assembler.push(frame);
      if (message !== undefined) this.options.onMessage(from, message);
    } else {
      throw new Error(`unexpected ${frame.t} frame after the handshake`);
    }
  }

  /** Writes queued messages while the socket accepts them; whole messages in a row share one batch frame. */
  private flush(peer: Peer): void {
    peer.flushScheduled = false;
    const socket = peer.socket;
    if (!peer.ready || !socket || socket.writableNeedDrain) return;
    while (peer.queue.length > 0) {
      const item = peer.queue.shift()!;
      let frame: Buffer;
      let bytes = item.bytes.length;
      if (item.t === 'packed') {
        const packed = [item.bytes];
        while (peer.queue[0]?.t === 'packed' && packed.length < 1024) {
          const next = peer.queue.shift()!;
          packed.push(next.bytes);
          bytes += next.bytes.length;
        }
        frame = encodeBatch(packed);
      } else {
        frame = encodeFrame(item);
      }
      peer.queuedBytes -= bytes;
      if (!socket.write(frame)) return;
    }
  }
}
