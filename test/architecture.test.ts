// Keeps the import direction of ../shared/docs/ARCHITECTURE.md: a layer never imports a layer
// above it. Each layer lists the layers it may import (besides itself).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const SRC = resolve(dirname(new URL(import.meta.url).pathname), '..', 'src');
const TEST_DIR = resolve(dirname(new URL(import.meta.url).pathname));

const MAY_IMPORT: Record<string, string[]> = {
  util: [],
  rdf: ['util'],
  raft: ['util'],
  store: ['rdf', 'util'],
  sparql: ['store', 'rdf', 'util'],
  cluster: ['raft', 'sparql', 'store', 'rdf', 'util'],
  ops: ['cluster', 'raft', 'sparql', 'store', 'rdf', 'util'],
  server: ['ops', 'cluster', 'raft', 'sparql', 'store', 'rdf', 'util'],
  cli: ['server', 'ops', 'cluster', 'raft', 'sparql', 'store', 'rdf', 'util'],
};

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Relative import specifiers of a TypeScript file (static and dynamic). */
export function relativeImports(source: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const match of source.matchAll(pattern)) found.push(match[1]);
  return found;
}

test('every src/ folder is a known layer', () => {
  for (const name of readdirSync(SRC)) {
    if (statSync(join(SRC, name)).isDirectory()) assert.ok(name in MAY_IMPORT, `unknown layer src/${name}`);
  }
});

test('no layer imports a layer above it', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const layer = relative(SRC, file).split('/')[0];
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const resolved = resolve(dirname(file), spec);
      // Tests may use the shared test support (test/support, test/e2e helpers); code may not.
      if (file.endsWith('.test.ts') && resolved.startsWith(TEST_DIR)) continue;
      const target = relative(SRC, resolved).split('/')[0];
      if (target === layer) continue;
      if (!MAY_IMPORT[layer]?.includes(target)) violations.push(`${relative(SRC, file)} imports ${spec} (${target})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the import scanner sees static, type-only and dynamic imports', () => {
  const src = `import { a } from '../store/x.ts';\nimport type { B } from "../cli/y.ts";\nconst m = await import('../server/z.ts');\nimport '../ops/side.ts';`;
  assert.deepEqual(relativeImports(src), ['../store/x.ts', '../cli/y.ts', '../server/z.ts', '../ops/side.ts']);
});
