// INSERT DATA / DELETE DATA applied as concrete quads must leave the store exactly as running
// the update text does (the cluster logs the quads instead of the text).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuadStore } from '../store/quad-store.ts';
import { datasetHash } from '../store/dataset-hash.ts';
import { applyDataOperations, dataOperations, executeUpdate, prepareUpdate } from './update-engine.ts';

const UPDATES = [
  'INSERT DATA { <urn:a> <urn:p> "x" . <urn:a> <urn:p> "y"@en . GRAPH <urn:g> { <urn:a> <urn:q> 1 } }',
  'PREFIX ex: <http://ex.org/> INSERT DATA { ex:b ex:p "2"^^<http://www.w3.org/2001/XMLSchema#integer> } ; DELETE DATA { <urn:a> <urn:p> "x" }',
  'DELETE DATA { GRAPH <urn:g> { <urn:a> <urn:q> 1 } . <urn:none> <urn:p> "absent" }',
  'INSERT DATA { <urn:a> <urn:p> "y"@en }',
];

test('data operations leave the same quads as the update text, with the same counts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-data-ops-'));
  const byText = QuadStore.open({ path: join(dir, 'text') });
  const byData = QuadStore.open({ path: join(dir, 'data') });
  try {
    for (const text of UPDATES) {
      const update = prepareUpdate(text);
      const operations = dataOperations(update);
      assert.ok(operations, text);
      const expected = await executeUpdate(byText, update, { now: new Date(0) });
      const actual = await byData.write((writer) => applyDataOperations(writer, operations));
      assert.deepEqual([actual.insertedQuads, actual.removedQuads], [expected.insertedQuads, expected.removedQuads], text);
    }
    const [a, b] = [byText, byData].map((store) => {
      const snapshot = store.snapshot();
      try {
        return datasetHash(snapshot);
      } finally {
        snapshot.release();
      }
    });
    assert.deepEqual(b, a);
    assert.equal(a.quads, 2);
  } finally {
    await byText.close();
    await byData.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('updates that need evaluation or fresh blank nodes are not data operations', () => {
  for (const text of ['INSERT DATA { _:b <urn:p> 1 }', 'INSERT { <urn:a> <urn:p> ?o } WHERE { ?s ?p ?o }', 'CLEAR ALL', 'DELETE WHERE { ?s <urn:p> ?o }']) {
    assert.equal(dataOperations(prepareUpdate(text)), undefined, text);
  }
});
