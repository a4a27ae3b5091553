// Black-box tests of the Graph Store HTTP Protocol through app.inject() (no socket).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { QuadStore } from '../store/quad-store.ts';
import { buildApp } from './app.ts';
import { openOneNode } from '../../test/support/one-node.ts';

interface Ctx {
  app: FastifyInstance;
  store: QuadStore;
}

async function withApp(body: (ctx: Ctx) => Promise<void>, storeOptions: { insertBatchQuads?: number } = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-gsp-'));
  const { store, node, close } = await openOneNode(dir, storeOptions);
  const { app } = buildApp({ node });
  try {
    await body({ app, store });
  } finally {
    await app.close();
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const NT = 'application/n-triples';
const NQ = 'application/n-quads';
const TTL = 'text/turtle';
const TRIG = 'application/trig';
const G1 = 'http://ex.org/graph/1';
const g = (iri: string) => `/data?graph=${encodeURIComponent(iri)}`;

function load(app: FastifyInstance, method: 'PUT' | 'POST', url: string, contentType: string, payload: string | Buffer | Readable, headers: Record<string, string> = {}) {
  return app.inject({ method, url, headers: { 'content-type': contentType, ...headers }, payload });
}

async function dataset(app: FastifyInstance): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/data' });
  assert.equal(res.statusCode, 200);
  return res.body;
}

function assertError(res: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json() as { error: Record<string, unknown> };
  assert.equal(body.error.code, code, res.body);
  assert.equal(typeof body.error.message, 'string');
  return body.error;
}

function sortedLines(text: string): string[] {
  return text.split('\n').filter(Boolean).sort();
}

const T1 = '<http://ex.org/s> <http://ex.org/p> "one" .\n';
const T2 = '<http://ex.org/s> <http://ex.org/p> "two" .\n';

test('PUT creates a named graph (201), replaces it (204); GET returns only the new content', async () => {
  await withApp(async ({ app }) => {
    const created = await load(app, 'PUT', g(G1), NT, T1);
    assert.equal(created.statusCode, 201);
    assert.equal(created.headers['x-quads-parsed'], '1');
    assert.equal(created.headers['x-quads-inserted'], '1');
    assert.equal(created.body, '');
    const replaced = await load(app, 'PUT', g(G1), NT, T2);
    assert.equal(replaced.statusCode, 204);
    const res = await app.inject({ method: 'GET', url: g(G1), headers: { accept: NT } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], NT);
    assert.equal(res.body, T2);
  });
});

test('POST creates (201) then adds (204); duplicates are not inserted twice', async () => {
  await withApp(async ({ app }) => {
    assert.equal((await load(app, 'POST', g(G1), NT, T1)).statusCode, 201);
    const again = await load(app, 'POST', g(G1), NT, T1 + T2);
    assert.equal(again.statusCode, 204);
    assert.equal(again.headers['x-quads-parsed'], '2');
    assert.equal(again.headers['x-quads-inserted'], '1');
    const res = await app.inject({ method: 'GET', url: g(G1), headers: { accept: NT } });
    assert.deepEqual(sortedLines(res.body), sortedLines(T1 + T2));
  });
});

test('the default graph: PUT/POST answer 204, GET returns it, DELETE clears it (204, also when empty)', async () => {
  await withApp(async ({ app }) => {
    assert.equal((await load(app, 'PUT', '/data?default', NT, T1)).statusCode, 204);
    assert.equal((await load(app, 'POST', '/data?default', NT, T2)).statusCode, 204);
    await load(app, 'PUT', g(G1), NT, T1);
    const res = await app.inject({ method: 'GET', url: '/data?default', headers: { accept: NT } });
    assert.deepEqual(sortedLines(res.body), sortedLines(T1 + T2), 'the default graph is not the union');
    assert.equal((await app.inject({ method: 'DELETE', url: '/data?default' })).statusCode, 204);
    assert.equal((await app.inject({ method: 'GET', url: '/data?default', headers: { accept: NT } })).body, '');
    assert.equal((await app.inject({ method: 'DELETE', url: '/data?default' })).statusCode, 204);
    assert.equal((await app.inject({ method: 'GET', url: g(G1), headers: { accept: NT } })).body, T1, 'named graphs untouched');
  });
});

test('GET, HEAD and DELETE of a missing graph answer 404 graph_not_found; DELETE of an existing one 204', async () => {
  await withApp(async ({ app }) => {
    assertError(await app.inject({ method: 'GET', url: g(G1) }), 404, 'graph_not_found');
    const head = await app.inject({ method: 'HEAD', url: g(G1) });
    assert.equal(head.statusCode, 404);
    assert.equal(head.body, '');
    assertError(await app.inject({ method: 'DELETE', url: g(G1) }), 404, 'graph_not_found');
    await load(app, 'PUT', g(G1), NT, T1);
    assert.equal((await app.inject({ method: 'DELETE', url: g(G1) })).statusCode, 204);
    assertError(await app.inject({ method: 'GET', url: g(G1) }), 404, 'graph_not_found');
    assertError(await app.inject({ method: 'DELETE', url: g(G1) }), 404, 'graph_not_found');
  });
});

test('an IRI used only as a term is not a graph; a dropped graph can be created again (201)', async () => {
  await withApp(async ({ app }) => {
    await load(app, 'PUT', '/data?default', NT, `<${G1}> <http://ex.org/p> <${G1}> .\n`);
    assertError(await app.inject({ method: 'GET', url: g(G1) }), 404, 'graph_not_found');
    assertError(await app.inject({ method: 'DELETE', url: g(G1) }), 404, 'graph_not_found');
    assert.equal((await load(app, 'PUT', g(G1), NT, T1)).statusCode, 201);
    assert.equal((await app.inject({ method: 'DELETE', url: g(G1) })).statusCode, 204);
    assert.equal((await load(app, 'POST', g(G1), NT, T2)).statusCode, 201);
    assert.equal((await app.inject({ method: 'GET', url: g(G1), headers: { accept: NT } })).body, T2);
  });
});

test('an empty PUT creates an empty graph that exists', async () => {
  await withApp(async ({ app }) => {
    assert.equal((await load(app, 'PUT', g(G1), TTL, '')).statusCode, 201);
    const res = await app.inject({ method: 'GET', url: g(G1), headers: { accept: NT } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, '');
  });
});

test('HEAD answers like GET without a body', async () => {
  await withApp(async ({ app }) => {
    await load(app, 'PUT', g(G1), NT, T1);
    await load(app, 'PUT', '/data?default', NT, T2);
    for (const url of [g(G1), '/data?default', '/data']) {
      const get = await app.inject({ method: 'GET', url });
      const head = await app.inject({ method: 'HEAD', url });
      assert.equal(head.statusCode, 200, url);
      assert.equal(head.headers['content-type'], get.headers['content-type'], url);
      assert.equal(head.body, '', url);
      assert.ok(get.body.length > 0, url);
    }
    const refused = await app.inject({ method: 'HEAD', url: g(G1), headers: { accept: 'application/json' } });
    assert.equal(refused.statusCode, 406);
    assert.equal(refused.body, '');
  });
});

test('content negotiation: Turtle by default for a graph, N-Quads for the dataset, 406 when nothing fits', async () => {
  await withApp(async ({ app }) => {
    await load(app, 'PUT', g(G1), NT, T1);
    await load(app, 'PUT', '/data?default', NT, T2);
    const turtle = await app.inject({ method: 'GET', url: g(G1) });
    assert.equal(turtle.headers['content-type'], 'text/turtle; charset=utf-8');
    assert.match(turtle.body, /<http:\/\/ex\.org\/s> <http:\/\/ex\.org\/p> "one"/);
    const all = await app.inject({ method: 'GET', url: '/data' });
    assert.equal(all.headers['content-type'], NQ);
    assert.deepEqual(sortedLines(all.body), sortedLines(T2 + T1.replace(' .\n', ` <${G1}> .\n`)));
    const cases: Array<[string, string, string]> = [
      [g(G1), 'application/n-triples', NT],
      [g(G1), 'application/n-quads', NQ],
      [g(G1), 'application/trig;q=0.9, text/turtle;q=0.1', TRIG],
      [g(G1), 'application/*', NT],
      [g(G1), 'text/*, */*;q=0.1', 'text/turtle; charset=utf-8'],
      ['/data', 'application/trig', TRIG],
      ['/data', 'text/turtle;q=1, application/trig;q=0.5', TRIG],
      ['/data?default', 'application/n-triples', NT],
    ];
    for (const [url, accept, type] of cases) {
      const res = await app.inject({ method: 'GET', url, headers: { accept } });
      assert.equal(res.statusCode, 200, `${url} ${accept}`);
      assert.equal(res.headers['content-type'], type, `${url} ${accept}`);
    }
    for (const [url, accept] of [[g(G1), 'application/json'], ['/data', 'text/turtle'], ['/data', 'application/n-triples'], ['/data?default', 'text/turtle;q=0, application/sparql-results+json']]) {
      const error = assertError(await app.inject({ method: 'GET', url, headers: { accept } }), 406, 'not_acceptable');
      assert.match(String(error.message), /Acceptable here/);
    }
  });
});

test('every format loads, and what GET returns loads back to the same dataset', async () => {
  await withApp(async ({ app }) => {
    const trig = `@prefix ex: <http://ex.org/> .\nex:a ex:p "d", 1 .\n<${G1}> { ex:a ex:p "é😀"@EN, "01"^^<http://www.w3.org/2001/XMLSchema#integer> . }\n`;
    assert.equal((await load(app, 'PUT', '/data', TRIG, trig)).statusCode, 204);
    const before = await dataset(app);
    assert.equal(sortedLines(before).length, 4);
    assert.match(before, /"é😀"@en/);
    assert.match(before, /"01"\^\^<http:\/\/www\.w3\.org\/2001\/XMLSchema#integer>/);
    for (const type of [NQ, TRIG]) {
      const text = (await app.inject({ method: 'GET', url: '/data', headers: { accept: type } })).body;
      assert.equal((await load(app, 'PUT', '/data', type, text)).statusCode, 204, type);
      assert.equal(await dataset(app), before, type);
    }
    for (const type of [NT, TTL]) {
      const text = (await app.inject({ method: 'GET', url: g(G1), headers: { accept: type } })).body;
      assert.equal((await load(app, 'PUT', g(G1), type, text)).statusCode, 204, type);
      assert.equal(await dataset(app), before, type);
    }
  });
});

test(
  'what GET of a named graph returns, in every offered format, can be PUT back to that graph',
  async () => {
    await withApp(async ({ app }) => {
      await load(app, 'PUT', g(G1), NT, T1 + T2);
      const before = await dataset(app);
      for (const type of [TTL, NT, NQ, TRIG]) {
        const text = (await app.inject({ method: 'GET', url: g(G1), headers: { accept: type } })).body;
        const res = await load(app, 'PUT', g(G1), type, text);
        assert.equal(res.statusCode, 204, `${type}: ${res.body}`);
        assert.equal(await dataset(app), before, type);
      }
    });
  },
);

test('415 unsupported_media_type for an unknown or missing Content-Type and an unknown Content-Encoding', async () => {
  await withApp(async ({ app }) => {
    await load(app, 'PUT', '/data?default', NT, T1);
    const before = await dataset(app);
    for (const type of ['application/json', 'text/html', 'application/ld+json', 'application/sparql-update']) {
      const res = await load(app, 'PUT', '/data?default', type, T2);
      assertError(res, 415, 'unsupported_media_type');
      assert.equal(res.headers.connection, 'close');
    }
    assertError(await app.inject({ method: 'POST', url: '/data?default', payload: T2 }), 415, 'unsupported_media_type');
    assertError(await load(app, 'PUT', '/data?default', NT, T2, { 'content-encoding': 'br' }), 415, 'unsupported_media_type');
    assert.equal(await dataset(app), before);
  });
});

test('gzip Content-Encoding bodies are gunzipped', async () => {
  await withApp(async ({ app }) => {
    const res = await load(app, 'PUT', g(G1), NT, gzipSync(T1 + T2), { 'content-encoding': 'gzip' });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.headers['x-quads-parsed'], '2');
    const turtle = gzipSync(Buffer.from('@prefix ex: <http://ex.org/> . ex:s ex:p "three" .'));
    assert.equal((await load(app, 'POST', g(G1), TTL, turtle, { 'content-encoding': 'x-gzip' })).statusCode, 204);
    assert.equal((await load(app, 'POST', g(G1), NT, gzipSync(''), { 'content-encoding': 'GZIP' })).statusCode, 204);
    const body = (await app.inject({ method: 'GET', url: g(G1), headers: { accept: NT } })).body;
    assert.deepEqual(sortedLines(body), sortedLines(T1 + T2 + '<http://ex.org/s> <http://ex.org/p> "three" .\n'));
  });
});

test('a corrupt or truncated gzip body answers 400 bad_request and the server keeps running', () => {
  // Run in a child process: today the bug takes down the process that serves the request (it
  // then hangs, so the child is killed after the timeout).
  const script = `
    import { mkdtempSync, rmSync } from 'node:fs';
    import { tmpdir } from 'node:os';
    import { join } from 'node:path';
    import { gzipSync } from 'node:zlib';
    import { openOneNode } from ${JSON.stringify(new URL('../../test/support/one-node.ts', import.meta.url).pathname)};
    import { buildApp } from ${JSON.stringify(new URL('./app.ts', import.meta.url).pathname)};
    const dir = mkdtempSync(join(tmpdir(), 'oxirs-gzip-'));
    const { node, close } = await openOneNode(dir);
    const { app } = buildApp({ node });
    const out = [];
    const valid = gzipSync('<http://ex.org/s> <http://ex.org/p> "x" .\\n');
    for (const payload of [Buffer.from('this is not gzip'), valid.subarray(0, valid.length - 6)]) {
      const res = await app.inject({ method: 'PUT', url: '/data?default', headers: { 'content-type': 'application/n-triples', 'content-encoding': 'gzip' }, payload });
      out.push([res.statusCode, res.json().error?.code]);
    }
    out.push([(await app.inject({ method: 'GET', url: '/data' })).body]);
    await app.close();
    await close();
    rmSync(dir, { recursive: true, force: true });
    console.log(JSON.stringify(out));
  `;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 12_000, killSignal: 'SIGKILL', cwd: new URL('../..', import.meta.url).pathname });
  assert.equal(child.status, 0, `child failed: ${child.stderr.slice(0, 600)}`);
  assert.deepEqual(JSON.parse(child.stdout.trim().split('\n').pop()!), [[400, 'bad_request'], [400, 'bad_request'], ['']]);
});

