/** Messages between the query pool (main thread) and its worker threads. */
import type { Query } from './algebra.ts';
import type { RenderFormats } from './result-rendering.ts';
import { SparqlSyntaxError, SparqlSemanticError, QueryTimeoutError, QueryCancelledError, QueryResourceError } from './sparql-errors.ts';
import { ExpressionError } from './expression-functions.ts';

export type WorkerRequest =
  | {
      type: 'run';
      id: number;
      /** The translated algebra: plain data, cloned into the worker. */
      query: Query;
      formats: RenderFormats;
      protocolDataset: { defaultGraphs: string[]; namedGraphs: string[] } | undefined;
      timeoutMs: number;
      nowMs: number;
      /** Int32Array(1) over this buffer: non-zero asks the worker to stop. */
      cancelFlag: SharedArrayBuffer;
      /** Pieces the worker may send before it waits for credit. */
      initialCredit: number;
    }
  | { type: 'credit'; id: number; pieces: number }
  | { type: 'close' };

export interface SerializedError {
  name: string;
  message: string;
  line?: number;
  column?: number;
}

export type WorkerResponse =
  | { type: 'ready' }
  | { type: 'piece'; id: number; text: string }
  /** `rows`: SELECT solutions or graph triples rendered (see RowCounter). */
  | { type: 'end'; id: number; rows: number }
  | { type: 'error'; id: number; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  const e = error as Error & { line?: number; column?: number };
  return { name: e?.name ?? 'Error', message: e?.message ?? String(error), line: e?.line, column: e?.column };
}

/** Rebuilds the error classes the server maps to client errors; anything else stays internal. */
export function deserializeError(error: SerializedError): Error {
  const message = error.message;
  switch (error.name) {
    case 'QueryTimeoutError':
      return new QueryTimeoutError(message);
    case 'QueryCancelledError':
      return new QueryCancelledError(message);
    case 'QueryResourceError':
      return new QueryResourceError(message);
    case 'SparqlSemanticError':
      return new SparqlSemanticError(message);
    case 'SparqlSyntaxError': {
      const syntax = new SparqlSyntaxError(message, error.line ?? 1, error.column ?? 1);
      syntax.message = message;
      return syntax;
    }
    case 'ExpressionError':
      return new ExpressionError(message);
    default: {
      const internal = new Error(`query worker: ${error.name}: ${message}`);
      return internal;
    }
  }
}
