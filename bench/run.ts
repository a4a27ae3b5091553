/**
 * `npm run bench [-- --only PART] [-- --triples N]`: runs every benchmark part in turn and
 * prints each part's side-by-side table. Parts live one per file in this folder.
 */
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Dataset size for parts that generate one. */
  triples: number;
  /** Folder for generated data and stores. */
  workDir: string;
}

interface BenchPart {
  name: string;
  run(options: BenchOptions): Promise<void>;
}

const PARTS: Array<() => Promise<BenchPart>> = [
  async () => ({ name: 'store', run: (await import('./store.ts')).runStoreBench }),
  async () => ({ name: 'sparql', run: (await import('./sparql.ts')).runSparqlBench }),
  async () => ({ name: 'health', run: (await import('./health-under-load.ts')).runHealthUnderLoadBench }),
  async () => ({ name: 'bounded-memory', run: (await import('./bounded-memory.ts')).runBoundedMemoryBench }),
  async () => ({ name: 'raft-core', run: (await import('./raft-core.ts')).runRaftCoreBench }),
  async () => ({ name: 'cluster', run: (await import('./cluster.ts')).runClusterBench }),
  async () => ({ name: 'backup', run: (await import('./backup.ts')).runBackupBench }),
];

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    triples: { type: 'string', default: '1000000' },
    'work-dir': { type: 'string', default: 'bench/out' },
  },
});

const options: BenchOptions = { triples: Number(values.triples), workDir: values['work-dir']! };
for (const load of PARTS) {
  const part = await load();
  if (values.only && !values.only.includes(part.name)) continue;
  console.log(`\n== ${part.name} ==`);
  await part.run(options);
}