test('blank nodes of each payload become fresh nodes: two loads of one payload give two copies', async () => {
  await withApp(async ({ app }) => {
    const payload = '_:x <http://ex.org/p> _:y .\n_:y <http://ex.org/p> "leaf" .\n';
    await load(app, 'POST', '/data?default', NT, payload);
    await load(app, 'POST', '/data?default', NT, payload);
    await load(app, 'POST', '/data?default', TTL, '_:x <http://ex.org/p> _:y . _:y <http://ex.org/p> "leaf" .');
    const lines = sortedLines((await app.inject({ method: 'GET', url: '/data?default', headers: { accept: NT } })).body);
    assert.equal(lines.length, 6);
    const labels = new Set(lines.flatMap((line) => line.match(/_:\S+/g) ?? []));
    assert.equal(labels.size, 6, [...labels].join(' '));
    // Within one payload, a label still names one node.
    const leafSubjects = lines.filter((line) => line.endsWith('"leaf" .')).map((line) => line.split(' ')[0]);
    const linkObjects = lines.filter((line) => !line.endsWith('"leaf" .')).map((line) => line.split(' ')[2]);
    assert.deepEqual(leafSubjects.sort(), linkObjects.sort());
  });
});

interface Malformed {
  name: string;
  url: string;
  type: string;
  payload: string;
  line: number;
  column: number;
}

