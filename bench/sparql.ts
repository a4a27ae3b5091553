/**
 * SPARQL benchmark, side by side with Oxigraph's WASM build on the same generated dataset, in one
 * run: a mix of star joins, a chain, OPTIONAL, FILTER, aggregates, ORDER BY + LIMIT and property
 * paths. Both engines run in process on data already loaded (our store on disk through LMDB,
 * Oxigraph in memory); each query's time is the median of several runs, after two untimed
 * warm-up runs, that decode every result term. Results are checked equal (numbers compared by value, since Oxigraph does not keep
 * lexical forms). Reports the ratio per query and the geometric mean over the mix.
 */
import { createReadStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import oxigraph from 'oxigraph';
import { QuadStore } from '../src/store/quad-store.ts';
import { loadRdf } from '../src/store/rdf-loader.ts';
import { prepareQuery, executeQuery } from '../src/sparql/query-engine.ts';
import { plainTermToKey, type Term } from '../src/rdf/term-key.ts';
import { generateDataset } from './dataset.ts';
import type { BenchOptions } from './run.ts';

const WARMUP_RUNS = 2;
const PREFIX = 'PREFIX ex: <http://example.org/> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> ';

export const SPARQL_MIX: Array<{ name: string; query: string; runs: number }> = [
  { name: 'star join', runs: 5, query: `${PREFIX}SELECT ?p ?name ?age WHERE { ?p a ex:Person ; ex:name ?name ; ex:age ?age ; ex:worksFor <http://example.org/org/42> }` },
  { name: 'chain', runs: 5, query: `${PREFIX}SELECT ?b ?c ?org WHERE { <http://example.org/person/1000> ex:knows ?b . ?b ex:knows ?c . ?c ex:worksFor ?org }` },
  { name: 'optional', runs: 5, query: `${PREFIX}SELECT ?p ?e WHERE { ?p ex:worksFor <http://example.org/org/7> OPTIONAL { ?p ex:email ?e FILTER(STRSTARTS(?e, "person1")) } }` },
  { name: 'filter range', runs: 3, query: `${PREFIX}SELECT ?p ?age WHERE { ?p ex:age ?age FILTER(?age > 80 && ?age < 83) }` },
  { name: 'aggregate', runs: 3, query: `${PREFIX}SELECT ?org (COUNT(?p) AS ?n) (SUM(?age) AS ?total) WHERE { ?p ex:worksFor ?org ; ex:age ?age } GROUP BY ?org ORDER BY DESC(?n) ?org LIMIT 10` },
  { name: 'order by + limit', runs: 3, query: `${PREFIX}SELECT ?p ?score WHERE { ?p ex:score ?score } ORDER BY DESC(?score) ?p LIMIT 10` },
  { name: 'path sequence', runs: 5, query: `${PREFIX}SELECT DISTINCT ?x WHERE { <http://example.org/person/5> ex:knows/ex:knows/ex:knows ?x }` },
  { name: 'path closure', runs: 3, query: `${PREFIX}SELECT (COUNT(*) AS ?n) WHERE { <http://example.org/person/5> ex:knows+ ?x }` },
];

/** A result row in a form both engines agree on: numeric literals by value. */
function rowKey(row: Map<string, Term>): string {
  return [...row.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, term]) => {
      if (term.termType === 'Literal' && /#(integer|decimal|double|float)$/.test(term.datatype)) return `${name}=${Number(term.value)}`;
      return `${name}=${plainTermToKey(term)}`;
    })
    .join(' ');
}

function fromOxigraph(term: { termType: string; value: string; language?: string; datatype?: { value: string } }): Term {
  if (term.termType === 'NamedNode') return { termType: 'NamedNode', value: term.value };
  if (term.termType === 'BlankNode') return { termType: 'BlankNode', value: term.value };
  return { termType: 'Literal', value: term.value, language: term.language ?? '', datatype: term.datatype!.value };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function runSparqlBench(options: BenchOptions): Promise<void> {
  mkdirSync(options.workDir, { recursive: true });
  const file = join(options.workDir, `dataset-${options.triples}.nt`);
  const triples = await generateDataset(file, options.triples);
  const dir = join(options.workDir, 'sparql-bench-store');
  rmSync(dir, { recursive: true, force: true });
  const store = QuadStore.open({ path: dir });
  await loadRdf(store, createReadStream(file, { highWaterMark: 1 << 20 }), { format: 'n-triples', target: { kind: 'graph', graph: undefined }, replace: false });
  const peer = new oxigraph.Store();
  peer.load(readFileSync(file, 'utf8'), { format: 'application/n-triples' });
  console.log(`dataset: ${triples} triples, loaded into both engines`);

  const rows: string[][] = [];
  const logRatios: number[] = [];
  for (const { name, query, runs } of SPARQL_MIX) {
    const prepared = prepareQuery(query);
    const ourTimes: number[] = [];
    const peerTimes: number[] = [];
    let ours: string[] = [];
    let theirs: string[] = [];
    // The first runs warm up V8's JIT (ours) and caches (both); they are not timed.
    for (let run = -WARMUP_RUNS; run < runs; run++) {
      const snapshot = store.snapshot();
      let started = performance.now();
      const result = executeQuery(prepared, snapshot);
      if (result.form !== 'SELECT') throw new Error('the mix has SELECT queries only');
      ours = [...result.solutions].map(rowKey);
      if (run >= 0) ourTimes.push(performance.now() - started);
      snapshot.release();
      started = performance.now();
      const peerRows = peer.query(query) as Array<Map<string, never>>;
      theirs = peerRows.map((row) => rowKey(new Map([...row.entries()].map(([k, v]) => [k, fromOxigraph(v)]))));
      if (run >= 0) peerTimes.push(performance.now() - started);
    }
    const ordered = /ORDER BY/.test(query);
    const same = ordered ? ours.join('\n') === theirs.join('\n') : [...ours].sort().join('\n') === [...theirs].sort().join('\n');
    if (!same) throw new Error(`${name}: results differ (ours ${ours.length} rows, Oxigraph ${theirs.length})\nours: ${ours.slice(0, 3).join(' | ')}\ntheirs: ${theirs.slice(0, 3).join(' | ')}`);
    const ourMs = median(ourTimes);
    const peerMs = median(peerTimes);
    logRatios.push(Math.log(peerMs / ourMs));
    rows.push([name, String(ours.length), ourMs.toFixed(1), peerMs.toFixed(1), (peerMs / ourMs).toFixed(2)]);
  }
  const overall = Math.exp(logRatios.reduce((a, b) => a + b, 0) / logRatios.length);
  const header = ['query', 'rows', 'oxirs-cluster ms', 'oxigraph ms', 'ratio'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log(`overall (geometric mean of ratios): ${overall.toFixed(2)}  (> 1: oxirs-cluster is faster; results identical)`);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
