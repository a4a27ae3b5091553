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

export function* renderResult(result: QueryResult, formats: RenderFormats): Generator<string> {
  if (result.form === 'ASK') {
    yield askResult(formats.results, result.value);
    return;
  }
  if (result.form === 'SELECT') {
    yield* selectResults(formats.results, result.variables, result.solutions);
    return;
  }
  let pending = '';
  const serializer = createRdfSerializer(formats.graph, (piece) => (pending += piece));
  for (const quad of result.quads) {
    serializer.add(quad);
    if (pending.length >= PIECE_CHARS) {
      yield pending;
      pending = '';
    }
  }
  serializer.end();
  if (pending) yield pending;
}