const MALFORMED: Malformed[] = [
  { name: 'N-Triples, missing dot on line 3', url: '/data?default', type: NT, payload: `${T2}# comment\n<http://ex.org/s> <http://ex.org/p> "three"\n${T1}`, line: 3, column: 44 },
  { name: 'N-Triples, relative IRI', url: g(G1), type: NT, payload: `${T2}<s> <http://ex.org/p> "x" .\n`, line: 2, column: 2 },
  { name: 'N-Triples, bad escape after CRLF lines', url: g(G1), type: NT, payload: `${T2.replace('\n', '\r\n')}${T1.replace('\n', '\r\n')}<http://ex.org/s> <http://ex.org/p> "a\\zb" .\r\n`, line: 3, column: 39 },
  { name: 'N-Quads, literal as graph name', url: '/data', type: NQ, payload: `${T1}<http://ex.org/s> <http://ex.org/p> <http://ex.org/o> "g" .\n`, line: 2, column: 55 },
  { name: 'N-Quads, unterminated IRI', url: '/data', type: NQ, payload: `<http://ex.org/s> <http://ex.org/p> <http://ex.org/o> <http://ex.org/g .\n`, line: 1, column: 55 },
  { name: 'Turtle, undefined prefix', url: g(G1), type: TTL, payload: '@prefix ex: <http://ex.org/> .\nex:s ex:p "x" .\n  nope:s ex:p "y" .\n', line: 3, column: 3 },
  { name: 'Turtle, unterminated string', url: '/data?default', type: TTL, payload: '@prefix ex: <http://ex.org/> .\nex:s ex:p "x" ;\n     ex:q "y .\n', line: 3, column: 11 },
  { name: 'Turtle, missing punctuation', url: '/data?default', type: TTL, payload: '<http://ex.org/s> <http://ex.org/p> "x" .\n<http://ex.org/s> <http://ex.org/p> "y" "z" .\n', line: 2, column: 41 },
  { name: 'TriG, unclosed graph', url: '/data', type: TRIG, payload: '<http://ex.org/g> { <http://ex.org/s> <http://ex.org/p> "x" .\n', line: 2, column: 1 },
];

