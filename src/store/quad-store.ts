/**
 * The persistent quad store: one LMDB environment holding the term dictionary, the index
 * permutations (indexes.ts), per-graph and per-predicate counts, and store metadata.
 *
 * Writes are serialised: one write transaction at a time, each atomic (LMDB child transaction:
 * a thrown error aborts everything it did) and durable when its promise resolves (LMDB fsyncs the
 * commit; `overlappingSync` is off so "committed" means "on disk"). A write may await (a streamed
 * load does), so readers must never read outside a snapshot: every read goes through `snapshot()`,
 * an LMDB read transaction that sees one committed state for as long as it is held.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, TransactionFlags, type Database, type RootDatabase, type Transaction } from 'lmdb';
import { Dictionary, DICTIONARY_DATABASES, type DictionaryRead } from './dictionary.ts';
import {
  INDEXES,
  DEFAULT_INDEXES,
  NAMED_INDEXES,
  DEFAULT_GRAPH_ID,
  boundPositions,
  chooseIndex,
  decodeKey,
  encodeKey,
  prefixRange,
  quadKeyReader,
  LOWEST_KEY,
  type IdPattern,
  type IndexSpec,
} from './indexes.ts';
import { assert } from '../util/assert.ts';
import type { TermKey } from '../rdf/term-key.ts';

export type IdQuad = [subject: number, predicate: number, object: number, graph: number];

export interface QuadStoreOptions {
  /** Folder of the LMDB environment (created if missing). */
  path: string;
  /** Bound on the in-memory term caches (entries each). */
  termCacheEntries?: number;
  /** Quads buffered and sorted before they are written to the indexes. */
  insertBatchQuads?: number;
}

/** Which graphs a pattern with an unbound graph ranges over. */
export type GraphScope = 'all' | 'named';

export interface StoreStatistics {
  quads: number;
  namedGraphs: number;
  /** Entries per index permutation. */
  indexEntries: Record<string, number>;
}

const EMPTY = Buffer.alloc(0);
const BLANK_EPOCH_KEY = 'blankNodeEpoch';
/**
 * Application metadata (the cluster's applied index, membership, idempotency table) shares the
 * meta database; its keys carry this prefix, which none of the store's own keys has.
 */
const APP_META_PREFIX = 'app:';
/** LMDB's key limit (1978 bytes) less the prefix. */
const MAX_APP_META_KEY_BYTES = 1900;

function appMetaKey(key: string): string {
  assert(Buffer.byteLength(key, 'utf8') <= MAX_APP_META_KEY_BYTES, `metadata key longer than ${MAX_APP_META_KEY_BYTES} bytes`);
  return APP_META_PREFIX + key;
}

/** Application metadata keys starting with `prefix`, sorted, read in the transaction (or the open write one). */
function appMetaKeys(meta: Database, prefix: string, transaction: Transaction | undefined): string[] {
  const start = appMetaKey(prefix);
  const keys: string[] = [];
  const range = meta.getKeys(transaction ? { start, transaction } : { start, snapshot: false });
  for (const key of range) {
    // Keys sort by their UTF-8 bytes, so the ones with the prefix are contiguous.
    if (typeof key !== 'string' || !key.startsWith(start)) break;
    keys.push(key.slice(APP_META_PREFIX.length));
  }
  return keys.sort();
}

/** The part of lmdb-js's environment object that reads consult: the thread's open write transaction. */
interface LmdbEnvironment {
  writeTxn?: unknown;
}

