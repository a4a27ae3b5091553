/**
 * Child process of the store benchmark: opens our store (after the server stopped) and runs the
 * pattern scans, decoding every term as a client would; prints one JSON line of results.
 */
import { QuadStore } from '../src/store/quad-store.ts';
import { iriKey } from '../src/rdf/term-key.ts';
import { peakRssBytes } from './peak-rss.ts';
import { SCAN_PATTERNS } from './scan-patterns.ts';

const [path] = process.argv.slice(2);
const store = QuadStore.open({ path });
const snapshot = store.snapshot();
const scans: Record<string, { quads: number; seconds: number }> = {};
const id = (iri: string | undefined) => (iri ? snapshot.lookup(iriKey(iri)) : undefined);
for (const pattern of SCAN_PATTERNS) {
  const query = { subject: id(pattern.subject), predicate: id(pattern.predicate), object: id(pattern.object) };
  const t0 = performance.now();
  let quads = 0;
  for (let round = 0; round < pattern.rounds; round++) {
    for (const [s, p, o] of snapshot.match(query)) {
      if (snapshot.decode(s).length + snapshot.decode(p).length + snapshot.decode(o).length < 0) throw new Error('unreachable');
      quads++;
    }
  }
  scans[pattern.name] = { quads, seconds: (performance.now() - t0) / 1000 };
}
snapshot.release();
await store.close();
process.stdout.write(JSON.stringify({ scans, peakRssBytes: peakRssBytes() }) + '\n');
