// The CLI as a user runs it: bad arguments exit 2 with a one-line reason; `load` streams files
// of every format (and .gz) into a running node; a malformed file reports line and column.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startNode, stopNode, killAllNodes, runCli, type NodeProcess } from './node-process.ts';

let dir: string;
let node: NodeProcess;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oxirs-cli-'));
  node = await startNode(join(dir, 'data'), await freePort());
});
after(async () => {
  // If before() failed midway, some of these are undefined: whatever started is killed anyway.
  try {
    await stopNode(node);
  } finally {
    killAllNodes();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad arguments and config exit with code 2 and a reason', async () => {
  const badPort = await runCli(['start', '--http', 'nonsense']);
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /--http must be HOST:PORT/);
  const unknown = await runCli(['frobnicate']);
  assert.equal(unknown.code, 2);
  const missingAuth = await runCli(['start', '--auth', join(dir, 'missing.json'), '--http', '127.0.0.1:1']);
  assert.equal(missingAuth.code, 2);
  assert.match(missingAuth.stderr, /cannot read auth file/);
  const badFormat = await runCli(['load', '--endpoint', node.url, join(dir, 'x.csv')]);
  assert.equal(badFormat.code, 2);
});

test('load streams N-Triples, gzipped N-Quads, Turtle and TriG', async () => {
  writeFileSync(join(dir, 'a.nt'), '<http://e/a> <http://e/p> "1" .\n<http://e/a> <http://e/p> "2" .\n');
  writeFileSync(join(dir, 'b.nq.gz'), gzipSync('<http://e/b> <http://e/p> "3" <http://e/g1> .\n'));
  writeFileSync(join(dir, 'c.ttl'), '@prefix e: <http://e/> . e:c e:p "4", "5" .');
  writeFileSync(join(dir, 'd.trig'), '@prefix e: <http://e/> . e:g2 { e:d e:p "6" }');
  const result = await runCli(['load', '--endpoint', node.url, ...['a.nt', 'b.nq.gz', 'c.ttl', 'd.trig'].map((f) => join(dir, f))]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /a\.nt: 2 quads/);
  assert.match(result.stderr, /d\.trig: 1 quads/);
  const dump = await (await fetch(`${node.url}/data`)).text();
  for (const expected of ['"1"', '"2"', '"3" <http://e/g1>', '"4"', '"5"', '"6" <http://e/g2>']) assert.ok(dump.includes(expected), `missing ${expected} in\n${dump}`);
  const intoGraph = await runCli(['load', '--endpoint', node.url, '--graph', 'http://e/g3', join(dir, 'a.nt')]);
  assert.equal(intoGraph.code, 0, intoGraph.stderr);
  const graph = await (await fetch(`${node.url}/data?graph=${encodeURIComponent('http://e/g3')}`, { headers: { accept: 'application/n-triples' } })).text();
  assert.equal(graph.split('\n').filter(Boolean).length, 2);
});

test('a malformed file fails with line and column and loads nothing', async () => {
  writeFileSync(join(dir, 'bad.nt'), '<http://e/x> <http://e/p> "ok" .\n<http://e/x> <http://e/p> oops .\n');
  const result = await runCli(['load', '--endpoint', node.url, join(dir, 'bad.nt')]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /line 2, column 27/);
  const dump = await (await fetch(`${node.url}/data`)).text();
  assert.ok(!dump.includes('http://e/x'));
});