export class QuadStore {
  readonly path: string;
  private readonly root: RootDatabase;
  private readonly environment: LmdbEnvironment;
  private readonly meta: Database;
  private readonly indexDbs: Map<IndexSpec, Database<Buffer, Buffer>>;
  /** graph id -> quad count; present for every graph that exists (the default graph always). */
  private readonly graphCounts: Database<number, number>;
  private readonly predicateCounts: Database<number, number>;
  /** Every database of the environment by name, keys and values as stored bytes (snapshots copy these). */
  private readonly rawDbs: ReadonlyMap<string, Database<Buffer, Buffer>>;
  /** The indexes again, opened to read keys as decoded quads (see quadKeyReader): what scans use. */
  private readonly scanDbs: Map<IndexSpec, Database<Buffer, Buffer>>;
  readonly dictionary: Dictionary;
  private readonly insertBatchQuads: number;
  private writeTail: Promise<unknown> = Promise.resolve();
  /** A commit made with `sync: false` may not be on disk yet. */
  private unsyncedWrites = false;
  private pendingSync: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(options: QuadStoreOptions) {
    this.path = options.path;
    mkdirSync(options.path, { recursive: true });
    this.root = open({
      path: join(options.path, 'store.mdb'),
      maxDbs: 16,
      mapSize: 2 ** 40,
      // A commit's promise must mean "fsynced", not just "visible".
      overlappingSync: false,
      // Random reads over a large file: the kernel's read-ahead only wastes page cache.
      noReadAhead: true,
      maxReaders: 1024,
    } as Parameters<typeof open>[0]);
    this.environment = (this.root as unknown as { env: LmdbEnvironment }).env;
    assert(typeof this.environment === 'object' && this.environment !== null, 'lmdb root database without an environment');
    this.meta = this.root.openDB({ name: 'meta' });
    this.indexDbs = new Map(INDEXES.map((index) => [index, this.root.openDB({ name: index.name, keyEncoding: 'binary', encoding: 'binary' })]));
    this.graphCounts = this.root.openDB({ name: 'graph-counts' });
    this.predicateCounts = this.root.openDB({ name: 'predicate-counts' });
    this.dictionary = new Dictionary(this.root, this.meta, options.termCacheEntries ?? 200_000);
    this.insertBatchQuads = options.insertBatchQuads ?? 250_000;
    // Opened last and all at once: opening a database ends lmdb's current read transaction.
    const names = ['meta', ...DICTIONARY_DATABASES, ...INDEXES.map((index) => index.name), 'graph-counts', 'predicate-counts'];
    this.rawDbs = new Map(names.map((name) => [name, this.root.openDB({ name, keyEncoding: 'binary', encoding: 'binary' }) as Database<Buffer, Buffer>]));
    this.scanDbs = new Map(INDEXES.map((index) => [index, this.root.openDB({ name: index.name, keyEncoder: quadKeyReader(index), encoding: 'binary' } as never) as Database<Buffer, Buffer>]));
  }

  static open(options: QuadStoreOptions): QuadStore {
    return new QuadStore(options);
  }

  /**
   * Runs `body` in one atomic write transaction, after every earlier write finished. If `body`
   * throws (or rejects), nothing it wrote is kept. Durable when it resolves, unless `sync` is
   * false: then the commit is visible at once and reaches the disk with a later synced commit or
   * `flushed()` (for a caller that can replay the write from a log of its own after a crash).
   */
  write<T>(body: (writer: StoreWriter) => T | Promise<T>, options: { sync?: boolean } = {}): Promise<T> {
    return this.enqueue(async () => {
      const writer = new StoreWriter(this, this.dictionary, this.insertBatchQuads);
      let result!: T;
      const transaction = async () => {
        result = await body(writer);
        writer.finish();
        this.dictionary.beforeCommit();
      };
      try {
        if (options.sync === false) {
          // LMDB's per-transaction MDB_NOSYNC (lmdb-js NO_SYNC_FLUSH), abortable, committed before returning.
          await this.root.transactionSync(transaction, (TransactionFlags.ABORTABLE | TransactionFlags.SYNCHRONOUS_COMMIT | TransactionFlags.NO_SYNC_FLUSH) as TransactionFlags);
          this.unsyncedWrites = true;
        } else {
          await this.root.childTransaction(transaction);
        }
      } catch (error) {
        this.dictionary.afterAbort();
        throw error;
      }
      this.dictionary.afterCommit();
      return result;
    });
  }

