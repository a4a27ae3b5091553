/**
 * The HTTP API of one node: Graph Store Protocol, SPARQL protocol endpoints, health. Every
 * error leaves as the catalogue's JSON (errors.ts); only a broken invariant is a 500. Request
 * bodies are streamed to the handlers (no buffering by the framework), each handler enforces the
 * body limit, and header size is bounded by Node's parser (431).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import type { ClusterNode } from '../cluster/cluster-node.ts';
import { ClusterError } from '../cluster/cluster-errors.ts';
import { RdfSyntaxError } from '../rdf/syntax-error.ts';
import { QuadInGraphPayloadError, EncodingError } from '../store/rdf-loader.ts';
import { SparqlSyntaxError, SparqlSemanticError, UpdateExecutionError, QueryTimeoutError, QueryResourceError } from '../sparql/sparql-errors.ts';
import { ApiError, ERRORS } from './errors.ts';
import { Authenticator, type Role } from './auth.ts';
import { registerGraphStoreRoutes } from './graph-store-routes.ts';
import { registerSparqlRoutes } from './sparql-routes.ts';
import { registerHealthRoutes } from './health-routes.ts';
import { registerClusterRoutes } from './cluster-routes.ts';
import { registerAlertRoutes, type AlertSource } from './alert-routes.ts';
import { registerDashboardRoutes } from './dashboard-routes.ts';
import { registerBackupRoutes } from './backup-routes.ts';
import type { BackupService } from '../ops/backup/backup-service.ts';
import { BackupError, CorruptBackupError } from '../ops/backup/backup-errors.ts';
import type { QueryPool } from '../sparql/query-pool.ts';
import { Registry } from 'prom-client';
import type { Tracer } from '@opentelemetry/api';
import { NodeMetrics } from '../ops/metrics/node-metrics.ts';
import { registerObservability, requestIdOf } from './observability.ts';

export interface ServerLimits {
  /** Largest request body accepted on /data (loads). */
  maxLoadBodyBytes: number;
  /** Largest request body accepted for queries and updates. */
  maxRequestBodyBytes: number;
  /** Largest total size of request headers. */
  maxHeaderBytes: number;
  /** Longest a query may run; a request may ask for less. */
  queryTimeoutMs: number;
  /** Longest a write waits to be applied before the client is told its outcome is unknown. */
  writeTimeoutMs: number;
  /** Largest write that goes through the Raft log as one entry (a load into a one-node cluster is not limited by it). */
  maxReplicatedBodyBytes: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxLoadBodyBytes: 16 * 2 ** 30,
  maxRequestBodyBytes: 16 * 2 ** 20,
  maxHeaderBytes: 16 * 1024,
  queryTimeoutMs: 30_000,
  writeTimeoutMs: 60_000,
  maxReplicatedBodyBytes: 64 * 2 ** 20,
};

export interface AppOptions {
  /** The node's runtime: its store, Raft group and peers. */
  node: ClusterNode;
  authenticator?: Authenticator;
  limits?: Partial<ServerLimits>;
  /** A pino logger; none: silent. */
  logger?: FastifyBaseLogger;
  /** Worker threads that evaluate queries; none: on the main thread. */
  queryPool?: QueryPool;
  /** The node's metrics (served on /metrics); none: a private registry of this app's own. */
  metrics?: NodeMetrics;
  /** Tracing on: spans for HTTP requests and SPARQL phases; none: no span is made. */
  tracer?: Tracer;
  /** The node's alert engine, served at GET /alerts; none: no such route. */
  alerts?: AlertSource;
  /** Backups into the target configured on this node (config key "backup"). */
  backups?: BackupService;
}

export interface NodeState {
  /** Set when shutdown starts: readiness turns 503 and new requests are refused. */
  shuttingDown: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The role a route needs; routes without one are open (health). */
    role?: Role;
  }
}

