/**
 * What a normal Raft log entry carries: one client write, with everything its effect depends on
 * besides the store state (the proposer's clock for NOW(), the text or bytes to apply), so every
 * replica that applies it ends with the same bytes. Encoded with msgpack.
 */
import { pack, unpack } from 'msgpackr';
import type { RdfFormat } from '../rdf/media-types.ts';
import type { LoadTarget } from '../store/rdf-loader.ts';
import type { DataOperation } from '../sparql/update-engine.ts';

export type WriteCommand =
  | {
      kind: 'update';
      text: string;
      baseIri?: string;
      /** The protocol's using-graph-uri / using-named-graph-uri. */
      dataset?: { defaultGraphs: string[]; namedGraphs: string[] };
    }
  /** An update of INSERT DATA / DELETE DATA only, as concrete quads (no parsing when applied). */
  | { kind: 'data'; operations: DataOperation[] }
  | { kind: 'load'; format: RdfFormat; target: LoadTarget; replace: boolean; baseIri?: string; body: Uint8Array }
  /** GSP DELETE: `graph` null is the default graph. */
  | { kind: 'deleteGraph'; graph: string | null };

export interface LogCommand {
  /** Unique per proposal: the proposing node matches its waiting request to the applied entry. */
  requestId: string;
  /** A retry with the same key applies at most once (the retry gets the first outcome). */
  idempotencyKey?: string;
  /** The proposer's clock when the request arrived: NOW() and idempotency expiry use it. */
  timeMs: number;
  command: WriteCommand;
  /**
   * The HTTP request id (X-Request-Id) of the request that made this write, so the proposal and
   * the apply on every replica can be logged under it. Absent in entries of older nodes.
   */
  httpRequestId?: string;
  /** W3C traceparent of the proposer's span, when tracing is on: the leader's spans join its trace. */
  traceParent?: string;
}

/** How an applied write ended, the same on every replica (a failure changes nothing). */
export type WriteOutcome =
  | { ok: true; insertedQuads: number; removedQuads: number; parsedQuads?: number; createdGraph?: boolean }
  | { ok: false; code: WriteErrorCode; message: string; line?: number; column?: number };

/** Error catalogue codes (server/errors.ts) a write can fail with when it is applied. */
export type WriteErrorCode = 'rdf_syntax' | 'sparql_syntax' | 'sparql_invalid' | 'update_failed' | 'query_too_large' | 'triples_only' | 'bad_request' | 'graph_not_found';

/**
 * The encoding's version; a node refuses entries of a newer one rather than misapply them. Fields
 * that a node of the same version may ignore (httpRequestId, traceParent) are optional and need no
 * new version: an older node decodes and applies such an entry the same way.
 */
const LOG_COMMAND_VERSION = 1;

export function encodeLogCommand(command: LogCommand): Uint8Array {
  return pack({ v: LOG_COMMAND_VERSION, ...command });
}

export function decodeLogCommand(data: Uint8Array): LogCommand {
  const decoded = unpack(data) as LogCommand & { v?: number };
  if (decoded.v !== LOG_COMMAND_VERSION) throw new Error(`log entry of encoding version ${decoded.v}; this node reads version ${LOG_COMMAND_VERSION} (upgrade it)`);
  return decoded;
}
