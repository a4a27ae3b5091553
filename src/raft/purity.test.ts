// The consensus core must stay pure (ARCHITECTURE.md): no timers, clock, randomness, I/O or
// async. Every file in src/raft is scanned except those listed as I/O-side below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const RAFT_DIR = dirname(new URL(import.meta.url).pathname);
/**
 * Paths (relative to src/raft) beside the core that may do I/O: the durable log and the peer
 * transport, each in its own folder. Everything else in src/raft is the core.
 */
const IO_SIDE_PREFIXES: string[] = ['wal/', 'transport/'];

function coreFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const rel = relative(RAFT_DIR, path) + (statSync(path).isDirectory() ? '/' : '');
    if (IO_SIDE_PREFIXES.some((prefix) => rel.startsWith(prefix))) continue;
    if (statSync(path).isDirectory()) coreFiles(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(rel);
  }
  return out;
}

const FORBIDDEN: Array<[RegExp, string]> = [
  [/from\s+['"]node:/, 'node: import'],
  [/import\s*\(\s*['"]node:/, 'node: dynamic import'],
  [/require\s*\(/, 'require'],
  [/\bDate\b/, 'Date'],
  [/Math\.random/, 'Math.random'],
  [/\bset(Timeout|Interval|Immediate)\b/, 'timer'],
  [/\bperformance\b/, 'performance'],
  [/\bprocess\b/, 'process'],
  [/\basync\b/, 'async'],
  [/\bawait\b/, 'await'],
  [/\bPromise\b/, 'Promise'],
  [/\bqueueMicrotask\b/, 'queueMicrotask'],
];

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"])\/\/.*$/gm, '$1');
}

test('the raft core imports no timers, clock, randomness, I/O or async', () => {
  const files = coreFiles(RAFT_DIR);
  assert.ok(files.length >= 10, `expected the core files, found ${files.join(', ')}`);
  const violations: string[] = [];
  for (const file of files) {
    const source = stripComments(readFileSync(join(RAFT_DIR, file), 'utf8'));
    for (const [pattern, what] of FORBIDDEN) if (pattern.test(source)) violations.push(`${file}: ${what}`);
    for (const match of source.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
      const spec = match[1];
      if (!spec.startsWith('./') && !spec.startsWith('../util/')) violations.push(`${file}: imports ${spec}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the purity scan catches what it should', () => {
  const bad = "import { readFileSync } from 'node:fs';\nconst t = Date.now(); setTimeout(() => {}, 1); async function f() { await Promise.resolve(); }";
  const found = FORBIDDEN.filter(([p]) => p.test(stripComments(bad))).map(([, w]) => w);
  for (const w of ['node: import', 'Date', 'timer', 'async', 'await', 'Promise']) assert.ok(found.includes(w), w);
  assert.equal(FORBIDDEN.filter(([p]) => p.test(stripComments('// Date and Promise in a comment'))).length, 0);
});
