/**
 * The W3C SPARQL 1.1 Graph Store HTTP Protocol at `/data?default` and `/data?graph=IRI`, plus
 * `/data` with no parameter for the whole dataset (GET: N-Quads or TriG; PUT/POST: load quads).
 * Loads stream into one store transaction: a bad payload answers 400 with line and column and
 * changes nothing. Reads stream from one snapshot held until the response ends.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { QuadStore } from '../store/quad-store.ts';
import { loadInto, type LoadOptions, type LoadTarget } from '../store/rdf-loader.ts';
import { DEFAULT_GRAPH_ID } from '../store/indexes.ts';
import type { ClusterNode } from '../cluster/cluster-node.ts';
import { iriKey, type TermKey } from '../rdf/term-key.ts';
import { FORMAT_MEDIA_TYPE, formatOfContentType, isQuadFormat, negotiate } from '../rdf/media-types.ts';
import { createRdfSerializer, type OutputFormat } from '../rdf/rdf-serializer.ts';
import { ApiError } from './errors.ts';
import { limitBody } from './body-limit.ts';
import type { Role } from './auth.ts';
import { writeOrigin } from './observability.ts';
import { consistencyOf, idempotencyKeyOf, replyToWrite } from './replication.ts';

export interface GraphStoreOptions {
  node: ClusterNode;
  maxBodyBytes: number;
  /** Largest payload sent through the Raft log (one entry); a one-node cluster loads any size. */
  maxReplicatedBodyBytes: number;
  writeTimeoutMs: number;
  /** Longest a read waits for its consistency level. */
  readTimeoutMs: number;
}

type GraphSelector = { kind: 'default' } | { kind: 'named'; iri: string } | { kind: 'dataset' };

const IRI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\u0000-\u0020<>"{}|^`\\]*$/;
const GRAPH_FORMATS = ['text/turtle', 'application/n-triples', 'application/n-quads', 'application/trig', 'application/ld+json'];
const DATASET_FORMATS = ['application/n-quads', 'application/trig', 'application/ld+json'];
const FORMAT_OF_OFFER: Record<string, OutputFormat> = {
  'application/ld+json': 'json-ld',
  'text/turtle': 'turtle',
  'application/n-triples': 'n-triples',
  'application/n-quads': 'n-quads',
  'application/trig': 'trig',
};
/** Text is sent to the client in pieces of about this size. */
const RESPONSE_CHUNK_CHARS = 64 * 1024;

function selectGraph(request: FastifyRequest): GraphSelector {
  const query = request.query as Record<string, string | string[] | undefined>;
  const hasDefault = query.default !== undefined;
  const graph = query.graph;
  if (Array.isArray(graph) || (hasDefault && graph !== undefined)) throw new ApiError('missing_graph_parameter');
  if (hasDefault) return { kind: 'default' };
  if (graph !== undefined) {
    if (!IRI.test(graph)) throw new ApiError('invalid_graph_iri', `The graph parameter ${JSON.stringify(graph)} is not an absolute IRI.`);
    return { kind: 'named', iri: graph };
  }
  return { kind: 'dataset' };
}

function graphKey(selector: GraphSelector): TermKey | undefined {
  return selector.kind === 'named' ? iriKey(selector.iri) : undefined;
}

