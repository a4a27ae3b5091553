/**
 * The SPARQL 1.1 Protocol: `/sparql` (queries and updates), `/query` (queries only) and
 * `/update` (updates only), by GET with `?query=` or POST with `application/sparql-query`,
 * `application/sparql-update` or a URL-encoded form. A query is parsed before anything runs (400
 * with line and column), evaluated on one store snapshot and streamed in the negotiated format;
 * an update runs in one transaction. Updates need the write role.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { QuadStore } from '../store/quad-store.ts';
import type { ClusterNode } from '../cluster/cluster-node.ts';
import type { WriteCommand } from '../cluster/log-command.ts';
import { parseQuery, planQuery, executeQuery } from '../sparql/query-engine.ts';
import { dataOperations, prepareUpdate } from '../sparql/update-engine.ts';
import { fastDataOperations } from '../sparql/fast-data-update.ts';
import { RESULT_MEDIA_TYPES, type ResultFormat } from '../sparql/result-formats.ts';
import { QueryTimeoutError, QueryCancelledError } from '../sparql/sparql-errors.ts';
import { renderResult, type RenderFormats, type RowCounter } from '../sparql/result-rendering.ts';
import type { QueryPool } from '../sparql/query-pool.ts';
import type { Query } from '../sparql/algebra.ts';
import { negotiate } from '../rdf/media-types.ts';
import type { OutputFormat } from '../rdf/rdf-serializer.ts';
import { ApiError } from './errors.ts';
import { readBodyText } from './body-limit.ts';
import { roleAllows } from './auth.ts';
import { consistencyOf, idempotencyKeyOf, replyToWrite } from './replication.ts';
import type { Tracer } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import { ClusterError } from '../cluster/cluster-errors.ts';
import type { NodeMetrics, QueryForm, QueryOutcome, UpdateOutcome } from '../ops/metrics/node-metrics.ts';
import { inSpan, traceContextOf, writeOrigin } from './observability.ts';

export interface SparqlRouteOptions {
  node: ClusterNode;
  maxBodyBytes: number;
  /** Default and maximum query time; a request may ask for less with `timeout` (seconds). */
  queryTimeoutMs: number;
  writeTimeoutMs: number;
  /** Worker threads for queries; without, queries run on the main thread. */
  pool?: QueryPool;
  metrics: NodeMetrics;
  /** Tracing on: parse, plan and evaluate spans under the request's span. */
  tracer?: Tracer;
}

/**
 * One query's metrics: counted exactly once, when it ends (streamed to the end, failed, timed
 * out, or cancelled by a client that went away).
 */
class QueryObservation {
  form: QueryForm = 'unknown';
  private readonly startedAtMs = performance.now();
  private ended = false;

  constructor(private readonly metrics: NodeMetrics) {}

  end(outcome: QueryOutcome, rows = 0): void {
    if (this.ended) return;
    this.ended = true;
    this.metrics.observeQuery(this.form, outcome, (performance.now() - this.startedAtMs) / 1000, rows);
  }
}

function queryOutcomeOf(error: unknown): QueryOutcome {
  if (error instanceof QueryTimeoutError) return 'timeout';
  if (error instanceof QueryCancelledError) return 'cancelled';
  return 'error';
}

function updateOutcomeOf(error: unknown): UpdateOutcome {
  return error instanceof ClusterError && error.code === 'write_timeout' ? 'timeout' : 'error';
}

type ProtocolDataset = { defaultGraphs: string[]; namedGraphs: string[] };

interface ProtocolRequest {
  kind: 'query' | 'update';
  text: string;
  defaultGraphs: string[];
  namedGraphs: string[];
  timeoutMs: number | undefined;
}

const SELECT_OFFERS = [...Object.values(RESULT_MEDIA_TYPES), 'application/json', 'text/plain'];
const FORMAT_OF_SELECT_OFFER: Record<string, ResultFormat> = {
  'application/sparql-results+json': 'json',
  'application/json': 'json',
  'application/sparql-results+xml': 'xml',
  'text/csv': 'csv',
  'text/tab-separated-values': 'tsv',
  'text/plain': 'tsv',
};
const GRAPH_OFFERS: Record<string, OutputFormat> = {
  'text/turtle': 'turtle',
  'application/ld+json': 'json-ld',
  'application/n-triples': 'n-triples',
  'application/n-quads': 'n-quads',
  'application/trig': 'trig',
  'text/plain': 'n-triples',
};

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

function single(value: unknown, name: string): string | undefined {
  const values = list(value);
  if (values.length > 1) throw new ApiError('bad_request', `Give ${name} once.`);
  return values[0];
}