  /**
   * @internal Replaces the whole store in one write transaction (snapshot install): every database
   * is emptied, then `body` writes stored bytes straight into them. If `body` throws, the store is
   * left as it was. Afterwards ids may name other terms, so the dictionary starts a new generation.
   */
  replaceContents<T>(body: (databases: ReadonlyMap<string, Database<Buffer, Buffer>>) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      this.dictionary.beginReplace();
      let result!: T;
      let nextTermId!: number;
      try {
        await this.root.childTransaction(async () => {
          for (const db of this.rawDbs.values()) db.clearSync();
          result = await body(this.rawDbs);
          nextTermId = this.dictionary.installedNextId();
        });
      } catch (error) {
        this.dictionary.afterAbort();
        throw error;
      }
      this.dictionary.afterReplace(nextTermId);
      return result;
    });
  }

  private enqueue<T>(body: () => Promise<T>): Promise<T> {
    const run = (): Promise<T> => {
      assert(!this.closed, 'store is closed');
      return body();
    };
    const next = this.writeTail.then(run, run);
    this.writeTail = next.catch(() => undefined);
    return next;
  }

  /** A consistent read view of the last committed state. Call `release()` when done. */
  snapshot(): Snapshot {
    assert(!this.closed, 'store is closed');
    // lmdb-js hands out one shared read transaction until a zero-delay timer renews it, so without
    // this a snapshot could predate a commit made meanwhile by another thread (a query worker
    // answering right after the main thread acknowledged a write, seen in the W3C suite under load).
    // Earlier snapshots keep their transaction (lmdb-js retires it once they are released).
    this.root.resetReadTxn();
    return new Snapshot(this, this.root.useReadTransaction());
  }

  /** Resolves once every committed write is on disk. */
  async flushed(): Promise<void> {
    await this.writeTail;
    // A flush that was waiting for writes may find the store closed (closing syncs everything).
    if (this.closed) return;
    if (this.unsyncedWrites) {
      this.unsyncedWrites = false;
      const sync = new Promise<void>((resolve, reject) => (this.root as unknown as { sync(callback: (error?: Error) => void): void }).sync((error) => (error ? reject(error) : resolve())));
      this.pendingSync = sync.catch(() => undefined);
      await sync;
    }
    await this.root.flushed;
  }

  /** Waits for queued writes, then closes the environment. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.writeTail;
    this.closed = true;
    // Never close the environment under a sync in flight (LMDB would touch freed memory).
    await this.pendingSync;
    await this.root.close();
  }

  /**
   * @internal Runs a synchronous point read of a snapshot. lmdb-js point reads (`get`) use the
   * thread's open write transaction whenever there is one, ignoring their `transaction` option; a
   * write may await (a streamed load, a snapshot install), so a snapshot read in the meantime would
   * see its uncommitted writes. Hiding that transaction for the read makes lmdb use the snapshot's.
   * (Range reads honour the option already.)
   */
  readIsolated<T>(read: () => T): T {
    const writeTxn = this.environment.writeTxn;
    if (!writeTxn) return read();
    this.environment.writeTxn = undefined;
    try {
      return read();
    } finally {
      this.environment.writeTxn = writeTxn;
    }
  }

  /** @internal */ indexDb(index: IndexSpec): Database<Buffer, Buffer> {
    return this.indexDbs.get(index)!;
  }
  /** @internal Keys read through this handle are IdQuads (quadKeyReader); bounds are Buffers. */
  scanDb(index: IndexSpec): Database<Buffer, Buffer> {
    return this.scanDbs.get(index)!;
  }
  /** @internal */ graphCountDb(): Database<number, number> {
    return this.graphCounts;
  }
  /** @internal */ predicateCountDb(): Database<number, number> {
    return this.predicateCounts;
  }
  /** @internal */ metaDb(): Database {
    return this.meta;
  }
  /** @internal Every database, keys and values as stored bytes, in a fixed order. */
  rawDatabases(): ReadonlyMap<string, Database<Buffer, Buffer>> {
    return this.rawDbs;
  }
  /** @internal The names of the databases the environment holds, as of `transaction`. */
  environmentDatabaseNames(transaction: Transaction): string[] {
    return [...this.root.getKeys({ transaction })].map(String);
  }
}

/** A read transaction: everything read through it is one committed state. */
export class Snapshot {
  private released = false;
  private readonly dictionaryRead: DictionaryRead;

  constructor(
    private readonly store: QuadStore,
    readonly transaction: Transaction,
  ) {
    this.dictionaryRead = { transaction, generation: store.dictionary.readGeneration() };
  }