test('malformed N-Triples, N-Quads, Turtle and TriG answer 400 rdf_syntax with line and column and change nothing', async () => {
  await withApp(async ({ app }) => {
    await load(app, 'PUT', '/data', NQ, `${T1}<http://ex.org/s> <http://ex.org/p> "kept" <${G1}> .\n`);
    const before = await dataset(app);
    assert.equal(sortedLines(before).length, 2);
    for (const { name, url, type, payload, line, column } of MALFORMED) {
      for (const method of ['PUT', 'POST'] as const) {
        const res = await load(app, method, url, type, payload);
        const error = assertError(res, 400, 'rdf_syntax');
        assert.deepEqual([error.line, error.column], [line, column], `${method} ${name}: ${error.message}`);
        assert.equal(await dataset(app), before, `${method} ${name} changed the store`);
      }
    }
  });
});

test('a bad @prefix IRI in Turtle answers 400 rdf_syntax, not 500', async () => {
  await withApp(async ({ app }) => {
    await load(app, 'PUT', '/data?default', NT, T1);
    const before = await dataset(app);
    for (const [url, type] of [['/data?default', TTL], ['/data', TRIG]]) {
      const res = await load(app, 'PUT', url, type, '@prefix ex: <h?tp://ex.org/> .\nex:s ex:p "x" .\n');
      assertError(res, 400, 'rdf_syntax');
      assert.equal(await dataset(app), before);
    }
  });
});