export function buildApp(options: AppOptions): { app: FastifyInstance; state: NodeState } {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const state: NodeState = { shuttingDown: false };
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    exposeHeadRoutes: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
      createServer({ maxHeaderSize: limits.maxHeaderBytes }, handler),
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => {
      const apiError = error.code === 'HPE_HEADER_OVERFLOW' ? new ApiError('header_too_large') : new ApiError('bad_request', 'The HTTP request is malformed.');
      writeRawError(socket, apiError);
    },
    routerOptions: { maxParamLength: 1000 },
    // X-Request-Id: the client's when sane, else generated; logged as reqId on every request line.
    requestIdHeader: false,
    genReqId: requestIdOf,
    // Errors Fastify raises before routing (a bad %-escape in the path) get the catalogue's shape too.
    frameworkErrors: (error: Error, _request: unknown, reply: { code(status: number): { type(t: string): { send(body: unknown): void } } }) => {
      const apiError = toApiError(error);
      reply.code(apiError.status).type('application/json').send(apiError.body());
    },
  } as never) as unknown as FastifyInstance;

  // Bodies reach handlers as streams; each handler reads them under its own limit.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const metrics = options.metrics ?? new NodeMetrics({ registry: new Registry() });
  if (!options.metrics) metrics.observe(options.node);
  registerObservability(app, { metrics, tracer: options.tracer });

  app.addHook('onRequest', async (request) => {
    if (state.shuttingDown) throw new ApiError('shutting_down');
    const role = request.routeOptions.config.role;
    if (!role || !options.authenticator) return;
    const principal = options.authenticator.authenticate(request.headers.authorization);
    options.authenticator.authorize(principal, role);
    request.principal = principal.name;
    request.principalRole = principal.role;
  });

  // While stopping, a connection closes after its answer: a keep-alive client must not hold the
  // shutdown until its idle timeout (the server only closes connections idle when it stops).
  app.addHook('onSend', async (_request, reply) => {
    if (state.shuttingDown) reply.header('connection', 'close');
  });

  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500 && apiError.code !== 'shutting_down') request.log.error({ err: error }, 'request failed');
    if (apiError.code === 'unauthenticated') reply.header('www-authenticate', 'Basic realm="oxirs-cluster", Bearer');
    if (apiError.status === 503) reply.header('retry-after', apiError.code === 'shutting_down' ? '5' : '1');
    // A body the handler did not read to its end must not be left on a keep-alive connection.
    if (!request.raw.complete || apiError.status === 413 || apiError.status === 415) reply.header('connection', 'close');
    reply.code(apiError.status).type('application/json').send(apiError.body());
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError('not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`);
    reply.code(error.status).send(error.body());
  });

  const node = options.node;
  registerHealthRoutes(app, { state, node });
  registerMethodNotAllowed(app);
  registerGraphStoreRoutes(app, { node, maxBodyBytes: limits.maxLoadBodyBytes, maxReplicatedBodyBytes: limits.maxReplicatedBodyBytes, writeTimeoutMs: limits.writeTimeoutMs, readTimeoutMs: limits.queryTimeoutMs });
  registerSparqlRoutes(app, { node, maxBodyBytes: limits.maxRequestBodyBytes, queryTimeoutMs: limits.queryTimeoutMs, writeTimeoutMs: limits.writeTimeoutMs, pool: options.queryPool, metrics, tracer: options.tracer });
  registerClusterRoutes(app, { node, maxBodyBytes: limits.maxRequestBodyBytes, timeoutMs: limits.writeTimeoutMs });
  if (options.alerts) registerAlertRoutes(app, { alerts: options.alerts });
  registerDashboardRoutes(app, { node });
  registerBackupRoutes(app, { node, backups: options.backups });
  return { app, state };
}

/** Known paths answer 405 (with Allow) for methods they do not take, rather than 404. */
const ALLOWED_METHODS: Record<string, string[]> = {
  '/data': ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
  '/sparql': ['GET', 'POST'],
  '/query': ['GET', 'POST'],
  '/update': ['POST'],
  '/health/live': ['GET'],
  '/cluster/status': ['GET'],
  '/cluster/dataset-hash': ['GET'],
  '/cluster/members': ['POST'],
  '/cluster/leader/transfer': ['POST'],
  '/health/ready': ['GET'],
  '/metrics': ['GET'],
  '/alerts': ['GET'],
  '/cluster/overview': ['GET'],
  '/': ['GET'],
  '/dashboard/:asset': ['GET'],
  '/admin/backups': ['GET', 'POST'],
  '/admin/backup/snapshot': ['GET'],
  '/admin/backup/log': ['GET'],
};
const ALL_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'];

function registerMethodNotAllowed(app: FastifyInstance): void {
  for (const [url, allowed] of Object.entries(ALLOWED_METHODS)) {
    const others = ALL_METHODS.filter((m) => !allowed.includes(m));
    app.route({
      method: others as never,
      url,
      handler: async (request, reply) => {
        reply.header('allow', allowed.join(', '));
        throw new ApiError('method_not_allowed', `${request.method} is not allowed on ${url}; use ${allowed.join(', ')}.`);
      },
    });
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: string;
    principalRole?: Role;
  }
}

/** Maps anything thrown in a handler to a catalogue error. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ClusterError) return new ApiError(error.code, error.message, error.details);
  if (error instanceof BackupError) return new ApiError(error.code, error.message, error instanceof CorruptBackupError ? { file: error.file } : {});
  if (error instanceof RdfSyntaxError) {
    return new ApiError('rdf_syntax', error.message, { line: error.line, column: error.column });
  }
  if (error instanceof SparqlSyntaxError) return new ApiError('sparql_syntax', error.message, { line: error.line, column: error.column });
  if (error instanceof SparqlSemanticError) return new ApiError('sparql_invalid', error.message);
  if (error instanceof UpdateExecutionError) return new ApiError('update_failed', error.message);
  if (error instanceof QueryTimeoutError) return new ApiError('query_timeout', error.clientMessage);
  if (error instanceof QueryResourceError) return new ApiError('query_too_large', error.message);
  if (error instanceof QuadInGraphPayloadError) return new ApiError('triples_only', error.message);
  if (error instanceof EncodingError) return new ApiError('bad_request', error.message);
  const fastifyError = error as { code?: string; statusCode?: number; message?: string };
  if (typeof fastifyError.code === 'string' && fastifyError.code.startsWith('FST_ERR') && fastifyError.statusCode && fastifyError.statusCode < 500) {
    if (fastifyError.statusCode === 413) return new ApiError('payload_too_large');
    if (fastifyError.statusCode === 415) return new ApiError('unsupported_media_type', fastifyError.message);
    return new ApiError('bad_request', fastifyError.message);
  }
  return new ApiError('internal');
}

function writeRawError(socket: Socket, error: ApiError): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(error.body());
  const reason = error.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${error.status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export { ERRORS };
