/**
 * What the HTTP layer adds so a request can be followed and counted: a request id per request
 * (the client's `X-Request-Id` when it is a sane token, else a fresh one; returned in the response
 * and logged by every line of the request), the HTTP span when tracing is on (a client's
 * `traceparent` is its parent), the HTTP metrics, and `GET /metrics`.
 *
 * A client's id that is not sane (too long, spaces, control characters) is replaced, never
 * echoed: it would otherwise reach log lines and response headers as the client wrote it.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { WriteOptions } from '../cluster/cluster-node.ts';
import { contextFromTraceParent } from '../cluster/node-telemetry.ts';
import type { NodeMetrics } from '../ops/metrics/node-metrics.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The HTTP server span (tracing on). */
    traceSpan?: Span;
  }
}

const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
/** Distinguishes this process's generated ids from another node's (or its own before a restart). */
const REQUEST_ID_PREFIX = randomBytes(4).toString('hex');
let requestCounter = 0;

/** Fastify's genReqId: the client's X-Request-Id if sane, else `<process prefix>-<counter>`. */
export function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  if (typeof header === 'string' && SANE_REQUEST_ID.test(header)) return header;
  return `${REQUEST_ID_PREFIX}-${(++requestCounter).toString(36)}`;
}

/** What a write handler passes to ClusterNode.write so the proposal and its applies can be followed. */
export function writeOrigin(request: FastifyRequest): Pick<WriteOptions, 'httpRequestId' | 'traceContext'> {
  return { httpRequestId: request.id, traceContext: traceContextOf(request) };
}

/** The context whose parent is the request's span (undefined when tracing is off). */
export function traceContextOf(request: FastifyRequest): Context | undefined {
  return request.traceSpan && trace.setSpan(ROOT_CONTEXT, request.traceSpan);
}

/**
 * Runs `body` inside a child span of the request's span named `name` (nothing is made when
 * tracing is off). An error ends the span with an error status and is thrown on.
 */
export function inSpan<T>(tracer: Tracer | undefined, request: FastifyRequest, name: string, body: () => T): T {
  if (!tracer || !request.traceSpan) return body();
  const span = tracer.startSpan(name, undefined, traceContextOf(request));
  try {
    return body();
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** The route pattern of a request, or `unmatched` (a 404): a bounded label set for the metrics. */
function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

/** Hooks first (before authentication, so a refused request still gets its id and is counted), then `GET /metrics`. */
export function registerObservability(app: FastifyInstance, options: { metrics: NodeMetrics; tracer?: Tracer }): void {
  const { metrics, tracer } = options;
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (tracer) {
      const header = request.headers.traceparent;
      const parent = contextFromTraceParent(typeof header === 'string' ? header : undefined);
      request.traceSpan = tracer.startSpan(`HTTP ${request.method}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.request.id': request.id } }, parent);
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = routeOf(request);
    metrics.observeHttp(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
    const span = request.traceSpan;
    if (span) {
      span.updateName(`${request.method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  });
  app.get('/metrics', { config: { role: 'read' } }, async (_request, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.contentType).send(text);
  });
}
