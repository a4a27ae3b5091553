/**
 * Child process of the store benchmark: loads an N-Triples file into Oxigraph's WASM build
 * (in memory), then runs the same pattern scans as ours, and prints one JSON line of results.
 */
import { readFileSync } from 'node:fs';
import oxigraph from 'oxigraph';
import { peakRssBytes } from './peak-rss.ts';
import { SCAN_PATTERNS } from './scan-patterns.ts';

const [file] = process.argv.slice(2);
const started = performance.now();
const store = new oxigraph.Store();
store.load(readFileSync(file, 'utf8'), { format: 'application/n-triples' });
const loadSeconds = (performance.now() - started) / 1000;

const scans: Record<string, { quads: number; seconds: number }> = {};
for (const pattern of SCAN_PATTERNS) {
  const term = (iri: string | undefined) => (iri ? oxigraph.namedNode(iri) : null);
  const t0 = performance.now();
  let quads = 0;
  for (let round = 0; round < pattern.rounds; round++) {
    for (const quad of store.match(term(pattern.subject), term(pattern.predicate), term(pattern.object), null)) {
      // Touch the terms as a client would.
      if (quad.object.value.length < 0) throw new Error('unreachable');
      quads++;
    }
  }
  scans[pattern.name] = { quads, seconds: (performance.now() - t0) / 1000 };
}
process.stdout.write(JSON.stringify({ loadSeconds, size: store.size, scans, peakRssBytes: peakRssBytes() }) + '\n');
