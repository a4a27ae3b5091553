/**
 * The term dictionary: canonical term key <-> integer id, in two LMDB databases. Ids are handed
 * out in order from a counter stored with the data, so new terms append to the id->term table.
 * Keys longer than an LMDB key may be are keyed by their SHA-256 (marked by a leading `#`, which
 * no term key starts with). The dictionary only grows: a term no quad uses any more keeps its id.
 *
 * Writes happen inside the store's write transaction. Ids given out by a transaction that aborts
 * are handed out again, so an abort clears the cache. (A reader may meanwhile get an id of a term
 * whose transaction has not committed: no quad in its snapshot has that id, so it matches nothing.)
 *
 * Installing a whole-store snapshot is the one write after which an id may name another term. Each
 * install starts a new cache generation: a read transaction may use the caches only if it was
 * opened in the current generation, outside an install; older readers go to the database.
 */
import { createHash } from 'node:crypto';
import type { Database, RootDatabase, Transaction } from 'lmdb';
import { ID_BYTES, MAX_ID, writeId, readId } from './indexes.ts';
import { assert } from '../util/assert.ts';
import type { TermKey } from '../rdf/term-key.ts';

const MAX_INLINE_KEY_BYTES = 480;
const NEXT_ID_KEY = 'nextTermId';

/** The names of the dictionary's databases in the store's environment. */
export const DICTIONARY_DATABASES = ['term-to-id', 'id-to-term'] as const;

/** A read at a snapshot: its transaction and the cache generation it was opened in (none: no caching). */
export interface DictionaryRead {
  transaction: Transaction;
  generation: number | undefined;
}

export class Dictionary {
  private readonly termToId: Database<Buffer, Buffer>;
  private readonly idToTerm: Database<Buffer, Buffer>;
  /** Committed term -> id, bounded: cleared when full (ids never change, so any entry is valid). */
  private readonly cache = new Map<TermKey, number>();
  private readonly decodeCache = new Map<number, TermKey>();
  private committedNextId: number;
  private nextId: number;
  /** Bumped by every installed snapshot; while one is being installed, `replacing` is set. */
  private generation = 0;
  private replacing = false;

  constructor(
    root: RootDatabase,
    private readonly meta: Database,
    private readonly cacheEntries: number,
  ) {
    this.termToId = root.openDB({ name: DICTIONARY_DATABASES[0], keyEncoding: 'binary', encoding: 'binary' });
    this.idToTerm = root.openDB({ name: DICTIONARY_DATABASES[1], keyEncoding: 'binary', encoding: 'binary' });
    // Id 0 is the default graph; terms start at 1.
    this.committedNextId = (meta.get(NEXT_ID_KEY) as number | undefined) ?? 1;
    this.nextId = this.committedNextId;
  }

  private static dictionaryKey(term: TermKey): Buffer {
    const bytes = Buffer.from(term, 'utf8');
    if (bytes.length <= MAX_INLINE_KEY_BYTES) return bytes;
    return Buffer.concat([Buffer.from('#'), createHash('sha256').update(bytes).digest()]);
  }

  /** The generation a read transaction opened now belongs to (undefined during an install). */
  readGeneration(): number | undefined {
    return this.replacing ? undefined : this.generation;
  }

  /** Whether the caches hold what this read sees (no read: the open write transaction). */
  private cachesServe(read: DictionaryRead | undefined): boolean {
    return read === undefined || (!this.replacing && read.generation === this.generation);
  }

  /** The id of a term at the given snapshot (or in the open write transaction), if it has one. */
  lookup(term: TermKey, read?: DictionaryRead): number | undefined {
    const cacheable = this.cachesServe(read);
    if (cacheable) {
      const cached = this.cache.get(term);
      if (cached !== undefined) return cached;
    }
    const value = this.termToId.get(Dictionary.dictionaryKey(term), read ? { transaction: read.transaction } : undefined);
    if (value === undefined) return undefined;
    const id = readId(value, 0);
    if (cacheable) this.remember(term, id);
    return id;
  }

  /** The id of a term, creating it. Only inside the store's write transaction. */
  encode(term: TermKey): number {
    let id = this.cache.get(term);
    if (id !== undefined) return id;
    const key = Dictionary.dictionaryKey(term);
    const value = this.termToId.get(key);
    if (value !== undefined) {
      id = readId(value, 0);
      this.remember(term, id);
      return id;
    }
    id = this.nextId++;
    assert(id <= MAX_ID, 'term id space exhausted');
    const idBytes = Buffer.allocUnsafe(ID_BYTES);
    writeId(idBytes, 0, id);
    this.termToId.putSync(key, idBytes);
    this.idToTerm.putSync(idBytes, Buffer.from(term, 'utf8'), { append: true });
    this.remember(term, id);
    return id;
  }

  /** The term of an id, read at a snapshot. Ids come from the store, so a missing one is corruption. */
  decode(id: number, read?: DictionaryRead): TermKey {
    const cacheable = this.cachesServe(read);
    if (cacheable) {
      const cached = this.decodeCache.get(id);
      if (cached !== undefined) return cached;
    }
    const key = Buffer.allocUnsafe(ID_BYTES);
    writeId(key, 0, id);
    const value = this.idToTerm.get(key, read ? { transaction: read.transaction } : undefined);
    assert(value !== undefined, `term id ${id} has no term: the store is corrupt`);
    const term = value.toString('utf8');
    if (cacheable) {
      if (this.decodeCache.size >= this.cacheEntries) this.decodeCache.clear();
      this.decodeCache.set(id, term);
    }
    return term;
  }

  /** Called inside the write transaction before it commits: persists the id counter. */
  beforeCommit(): void {
    if (this.nextId !== this.committedNextId) this.meta.putSync(NEXT_ID_KEY, this.nextId);
  }

  afterCommit(): void {
    this.committedNextId = this.nextId;
  }

  afterAbort(): void {
    this.nextId = this.committedNextId;
    this.replacing = false;
    this.cache.clear();
    this.decodeCache.clear();
  }

  /** A snapshot install starts: from now until it ends, snapshots bypass the caches. */
  beginReplace(): void {
    this.replacing = true;
  }

  /** Inside the install's transaction, after its records are written: the installed id counter. */
  installedNextId(): number {
    return (this.meta.get(NEXT_ID_KEY) as number | undefined) ?? 1;
  }

  /** The install committed: ids now mean the installed terms. */
  afterReplace(nextId: number): void {
    this.committedNextId = nextId;
    this.nextId = nextId;
    this.cache.clear();
    this.decodeCache.clear();
    this.generation++;
    this.replacing = false;
  }

  private remember(term: TermKey, id: number): void {
    if (this.cache.size >= this.cacheEntries) this.cache.clear();
    this.cache.set(term, id);
  }
}
