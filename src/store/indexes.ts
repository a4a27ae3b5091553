/**
 * The index permutations and how a quad pattern picks one. Default-graph triples live in three
 * triple indexes (dspo, dpos, dosp: 18-byte keys), named-graph quads in six quad indexes (24-byte
 * keys). With those, every pattern of bound and unbound positions is a prefix range scan of one
 * index; a pattern over all graphs (default and named) is one scan of a default index plus one of
 * a named index. Ids are 6-byte big-endian unsigned integers; id 0 names the default graph.
 */
import { assert } from '../util/assert.ts';

export const ID_BYTES = 6;
export const MAX_ID = 2 ** (ID_BYTES * 8) - 1;
export const DEFAULT_GRAPH_ID = 0;

/** Positions of a quad: subject, predicate, object, graph. */
export type Position = 0 | 1 | 2 | 3;
const S = 0, P = 1, O = 2, G = 3;

export interface IndexSpec {
  name: string;
  /** Which quad position is stored at each key slot. */
  order: readonly Position[];
  /** Default-graph indexes hold triples of the default graph only; named ones hold named-graph quads. */
  scope: 'default' | 'named';
  keyBytes: number;
}

function spec(name: string, order: Position[], scope: 'default' | 'named'): IndexSpec {
  return { name, order, scope, keyBytes: order.length * ID_BYTES };
}

export const INDEXES: readonly IndexSpec[] = [
  spec('dspo', [S, P, O], 'default'),
  spec('dpos', [P, O, S], 'default'),
  spec('dosp', [O, S, P], 'default'),
  spec('spog', [S, P, O, G], 'named'),
  spec('posg', [P, O, S, G], 'named'),
  spec('ospg', [O, S, P, G], 'named'),
  spec('gspo', [G, S, P, O], 'named'),
  spec('gpos', [G, P, O, S], 'named'),
  spec('gosp', [G, O, S, P], 'named'),
];

export const DEFAULT_INDEXES = INDEXES.filter((i) => i.scope === 'default');
export const NAMED_INDEXES = INDEXES.filter((i) => i.scope === 'named');

/** A quad pattern over ids; undefined is a variable. */
export interface IdPattern {
  subject?: number;
  predicate?: number;
  object?: number;
  graph?: number;
}

export function boundPositions(pattern: IdPattern, scope: 'default' | 'named'): Array<number | undefined> {
  return [pattern.subject, pattern.predicate, pattern.object, scope === 'default' ? undefined : pattern.graph];
}

/** The index of `scope` whose key starts with the most bound positions, and that prefix length. */
export function chooseIndex(bound: Array<number | undefined>, scope: 'default' | 'named'): { index: IndexSpec; prefixLength: number } {
  let best: IndexSpec | undefined;
  let bestLength = -1;
  for (const index of scope === 'default' ? DEFAULT_INDEXES : NAMED_INDEXES) {
    let length = 0;
    while (length < index.order.length && bound[index.order[length]] !== undefined) length++;
    if (length > bestLength) {
      best = index;
      bestLength = length;
    }
  }
  assert(best, 'no index for scope');
  const boundCount = bound.filter((v) => v !== undefined).length;
  // The permutations are chosen so that every bound set is a prefix of some index.
  assert(bestLength === boundCount, `no index has all ${boundCount} bound positions as a prefix`);
  return { index: best, prefixLength: bestLength };
}

export function writeId(buffer: Buffer, offset: number, id: number): void {
  buffer.writeUIntBE(id, offset, ID_BYTES);
}

export function readId(buffer: Buffer, offset: number): number {
  return buffer.readUIntBE(offset, ID_BYTES);
}

/** The key of a quad (ids by position) in `index`, written into `into` (of index.keyBytes). */
export function encodeKey(index: IndexSpec, quad: ArrayLike<number>, into: Buffer): Buffer {
  const order = index.order;
  for (let slot = 0; slot < order.length; slot++) writeId(into, slot * ID_BYTES, quad[order[slot]]);
  return into;
}

/** Writes a 6-byte big-endian id at `at` (plain arithmetic: no Buffer method call). */
function putId(bytes: Uint8Array, at: number, id: number): void {
  const high = Math.floor(id / 16777216);
  const low = id - high * 16777216;
  bytes[at] = high >>> 16;
  bytes[at + 1] = (high >>> 8) & 0xff;
  bytes[at + 2] = high & 0xff;
  bytes[at + 3] = low >>> 16;
  bytes[at + 4] = (low >>> 8) & 0xff;
  bytes[at + 5] = low & 0xff;
}

/** Range bounds [start, end) covering every key that starts with the given bound prefix. */
export function prefixRange(index: IndexSpec, bound: Array<number | undefined>, prefixLength: number): { start?: Buffer; end?: Buffer } {
  if (prefixLength === 0) return {};
  // Made per scan, so cheaply: one small allocation, bytes written directly.
  const prefixBytes = prefixLength * ID_BYTES;
  const bytes = Buffer.allocUnsafe(prefixBytes + index.keyBytes + 1);
  for (let slot = 0; slot < prefixLength; slot++) putId(bytes, slot * ID_BYTES, bound[index.order[slot]]!);
  // Keys are fixed-length, so prefix + one more 0xff than the key has left sorts after them all.
  bytes.copyWithin(prefixBytes, 0, prefixBytes);
  bytes.fill(0xff, 2 * prefixBytes);
  return { start: bytes.subarray(0, prefixBytes), end: bytes.subarray(prefixBytes) };
}

/** Reads the 6-byte big-endian id at `at` (plain arithmetic: no Buffer method call). */
function idAt(bytes: Uint8Array, at: number): number {
  return (bytes[at] * 65536 + bytes[at + 1] * 256 + bytes[at + 2]) * 16777216 + (bytes[at + 3] * 65536 + bytes[at + 4] * 256 + bytes[at + 5]);
}

/**
 * An lmdb-js key encoder for reading `index`: each key is decoded into its [s, p, o, g] tuple
 * straight from lmdb's shared key buffer, so a scan allocates no Buffer per key (most of the cost
 * of a long scan otherwise). Range bounds are written as the Buffers prefixRange makes.
 */
export function quadKeyReader(index: IndexSpec): { writeKey(key: Uint8Array, target: Uint8Array, start: number): number; readKey(bytes: Uint8Array, start: number, end: number): number[] } {
  const order = index.order;
  const [a, b, c] = order;
  const d = order.length === 4 ? order[3] : undefined;
  return {
    writeKey(key, target, start) {
      target.set(key, start);
      return start + key.length;
    },
    readKey(bytes, start) {
      const quad = [0, 0, 0, DEFAULT_GRAPH_ID];
      quad[a] = idAt(bytes, start);
      quad[b] = idAt(bytes, start + ID_BYTES);
      quad[c] = idAt(bytes, start + 2 * ID_BYTES);
      if (d !== undefined) quad[d] = idAt(bytes, start + 3 * ID_BYTES);
      return quad;
    },
  };
}

/** The lowest key: a scan of a whole index starts here (lmdb-js would otherwise start at byte 5). */
export const LOWEST_KEY = Buffer.from([0]);

/** Decodes a key of `index` into [s, p, o, g]; default-graph keys get g = 0. */
export function decodeKey(index: IndexSpec, key: Buffer): [number, number, number, number] {
  const quad: [number, number, number, number] = [0, 0, 0, DEFAULT_GRAPH_ID];
  const order = index.order;
  for (let slot = 0; slot < order.length; slot++) quad[order[slot]] = readId(key, slot * ID_BYTES);
  return quad;
}