  /** Quads matching the pattern, as id tuples, in the chosen index's order. */
  match(pattern: IdPattern, scope: GraphScope = 'all'): Iterable<IdQuad> {
    assert(!this.released, 'snapshot used after release');
    const scopes = scopesOf(pattern, scope);
    // One index: its lmdb iterable as it is (a generator around it would cost a frame per quad).
    if (scopes.length === 1) return this.scan(pattern, scopes[0]);
    return concat(scopes.map((indexScope) => this.scan(pattern, indexScope)));
  }

  private scan(pattern: IdPattern, scope: 'default' | 'named'): Iterable<IdQuad> {
    const bound = boundPositions(pattern, scope);
    const { index, prefixLength } = chooseIndex(bound, scope);
    const range = prefixRange(index, bound, prefixLength);
    return this.store.scanDb(index).getKeys({ start: range.start ?? LOWEST_KEY, end: range.end, transaction: this.transaction }) as Iterable<unknown> as Iterable<IdQuad>;
  }

  /**
   * Cardinality estimate for the planner: exact counts from the statistics when only the
   * predicate (or nothing) is bound, else the matches counted up to `cap`.
   */
  estimate(pattern: IdPattern, cap: number): number {
    const { subject, predicate, object } = pattern;
    if (subject === undefined && object === undefined) {
      if (predicate !== undefined) return this.predicateQuadCount(predicate);
      if (pattern.graph !== undefined) return this.graphQuadCount(pattern.graph);
    }
    let count = 0;
    for (const _ of this.match(pattern)) if (++count >= cap) break;
    return count;
  }

  namedGraphIds(): number[] {
    return [...this.store.graphCountDb().getKeys({ start: 1, transaction: this.transaction })] as number[];
  }

  /** Whether the exact quad is stored. */
  has(quad: IdQuad): boolean {
    const index = quad[3] === DEFAULT_GRAPH_ID ? DEFAULT_INDEXES[0] : NAMED_INDEXES[0];
    const key = encodeKey(index, quad, Buffer.allocUnsafe(index.keyBytes));
    return this.store.readIsolated(() => this.store.indexDb(index).get(key, { transaction: this.transaction })) !== undefined;
  }

  lookup(term: TermKey): number | undefined {
    return this.store.readIsolated(() => this.store.dictionary.lookup(term, this.dictionaryRead));
  }

  decode(id: number): TermKey {
    return this.store.readIsolated(() => this.store.dictionary.decode(id, this.dictionaryRead));
  }

  /** Named graphs that exist (possibly empty), with their quad counts. */
  *namedGraphs(): Generator<{ id: number; quads: number }> {
    for (const { key, value } of this.store.graphCountDb().getRange({ start: 1, transaction: this.transaction })) {
      yield { id: key, quads: value };
    }
  }

  graphExists(graphId: number): boolean {
    return graphId === DEFAULT_GRAPH_ID || this.store.readIsolated(() => this.store.graphCountDb().get(graphId, { transaction: this.transaction })) !== undefined;
  }

  graphQuadCount(graphId: number): number {
    return this.store.readIsolated(() => this.store.graphCountDb().get(graphId, { transaction: this.transaction })) ?? 0;
  }

  /** Application metadata (see StoreWriter.putMeta); undefined if absent. */
  getMeta(key: string): unknown {
    const metaKey = appMetaKey(key);
    return this.store.readIsolated(() => this.store.metaDb().get(metaKey, { transaction: this.transaction }));
  }

  /** Application metadata keys starting with `prefix`, sorted. */
  metaKeys(prefix: string): string[] {
    return appMetaKeys(this.store.metaDb(), prefix, this.transaction);
  }

  /** How many quads (in any graph) have this predicate: a planner statistic. */
  predicateQuadCount(predicateId: number): number {
    return this.store.readIsolated(() => this.store.predicateCountDb().get(predicateId, { transaction: this.transaction })) ?? 0;
  }

