// Replicas replay the same update requests on the same store state and must end with the same
// bytes (ARCHITECTURE.md, deterministic apply): fresh blank nodes, RAND(), UUID(), STRUUID() and
// BNODE() included, with NOW() supplied by the caller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuadStore } from '../store/quad-store.ts';
import { prepareUpdate, executeUpdate } from './update-engine.ts';

const REQUESTS = [
  'PREFIX e: <http://e/> INSERT DATA { e:a e:p [ e:q 1 ] , _:x . _:x e:r "x" . GRAPH e:g { e:a e:p 2 } }',
  'PREFIX e: <http://e/> INSERT { ?s e:rand ?r ; e:uuid ?u ; e:struuid ?su ; e:node ?b ; e:fresh [ e:at ?now ] } WHERE { ?s e:p ?o BIND(RAND() AS ?r) BIND(UUID() AS ?u) BIND(STRUUID() AS ?su) BIND(BNODE() AS ?b) BIND(NOW() AS ?now) }',
  'PREFIX e: <http://e/> DELETE { ?s e:p ?o } INSERT { ?s e:moved ?o ; e:copy [ e:of ?o ] } WHERE { ?s e:p ?o FILTER(isBlank(?o) || ?o = 2) }',
  'PREFIX e: <http://e/> COPY e:g TO e:h ; ADD DEFAULT TO e:h ; MOVE e:h TO e:k',
];

async function replay(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-replica-'));
  const store = QuadStore.open({ path: dir });
  try {
    for (const text of REQUESTS) await executeUpdate(store, prepareUpdate(text), { now: new Date('2026-11-29T12:00:00Z') });
    const snapshot = store.snapshot();
    const lines: string[] = [];
    for (const [s, p, o, g] of snapshot.match({})) lines.push(`${snapshot.decode(s)} ${snapshot.decode(p)} ${snapshot.decode(o)} ${g === 0 ? '' : snapshot.decode(g)}`);
    snapshot.release();
    return lines.join('\n');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the same update requests on the same state give byte-identical stores', async () => {
  const first = await replay();
  const second = await replay();
  assert.ok(first.split('\n').length > 15, first);
  assert.match(first, /e\/rand> "\d\.\d+E-?\d+"\^\^/);
  assert.match(first, /urn:uuid:[0-9a-f-]{36}/);
  assert.equal(second, first);
});
