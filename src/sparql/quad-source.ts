/**
 * The one interface the SPARQL evaluator reads through: match a quad pattern of ids at one
 * consistent state, estimate a pattern's cardinality, and map terms to ids and back. A store
 * snapshot implements it for queries, the write transaction for updates (so each operation of a
 * request sees the ones before it), and later a remote shard or a scatter-gather of shards.
 */
import type { IdPattern } from '../store/indexes.ts';
import type { GraphScope, IdQuad } from '../store/quad-store.ts';
import type { TermKey } from '../rdf/term-key.ts';

export interface QuadSource {
  match(pattern: IdPattern, scope?: GraphScope): Iterable<IdQuad>;
  /** Matching quads, counted up to `cap` (a cheap, exact-when-small estimate). */
  estimate(pattern: IdPattern, cap: number): number;
  lookup(term: TermKey): number | undefined;
  decode(id: number): TermKey;
  /** Ids of the named graphs that exist. */
  namedGraphIds(): number[];
}