  statistics(): StoreStatistics {
    let quads = 0;
    let namedGraphs = 0;
    for (const { key, value } of this.store.graphCountDb().getRange({ transaction: this.transaction })) {
      quads += value;
      if (key !== DEFAULT_GRAPH_ID) namedGraphs++;
    }
    const indexEntries: Record<string, number> = {};
    for (const index of INDEXES) indexEntries[index.name] = (this.store.indexDb(index).getStats() as { entryCount: number }).entryCount;
    return { quads, namedGraphs, indexEntries };
  }

  /** @internal The name of every database of the environment (checked against the store's list). */
  rawDatabaseNames(): string[] {
    assert(!this.released, 'snapshot used after release');
    const known = [...this.store.rawDatabases().keys()];
    const present = this.store.environmentDatabaseNames(this.transaction).sort();
    assert(present.join() === [...known].sort().join(), `the environment holds databases [${present}], the store knows [${known}]`);
    return known;
  }

  /** @internal Every record of one database, as stored bytes, in key order, at this snapshot. */
  rawRecords(database: string): Iterable<{ key: Buffer; value: Buffer }> {
    assert(!this.released, 'snapshot used after release');
    const db = this.store.rawDatabases().get(database);
    assert(db !== undefined, `no database ${database}`);
    return db.getRange({ transaction: this.transaction });
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.transaction.done();
  }
}

/**
 * The handle a write transaction's body gets. Inserts are buffered and written sorted per index
 * (B-tree inserts in key order touch far fewer pages); any other operation flushes them first so
 * the body always sees its own writes in order.
 */
export class StoreWriter {
  private batch: Float64Array;
  private batchLength = 0;
  private readonly graphDeltas = new Map<number, number>();
  private readonly predicateDeltas = new Map<number, number>();
  private readonly createdGraphs = new Set<number>();
  /** Quads that were not already present, over the whole transaction. */
  insertedQuads = 0;
  removedQuads = 0;

  constructor(
    private readonly store: QuadStore,
    readonly dictionary: Dictionary,
    private readonly batchQuads: number,
  ) {
    this.batch = new Float64Array(Math.min(batchQuads, 1024) * 4);
  }

  encode(term: TermKey): number {
    return this.dictionary.encode(term);
  }

  lookup(term: TermKey): number | undefined {
    return this.dictionary.lookup(term);
  }

  decode(id: number): TermKey {
    return this.dictionary.decode(id);
  }

  estimate(pattern: IdPattern, cap: number): number {
    this.flush();
    let count = 0;
    for (const scope of scopesOf(pattern, 'all')) {
      const bound = boundPositions(pattern, scope);
      const { index, prefixLength } = chooseIndex(bound, scope);
      for (const _ of this.store.indexDb(index).getKeys({ ...prefixRange(index, bound, prefixLength), snapshot: false, limit: cap - count })) count++;
      if (count >= cap) break;
    }
    return count;
  }

  /**
   * A label prefix no earlier call used, in this or any committed transaction: payload blank nodes
   * become fresh nodes under it. Each call advances the persisted epoch, so several payloads applied
   * in one transaction get distinct labels; the same calls on the same state give the same prefixes.
   */
  freshBlankNodePrefix(): string {
    const meta = this.store.metaDb();
    const epoch = ((meta.get(BLANK_EPOCH_KEY) as number | undefined) ?? 0) + 1;
    meta.putSync(BLANK_EPOCH_KEY, epoch);
    return `b${epoch.toString(36)}_`;
  }

  /** Application metadata as of this transaction's writes so far; undefined if absent. */
  getMeta(key: string): unknown {
    return this.store.metaDb().get(appMetaKey(key));
  }

  /**
   * Stores application metadata, atomically with the transaction's data. `value` is anything
   * msgpack encodes (JSON-like values, Dates, typed arrays); undefined is refused: use removeMeta.
   */
  putMeta(key: string, value: unknown): void {
    assert(value !== undefined, 'metadata value is undefined (use removeMeta)');
    this.store.metaDb().putSync(appMetaKey(key), value);
  }

  removeMeta(key: string): void {
    this.store.metaDb().removeSync(appMetaKey(key));
  }

  /** Application metadata keys starting with `prefix`, sorted, including this transaction's writes. */
  metaKeys(prefix: string): string[] {
    return appMetaKeys(this.store.metaDb(), prefix, undefined);
  }

