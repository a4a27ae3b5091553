/**
 * Turns a query result into text pieces in a chosen format: the same code runs on the main
 * thread (tests, small deployments) and inside query workers.
 */
import { createRdfSerializer } from '../rdf/rdf-serializer.ts';
import type { OutputFormat } from '../rdf/rdf-serializer.ts';
import type { QueryResult } from './query-engine.ts';
import { selectResults, askResult, type ResultFormat } from './result-formats.ts';

/** Graph results are batched into pieces of about this many characters. */
const PIECE_CHARS = 64 * 1024;

export interface RenderFormats {
  /** For SELECT and ASK. */
  results: ResultFormat;
  /** For CONSTRUCT and DESCRIBE. */
  graph: OutputFormat;
}

/** Rows rendered so far (SELECT solutions, CONSTRUCT/DESCRIBE triples): the rows-returned metric. */
export interface RowCounter {
  rows: number;
}

export function* renderResult(result: QueryResult, formats: RenderFormats, counter: RowCounter = { rows: 0 }): Generator<string> {
  if (result.form === 'ASK') {
    yield askResult(formats.results, result.value);
    return;
  }
  if (result.form === 'SELECT') {
    yield* selectResults(formats.results, result.variables, counted(result.solutions, counter));
    return;
  }
  let pending = '';
  const serializer = createRdfSerializer(formats.graph, (piece) => (pending += piece));
  for (const quad of result.quads) {
    counter.rows++;
    serializer.add(quad);
    if (pending.length >= PIECE_CHARS) {
      yield pending;
      pending = '';
    }
  }
  serializer.end();
  if (pending) yield pending;
}

function* counted<T>(items: Iterable<T>, counter: RowCounter): Generator<T> {
  for (const item of items) {
    counter.rows++;
    yield item;
  }
}