async function protocolRequest(request: FastifyRequest, allowed: 'query' | 'update' | 'either', maxBodyBytes: number): Promise<ProtocolRequest> {
  const params: Record<string, unknown> = { ...(request.query as Record<string, unknown>) };
  let text: string | undefined;
  let kind: 'query' | 'update' | undefined;
  if (request.method === 'POST') {
    const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const body = await readBodyText(request.body as Readable, maxBodyBytes);
    if (contentType === 'application/sparql-query') {
      kind = 'query';
      text = body;
    } else if (contentType === 'application/sparql-update') {
      kind = 'update';
      text = body;
    } else if (contentType === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(body);
      for (const key of new Set(form.keys())) {
        const values = form.getAll(key);
        params[key] = values.length === 1 ? values[0] : values;
      }
    } else {
      throw new ApiError('unsupported_media_type', 'POST a query as application/sparql-query, an update as application/sparql-update, or either as a form.');
    }
  }
  if (text === undefined) {
    const query = single(params.query, 'query');
    const update = single(params.update, 'update');
    if (query !== undefined && update !== undefined) throw new ApiError('bad_request', 'Give either query or update, not both.');
    if (query !== undefined) {
      kind = 'query';
      text = query;
    } else if (update !== undefined) {
      if (request.method !== 'POST') throw new ApiError('bad_request', 'An update must be sent with POST.');
      kind = 'update';
      text = update;
    }
  }
  if (text === undefined || kind === undefined) throw new ApiError('bad_request', 'No query or update in the request.');
  if (allowed !== 'either' && kind !== allowed) throw new ApiError('bad_request', allowed === 'query' ? 'This endpoint takes queries; send updates to /update.' : 'This endpoint takes updates; send queries to /query.');
  const timeout = single(params.timeout, 'timeout');
  let timeoutMs: number | undefined;
  if (timeout !== undefined) {
    const seconds = Number(timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new ApiError('bad_request', 'timeout must be a positive number of seconds.');
    timeoutMs = seconds * 1000;
  }
  const defaultGraphs = list(kind === 'query' ? params['default-graph-uri'] : params['using-graph-uri']);
  const namedGraphs = list(kind === 'query' ? params['named-graph-uri'] : params['using-named-graph-uri']);
  return { kind, text, defaultGraphs, namedGraphs, timeoutMs };
}

export function registerSparqlRoutes(app: FastifyInstance, options: SparqlRouteOptions): void {
  const handle = (allowed: 'query' | 'update' | 'either') => async (request: FastifyRequest, reply: FastifyReply) => {
    const protocol = await protocolRequest(request, allowed, options.maxBodyBytes);
    const timeoutMs = Math.min(protocol.timeoutMs ?? options.queryTimeoutMs, options.queryTimeoutMs);
    if (protocol.kind === 'update') {
      const startedAtMs = performance.now();
      try {
        await respondToUpdate(request, reply, protocol, options);
        options.metrics.observeUpdate('ok', (performance.now() - startedAtMs) / 1000);
      } catch (error) {
        options.metrics.observeUpdate(updateOutcomeOf(error), (performance.now() - startedAtMs) / 1000);
        throw error;
      }
      return reply;
    }
    const observation = new QueryObservation(options.metrics);
    try {
      return await respondToQuery(request, reply, protocol, options, timeoutMs, observation);
    } catch (error) {
      observation.end(queryOutcomeOf(error));
      throw error;
    }
  };
  app.get('/sparql', { config: { role: 'read' } }, handle('either'));
  app.post('/sparql', { config: { role: 'read' } }, handle('either'));
  app.get('/query', { config: { role: 'read' } }, handle('query'));
  app.post('/query', { config: { role: 'read' } }, handle('query'));
  app.post('/update', { config: { role: 'write' } }, handle('update'));
}

async function respondToUpdate(request: FastifyRequest, reply: FastifyReply, protocol: ProtocolRequest, options: SparqlRouteOptions): Promise<void> {
  if (request.principalRole && !roleAllows(request.principalRole, 'write')) throw new ApiError('forbidden', `Updates need the write role; you have ${request.principalRole}.`);
  // A malformed update is refused here, before anything is proposed. The common INSERT/DELETE
  // DATA shape is read without sparqljs, to the same operations (see fast-data-update.ts).
  const data = inSpan(options.tracer, request, 'sparql.parse', () => fastDataOperations(protocol.text) ?? dataOperations(prepareUpdate(protocol.text)));
  const dataset = protocol.defaultGraphs.length > 0 || protocol.namedGraphs.length > 0 ? { defaultGraphs: protocol.defaultGraphs, namedGraphs: protocol.namedGraphs } : undefined;
  const command: WriteCommand = data ? { kind: 'data', operations: data } : { kind: 'update', text: protocol.text, dataset };
  const { index, outcome } = await options.node.write(command, { idempotencyKey: idempotencyKeyOf(request), timeoutMs: options.writeTimeoutMs, ...writeOrigin(request) });
  const summary = replyToWrite(reply, index, outcome);
  reply.header('x-quads-inserted', String(summary.insertedQuads)).header('x-quads-removed', String(summary.removedQuads));
  reply.code(204).send();
}

async function respondToQuery(request: FastifyRequest, reply: FastifyReply, protocol: ProtocolRequest, options: SparqlRouteOptions, timeoutMs: number, observation: QueryObservation) {
  const parsed = inSpan(options.tracer, request, 'sparql.parse', () => parseQuery(protocol.text));
  observation.form = parsed.queryType.toLowerCase() as QueryForm;
  const query = inSpan(options.tracer, request, 'sparql.plan', () => planQuery(parsed));
  try {
    await options.node.readBarrier(consistencyOf(request), timeoutMs);
  } catch (error) {
    // The request's own, shorter limit ran out while the read was being confirmed: that is the
    // query's timeout, not a lost majority (the server's limit is long enough to tell those apart).
    const shortened = protocol.timeoutMs !== undefined && protocol.timeoutMs < options.queryTimeoutMs;
    if (shortened && error instanceof ClusterError && (error.code === 'no_quorum' || error.code === 'index_not_reached')) {
      throw new QueryTimeoutError(error.message, `The query's timeout (${protocol.timeoutMs} ms) ran out before its read could be served at the consistency asked (${error.message}). Ask for a longer timeout, or read with X-Consistency: stale.`);
    }
    throw error;
  }
  const graphResult = query.form.form === 'CONSTRUCT' || query.form.form === 'DESCRIBE';
  const offers = graphResult ? Object.keys(GRAPH_OFFERS) : SELECT_OFFERS;
  const mediaType = negotiate(request.headers.accept, offers);
  if (!mediaType) throw new ApiError('not_acceptable', `Acceptable here: ${offers.join(', ')}.`);
  const formats: RenderFormats = graphResult ? { results: 'json', graph: GRAPH_OFFERS[mediaType] } : { results: FORMAT_OF_SELECT_OFFER[mediaType], graph: 'n-triples' };
  const protocolDataset = protocol.defaultGraphs.length > 0 || protocol.namedGraphs.length > 0 ? { defaultGraphs: protocol.defaultGraphs, namedGraphs: protocol.namedGraphs } : undefined;
  // Evaluation and rendering are interleaved (results stream): the span covers both, to the last piece.
  const evaluateSpan = options.tracer?.startSpan('sparql.evaluate', { attributes: { 'sparql.form': observation.form, 'sparql.workers': options.pool !== undefined } }, traceContextOf(request));
  const counter: RowCounter = { rows: 0 };
  const pieces = options.pool
    ? options.pool.run({ query, formats, protocolDataset, timeoutMs })
    : evaluateInProcess(options.node.store, query, formats, protocolDataset, timeoutMs, counter);
  const rowsSent = () => ('rows' in pieces ? pieces.rows : counter.rows);
  let finished = false;
  const finish = (outcome: QueryOutcome, error?: unknown) => {
    if (finished) return;
    finished = true;
    observation.end(outcome, rowsSent());
    if (evaluateSpan) {
      evaluateSpan.setAttribute('sparql.rows', rowsSent());
      if (error !== undefined) evaluateSpan.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      evaluateSpan.end();
    }
  };
  const iterator = pieces[Symbol.asyncIterator]();
  // A client that goes away, even before the first byte (or before this point), stops the
  // evaluation and releases its snapshot.
  let cancelled = false;
  const cancel = () => {
    if (cancelled) return;
    cancelled = true;
    finish('cancelled');
    if ('cancel' in pieces) pieces.cancel();
    else void iterator.return?.(undefined);
  };
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) cancel();
  });
  // (The request stream itself is destroyed once its body was read: look at the connection.)
  if (reply.raw.destroyed || request.raw.socket?.destroyed === true) cancel();
  // The first piece is computed before the status is sent, so an error in it (a timeout, say)
  // still becomes a proper error response; later errors can only cut the stream.
  let first: IteratorResult<string>;
  try {
    first = await iterator.next();
  } catch (error) {
    finish(queryOutcomeOf(error), error);
    throw error;
  }
  reply.header('content-type', `${mediaType}${mediaType.startsWith('text/') || mediaType.endsWith('+json') || mediaType.endsWith('+xml') ? '; charset=utf-8' : ''}`);
  async function* stream(): AsyncGenerator<string> {
    try {
      if (!first.done) yield first.value;
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        yield next.value;
      }
      finish('ok');
    } catch (error) {
      finish(queryOutcomeOf(error), error);
      if (!(error instanceof QueryTimeoutError) && !(error instanceof QueryCancelledError)) request.log.error({ err: error }, 'query failed while streaming');
      throw error;
    }
  }
  const body = Readable.from(stream());
  // A body destroyed before it was read (the client left) never runs the generator's cleanup.
  body.once('close', () => {
    if (!body.readableEnded) cancel();
  });
  return reply.send(body);
}

/** Evaluation on the main thread (no worker pool), yielding to the event loop between pieces. */
async function* evaluateInProcess(store: QuadStore, query: Query, formats: RenderFormats, protocolDataset: ProtocolDataset | undefined, timeoutMs: number, counter: RowCounter): AsyncGenerator<string> {
  const snapshot = store.snapshot();
  try {
    const result = executeQuery(query, snapshot, { protocolDataset, deadlineMs: performance.now() + timeoutMs });
    for (const piece of renderResult(result, formats, counter)) {
      yield piece;
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    snapshot.release();
  }
}