test('a truncated RDF/XML payload answers 400 rdf_syntax and changes nothing', async () => {
  await withApp(async ({ app }) => {
    await load(app, 'PUT', '/data?default', NT, T1);
    const before = await dataset(app);
    const rdfxml = '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://ex.org/">\n<rdf:Description rdf:about="http://ex.org/s"><ex:p>x</ex:p></rdf:Description>\n<rdf:Description rdf:about="http://ex.org/t"><ex:p>y</ex:p>';
    assertError(await load(app, 'POST', '/data?default', 'application/rdf+xml', rdfxml), 400, 'rdf_syntax');
    assert.equal(await dataset(app), before);
  });
});

test('a failed PUT does not clear the graph it would replace, nor create a missing one', async () => {
  await withApp(async ({ app }) => {
    await load(app, 'PUT', g(G1), NT, T1 + T2);
    await load(app, 'PUT', '/data?default', NT, T2);
    const before = await dataset(app);
    assertError(await load(app, 'PUT', g(G1), NT, `${T1}garbage\n`), 400, 'rdf_syntax');
    assertError(await load(app, 'PUT', '/data?default', TTL, '<http://ex.org/s> <http://ex.org/p> .'), 400, 'rdf_syntax');
    assertError(await load(app, 'PUT', '/data', NQ, `${T1}<http://ex.org/s>\n`), 400, 'rdf_syntax');
    assert.equal(await dataset(app), before);
    assert.equal((await app.inject({ method: 'GET', url: g(G1), headers: { accept: NT } })).statusCode, 200);
    assertError(await load(app, 'PUT', g('http://ex.org/new'), NT, 'junk'), 400, 'rdf_syntax');
    assertError(await app.inject({ method: 'GET', url: g('http://ex.org/new') }), 404, 'graph_not_found');
  });
});

