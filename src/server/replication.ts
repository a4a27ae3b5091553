/**
 * What the HTTP layer reads from a request about replication (the consistency a read asks for,
 * a write's idempotency key) and how a replicated write's outcome becomes a response.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Consistency } from '../cluster/cluster-node.ts';
import type { WriteOutcome } from '../cluster/log-command.ts';
import { ApiError } from './errors.ts';

const MAX_IDEMPOTENCY_KEY_CHARS = 256;

/** `X-Consistency` header or `consistency` parameter: linearizable (default), stale, min-index:N. */
export function consistencyOf(request: FastifyRequest): Consistency {
  const header = request.headers['x-consistency'];
  const parameter = (request.query as Record<string, unknown> | undefined)?.consistency;
  const value = (Array.isArray(header) ? header[0] : header) ?? (typeof parameter === 'string' ? parameter : undefined);
  if (value === undefined || value === 'linearizable') return { kind: 'linearizable' };
  if (value === 'stale') return { kind: 'stale' };
  const match = /^min-index:(\d{1,15})$/.exec(value);
  if (match) return { kind: 'minIndex', index: Number(match[1]) };
  throw new ApiError('bad_request', `Consistency ${JSON.stringify(value)} is not one of linearizable, stale, min-index:N.`);
}

export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['idempotency-key'];
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined) return undefined;
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_CHARS) throw new ApiError('bad_request', `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_CHARS} characters.`);
  return key;
}

/** Sets X-Commit-Index; a failed outcome (the same on every replica) becomes its catalogue error. */
export function replyToWrite(reply: FastifyReply, index: number, outcome: WriteOutcome): Extract<WriteOutcome, { ok: true }> {
  reply.header('x-commit-index', String(index));
  if (!outcome.ok) {
    const details: Record<string, unknown> = { commitIndex: index };
    if (outcome.line !== undefined) details.line = outcome.line;
    if (outcome.column !== undefined) details.column = outcome.column;
    throw new ApiError(outcome.code, outcome.message, details);
  }
  return outcome;
}