  /** Buffers one quad (ids); duplicates and already stored quads are ignored when written. */
  insert(subject: number, predicate: number, object: number, graph: number): void {
    if (this.batchLength * 4 === this.batch.length) {
      if (this.batchLength >= this.batchQuads) this.flush();
      else {
        const grown = new Float64Array(Math.min(this.batch.length * 2, this.batchQuads * 4));
        grown.set(this.batch);
        this.batch = grown;
      }
    }
    const at = this.batchLength * 4;
    this.batch[at] = subject;
    this.batch[at + 1] = predicate;
    this.batch[at + 2] = object;
    this.batch[at + 3] = graph;
    this.batchLength++;
  }

  insertTerms(subject: TermKey, predicate: TermKey, object: TermKey, graph: TermKey | undefined): void {
    this.insert(this.encode(subject), this.encode(predicate), this.encode(object), graph === undefined ? DEFAULT_GRAPH_ID : this.encode(graph));
  }

  /** Removes one quad; returns whether it was there. */
  remove(quad: IdQuad): boolean {
    this.flush();
    const indexes = quad[3] === DEFAULT_GRAPH_ID ? DEFAULT_INDEXES : NAMED_INDEXES;
    const first = indexes[0];
    const key = encodeKey(first, quad, Buffer.allocUnsafe(first.keyBytes));
    if (this.store.indexDb(first).get(key) === undefined) return false;
    for (const index of indexes) this.store.indexDb(index).removeSync(encodeKey(index, quad, Buffer.allocUnsafe(index.keyBytes)));
    this.count(quad[1], quad[3], -1);
    this.removedQuads++;
    return true;
  }

  /** Quads matching a pattern, as committed plus this transaction's writes so far. */
  *match(pattern: IdPattern, scope: GraphScope = 'all'): Generator<IdQuad> {
    this.flush();
    for (const indexScope of scopesOf(pattern, scope)) {
      const bound = boundPositions(pattern, indexScope);
      const { index, prefixLength } = chooseIndex(bound, indexScope);
      // Collected first: the caller may remove what it is iterating over.
      const keys = [...this.store.indexDb(index).getKeys({ ...prefixRange(index, bound, prefixLength), snapshot: false })];
      for (const key of keys) yield decodeKey(index, key as Buffer) as IdQuad;
    }
  }

  /** Removes every quad of a graph; the graph keeps existing. */
  clearGraph(graphId: number): number {
    let removed = 0;
    for (const quad of [...this.match({ graph: graphId })]) if (this.remove(quad)) removed++;
    return removed;
  }

  /** Creates an empty named graph if it does not exist. Returns whether it was created. */
  createGraph(graphId: number): boolean {
    if (graphId === DEFAULT_GRAPH_ID || this.graphExists(graphId)) return false;
    this.createdGraphs.add(graphId);
    this.store.graphCountDb().putSync(graphId, 0);
    return true;
  }

  /** Removes a named graph and its quads. Returns whether it existed. */
  dropGraph(graphId: number): boolean {
    const existed = this.graphExists(graphId);
    this.clearGraph(graphId);
    if (graphId !== DEFAULT_GRAPH_ID && existed) {
      this.flushCounts();
      this.store.graphCountDb().removeSync(graphId);
    }
    return existed;
  }

  /** Ids of every named graph that exists, including ones this transaction created. */
  namedGraphIds(): number[] {
    this.flush();
    this.flushCounts();
    return [...this.store.graphCountDb().getKeys({ start: 1, snapshot: false })] as number[];
  }

  graphExists(graphId: number): boolean {
    if (graphId === DEFAULT_GRAPH_ID) return true;
    this.flush();
    return this.store.graphCountDb().get(graphId) !== undefined || (this.graphDeltas.get(graphId) ?? 0) > 0;
  }

  /** Flushes buffered inserts and counts; the store calls it before commit. */
  finish(): void {
    this.flush();
    this.flushCounts();
  }