export function registerGraphStoreRoutes(app: FastifyInstance, options: GraphStoreOptions): void {
  const { node } = options;
  const read: { role: Role } = { role: 'read' };
  const write: { role: Role } = { role: 'write' };

  const respond = (withBody: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    selectGraph(request); // a malformed request is answered 400 before waiting for consistency
    await node.readBarrier(consistencyOf(request), options.readTimeoutMs);
    return respondWithGraph(request, reply, node.store, withBody);
  };
  app.get('/data', { config: read }, respond(true));
  app.head('/data', { config: read }, respond(false));

  for (const method of ['PUT', 'POST'] as const) {
    app.route({
      method,
      url: '/data',
      config: write,
      handler: async (request, reply) => {
        const selector = selectGraph(request);
        const format = formatOfContentType(request.headers['content-type']);
        if (!format) {
          throw new ApiError('unsupported_media_type', `Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')} is not one of ${Object.values(FORMAT_MEDIA_TYPE).join(', ')}.`);
        }
        const target: LoadTarget = selector.kind === 'dataset' ? { kind: 'dataset' } : { kind: 'graph', graph: graphKey(selector) };
        // Relative IRIs resolve against the graph's IRI, or else the request's URL (RFC 3986 §5.1.3).
        const baseIri = selector.kind === 'named' ? selector.iri : `${request.protocol}://${request.host}${request.url}`;
        const loadOptions: LoadOptions = { format, target, replace: method === 'PUT', baseIri };
        let index: number;
        let result: { parsedQuads?: number; insertedQuads: number; createdGraph?: boolean };
        if (node.isSoleMember() && idempotencyKeyOf(request) === undefined) {
          // A one-node cluster streams a payload of any size straight into one store transaction.
          result = await node.writeLocally((writer) => loadInto(writer, requestBody(request, options.maxBodyBytes), loadOptions));
          index = node.appliedIndex();
          reply.header('x-commit-index', String(index));
        } else {
          const body = await readWhole(requestBody(request, Math.min(options.maxBodyBytes, options.maxReplicatedBodyBytes)));
          const written = await node.write({ kind: 'load', ...loadOptions, body }, { idempotencyKey: idempotencyKeyOf(request), timeoutMs: options.writeTimeoutMs, ...writeOrigin(request) });
          index = written.index;
          result = replyToWrite(reply, index, written.outcome);
        }
        reply.header('x-quads-parsed', String(result.parsedQuads ?? 0)).header('x-quads-inserted', String(result.insertedQuads));
        reply.code(result.createdGraph ? 201 : 204).send();
      },
    });
  }

  app.delete('/data', { config: write }, async (request, reply) => {
    const selector = selectGraph(request);
    if (selector.kind === 'dataset') throw new ApiError('missing_graph_parameter', 'DELETE needs ?default or ?graph=IRI.');
    const { index, outcome } = await node.write({ kind: 'deleteGraph', graph: selector.kind === 'named' ? selector.iri : null }, { idempotencyKey: idempotencyKeyOf(request), timeoutMs: options.writeTimeoutMs, ...writeOrigin(request) });
    replyToWrite(reply, index, outcome);
    reply.code(204).send();
  });
}

async function readWhole(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** The request body as a byte stream: size-limited, gunzipped when Content-Encoding says so. */
function requestBody(request: FastifyRequest, maxBodyBytes: number): AsyncIterable<Buffer> {
  const raw = request.body as Readable;
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding === 'identity') return limitBody(raw, maxBodyBytes);
  if (encoding === 'gzip' || encoding === 'x-gzip') {
    // A corrupt body must fail the read (the iterator rethrows the stored error), not the process:
    // listen for the error from the start, before anything iterates the stream.
    const gunzip = createGunzip();
    gunzip.on('error', () => undefined);
    return limitBody(raw.pipe(gunzip), maxBodyBytes, raw);
  }
  throw new ApiError('unsupported_media_type', `Content-Encoding ${JSON.stringify(encoding)} is not supported (use gzip or none).`);
}

async function respondWithGraph(request: FastifyRequest, reply: FastifyReply, store: QuadStore, withBody: boolean) {
  const selector = selectGraph(request);
  const offers = selector.kind === 'dataset' ? DATASET_FORMATS : GRAPH_FORMATS;
  const mediaType = negotiate(request.headers.accept, offers);
  if (!mediaType) throw new ApiError('not_acceptable', `Acceptable here: ${offers.join(', ')}.`);
  const format = FORMAT_OF_OFFER[mediaType];
  const snapshot = store.snapshot();
  let graphId: number | undefined;
  try {
    if (selector.kind === 'default') graphId = DEFAULT_GRAPH_ID;
    else if (selector.kind === 'named') {
      graphId = snapshot.lookup(iriKey(selector.iri));
      if (graphId === undefined || !snapshot.graphExists(graphId)) {
        throw new ApiError('graph_not_found', `Graph <${selector.iri}> does not exist.`);
      }
    }
  } catch (error) {
    snapshot.release();
    throw error;
  }
  reply.header('content-type', `${mediaType}${mediaType.startsWith('text/') ? '; charset=utf-8' : ''}`);
  if (!withBody) {
    snapshot.release();
    return reply.send();
  }
  const quadsAsGraph = selector.kind !== 'dataset' && (format === 'json-ld' || !isQuadFormat(format));
  async function* text(): AsyncGenerator<string> {
    try {
      let pending = '';
      const serializer = createRdfSerializer(format, (piece) => {
        pending += piece;
      });
      for (const [s, p, o, g] of snapshot.match({ graph: graphId })) {
        serializer.add({
          subject: snapshot.decode(s),
          predicate: snapshot.decode(p),
          object: snapshot.decode(o),
          graph: quadsAsGraph || g === DEFAULT_GRAPH_ID ? undefined : snapshot.decode(g),
        });
        if (pending.length >= RESPONSE_CHUNK_CHARS) {
          yield pending;
          pending = '';
        }
      }
      serializer.end();
      if (pending) yield pending;
    } finally {
      snapshot.release();
    }
  }
  const body = Readable.from(text());
  // A body destroyed before it was read (the client left) never runs the generator's finally.
  body.once('close', () => snapshot.release());
  return reply.send(body);
}