test('an error deep in a payload rolls back quads already flushed to the indexes; streamed bodies load', async () => {
  await withApp(
    async ({ app }) => {
      await load(app, 'PUT', '/data?default', NT, T1);
      const before = await dataset(app);
      const good = Array.from({ length: 500 }, (_, i) => `<http://ex.org/s${i}> <http://ex.org/p> "${i}" .\n`).join('');
      // (A stream payload that the handler stops reading makes inject() itself reject with an
      // AbortError, a light-my-request artefact, so the failing body is one buffer; with
      // insertBatchQuads 16 the writer has flushed many batches before the error.)
      const res = await load(app, 'PUT', '/data?default', NT, `${good}<http://ex.org/s> <http://ex.org/p> "bad\n`);
      const error = assertError(res, 400, 'rdf_syntax');
      assert.deepEqual([error.line, error.column], [501, 37]);
      assert.equal(await dataset(app), before);
      const ok = await load(app, 'POST', '/data?default', NT, Readable.from([Buffer.from(good.slice(0, 3)), Buffer.from(good.slice(3))]));
      assert.equal(ok.statusCode, 204);
      assert.equal(ok.headers['x-quads-inserted'], '500');
    },
    { insertBatchQuads: 16 },
  );
});

test('quads in a named graph sent to one graph answer 400 triples_only and change nothing', async () => {
  await withApp(async ({ app }) => {
    await load(app, 'PUT', g(G1), NT, T1);
    const before = await dataset(app);
    const nquads = `${T2}<http://ex.org/s> <http://ex.org/p> "x" <http://ex.org/other> .\n`;
    assertError(await load(app, 'PUT', g(G1), NQ, nquads), 400, 'triples_only');
    assertError(await load(app, 'POST', '/data?default', NQ, nquads), 400, 'triples_only');
    assertError(await load(app, 'PUT', g(G1), TRIG, '<http://ex.org/g> { <http://ex.org/s> <http://ex.org/p> "x" . }'), 400, 'triples_only');
    assert.equal(await dataset(app), before);
    // N-Quads or TriG with only default-graph quads are fine for a single graph.
    assert.equal((await load(app, 'POST', g(G1), NQ, T2)).statusCode, 204);
    assert.equal((await load(app, 'POST', g(G1), TRIG, '{ <http://ex.org/s> <http://ex.org/p> "y" . }')).statusCode, 204);
  });
});

test('a payload that is not UTF-8 answers 400 bad_request and changes nothing', async () => {
  await withApp(async ({ app }) => {
    await load(app, 'PUT', '/data?default', NT, T1);
    const before = await dataset(app);
    const bad = Buffer.concat([Buffer.from(T2), Buffer.from('<http://ex.org/s> <http://ex.org/p> "'), Buffer.from([0xc3, 0x28]), Buffer.from('" .\n')]);
    assertError(await load(app, 'POST', '/data?default', NT, bad), 400, 'bad_request');
    assert.equal(await dataset(app), before);
  });
});

test('graph selection errors: bad IRI, both or repeated parameters, DELETE without a graph', async () => {
  await withApp(async ({ app }) => {
    assertError(await app.inject({ method: 'GET', url: '/data?graph=relative' }), 400, 'invalid_graph_iri');
    assertError(await app.inject({ method: 'GET', url: '/data?graph=' }), 400, 'invalid_graph_iri');
    assertError(await app.inject({ method: 'GET', url: `/data?graph=${encodeURIComponent('http://ex.org/a b')}` }), 400, 'invalid_graph_iri');
    assertError(await load(app, 'PUT', '/data?graph=%3Cx%3E', NT, T1), 400, 'invalid_graph_iri');
    assertError(await app.inject({ method: 'GET', url: `/data?default&graph=${encodeURIComponent(G1)}` }), 400, 'missing_graph_parameter');
    assertError(await app.inject({ method: 'GET', url: `${g(G1)}&graph=${encodeURIComponent(G1)}` }), 400, 'missing_graph_parameter');
    assertError(await app.inject({ method: 'DELETE', url: '/data' }), 400, 'missing_graph_parameter');
    assert.equal(await dataset(app), '');
  });
});

test('a method the Graph Store does not support answers 405 method_not_allowed', async () => {
  await withApp(async ({ app }) => {
    assertError(await app.inject({ method: 'PATCH', url: '/data?default', headers: { 'content-type': NT }, payload: T1 }), 405, 'method_not_allowed');
  });
});