  private count(predicate: number, graph: number, delta: number): void {
    this.graphDeltas.set(graph, (this.graphDeltas.get(graph) ?? 0) + delta);
    this.predicateDeltas.set(predicate, (this.predicateDeltas.get(predicate) ?? 0) + delta);
  }

  private flushCounts(): void {
    const graphs = this.store.graphCountDb();
    for (const [graph, delta] of this.graphDeltas) {
      const current = graphs.get(graph);
      if (delta === 0 && (current !== undefined || graph !== DEFAULT_GRAPH_ID)) continue;
      const next = (current ?? 0) + delta;
      assert(next >= 0, `graph ${graph} count went negative`);
      graphs.putSync(graph, next);
    }
    this.graphDeltas.clear();
    const predicates = this.store.predicateCountDb();
    for (const [predicate, delta] of this.predicateDeltas) {
      if (delta === 0) continue;
      const next = (predicates.get(predicate) ?? 0) + delta;
      assert(next >= 0, `predicate ${predicate} count went negative`);
      if (next === 0) predicates.removeSync(predicate);
      else predicates.putSync(predicate, next);
    }
    this.predicateDeltas.clear();
  }

  /** Writes the buffered quads: each index in its own key order. */
  private flush(): void {
    const n = this.batchLength;
    if (n === 0) return;
    this.batchLength = 0;
    const quads = this.batch;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    // Default-graph and named-graph quads go to different index sets.
    const defaultQuads: number[] = [];
    const namedQuads: number[] = [];
    for (let i = 0; i < n; i++) (quads[i * 4 + 3] === DEFAULT_GRAPH_ID ? defaultQuads : namedQuads).push(i);
    for (const [indexes, members] of [[DEFAULT_INDEXES, defaultQuads], [NAMED_INDEXES, namedQuads]] as const) {
      if (members.length === 0) continue;
      let selected = Uint32Array.from(members);
      indexes.forEach((index, position) => {
        sortByIndex(selected, quads, index);
        const db = this.store.indexDb(index);
        const key = Buffer.allocUnsafe(index.keyBytes);
        const quad = new Float64Array(4);
        if (position === 0) {
          // The first index decides which quads are new; only those go to the others.
          const fresh: number[] = [];
          for (const i of selected) {
            quad.set(quads.subarray(i * 4, i * 4 + 4));
            // putSync returns whether it wrote (false: the key was there); the typings say void.
            if ((db.putSync(encodeKey(index, quad, key), EMPTY, { noOverwrite: true }) as unknown) === true) {
              fresh.push(i);
              this.count(quad[1], quad[3], 1);
            }
          }
          this.insertedQuads += fresh.length;
          selected = Uint32Array.from(fresh);
        } else {
          for (const i of selected) {
            quad.set(quads.subarray(i * 4, i * 4 + 4));
            db.putSync(encodeKey(index, quad, key), EMPTY);
          }
        }
      });
    }
  }
}

/** Which index sets a pattern reads: the default-graph triples, the named-graph quads, or both. */
function* concat<T>(parts: Array<Iterable<T>>): Generator<T> {
  for (const part of parts) yield* part;
}

function scopesOf(pattern: IdPattern, scope: GraphScope): Array<'default' | 'named'> {
  const graph = pattern.graph;
  const scopes: Array<'default' | 'named'> = [];
  if (graph === DEFAULT_GRAPH_ID || (graph === undefined && scope === 'all')) scopes.push('default');
  if (graph !== DEFAULT_GRAPH_ID) scopes.push('named');
  return scopes;
}

function sortByIndex(selected: Uint32Array, quads: Float64Array, index: IndexSpec): void {
  const [a, b, c, d] = index.order;
  if (d === undefined) {
    selected.sort((x, y) => quads[x * 4 + a] - quads[y * 4 + a] || quads[x * 4 + b] - quads[y * 4 + b] || quads[x * 4 + c] - quads[y * 4 + c]);
  } else {
    selected.sort(
      (x, y) =>
        quads[x * 4 + a] - quads[y * 4 + a] ||
        quads[x * 4 + b] - quads[y * 4 + b] ||
        quads[x * 4 + c] - quads[y * 4 + c] ||
        quads[x * 4 + d] - quads[y * 4 + d],
    );
  }
}
