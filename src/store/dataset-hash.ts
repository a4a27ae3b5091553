/**
 * An order-independent fingerprint of the quads in a snapshot, to check that replicas converged:
 * the sum, modulo 2^256, of the SHA-256 of each quad's canonical N-Quads line (`s p o g .\n`, or
 * `s p o .\n` in the default graph, terms written as their store keys). It depends only on the set
 * of quads, not on term ids or index order, so stores that assigned different ids to the same
 * terms hash equal. Addition (not XOR) means a quad counted twice does not cancel out.
 *
 * What it does not cover: empty named graphs (they hold no quad), application metadata, and
 * dictionary entries no quad uses. Blank node labels are part of the text: replicas apply the
 * same labels, so equal data has equal labels.
 */
import * as crypto from 'node:crypto';
import { DEFAULT_GRAPH_ID } from './indexes.ts';
import type { Snapshot } from './quad-store.ts';

/** The sum is kept in 8 limbs of 32 bits, most significant first, each a float64 with headroom. */
const LIMBS = 8;
const LIMB = 2 ** 32;
/** Quads added between carries: each limb stays below 2^32 * 2^20 < 2^53, exact in a float64. */
const QUADS_PER_CARRY = 2 ** 20;

// crypto.hash (Node >= 20.12) skips the Hash object; createHash is the fallback.
const sha256: (text: string) => Buffer =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'buffer') : (text) => crypto.createHash('sha256').update(text).digest();

export function datasetHash(snapshot: Snapshot): { quads: number; hash: string } {
  const steps = datasetHashSteps(snapshot, Infinity);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The same hash computed in steps of `quadsPerStep` quads: the generator pauses after each, so a
 * caller on the event loop (an online backup) can yield between steps and never stall requests.
 */
export function* datasetHashSteps(snapshot: Snapshot, quadsPerStep: number): Generator<void, { quads: number; hash: string }> {
  const sum = new Float64Array(LIMBS);
  let quads = 0;
  // The scan is subject-major, and predicates and graphs are few: remembering them saves most
  // dictionary reads (objects, mostly distinct, are decoded each time).
  let lastSubject = -1;
  let subjectText = '';
  const suffixes = new BoundedMemo<string>();
  const predicates = new BoundedMemo<string>();
  for (const [subject, predicate, object, graph] of snapshot.match({})) {
    if (subject !== lastSubject) {
      lastSubject = subject;
      subjectText = snapshot.decode(subject);
    }
    const predicateText = predicates.get(predicate, () => snapshot.decode(predicate));
    const suffix = suffixes.get(graph, () => (graph === DEFAULT_GRAPH_ID ? ' .\n' : ` ${snapshot.decode(graph)} .\n`));
    const digest = sha256(`${subjectText} ${predicateText} ${snapshot.decode(object)}${suffix}`);
    for (let limb = 0; limb < LIMBS; limb++) sum[limb] += digest.readUInt32BE(limb * 4);
    if (++quads % QUADS_PER_CARRY === 0) carry(sum);
    if (quads % quadsPerStep === 0) yield;
  }
  carry(sum);
  let hex = '';
  for (let limb = 0; limb < LIMBS; limb++) hex += sum[limb].toString(16).padStart(8, '0');
  return { quads, hash: hex };
}

/** Brings every limb below 2^32, carrying upwards; what carries out of the top is dropped (mod 2^256). */
function carry(sum: Float64Array): void {
  let carried = 0;
  for (let limb = LIMBS - 1; limb >= 0; limb--) {
    const value = sum[limb] + carried;
    carried = Math.floor(value / LIMB);
    sum[limb] = value - carried * LIMB;
  }
}

/** id -> text, forgetting everything when full (the dictionary's own cache does the same). */
class BoundedMemo<T> {
  private static readonly ENTRIES = 4096;
  private readonly entries = new Map<number, T>();

  get(id: number, compute: () => T): T {
    let value = this.entries.get(id);
    if (value === undefined) {
      if (this.entries.size >= BoundedMemo.ENTRIES) this.entries.clear();
      value = compute();
      this.entries.set(id, value);
    }
    return value;
  }
}
