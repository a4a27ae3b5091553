/**
 * Cluster administration over HTTP (INTERFACES.md): status, membership, leadership, and the
 * dataset hash replicas are compared by. Membership and leadership requests may go to any member;
 * a follower hands them to the leader over the peer transport. They need the admin role.
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ClusterNode } from '../cluster/cluster-node.ts';
import { ApiError } from './errors.ts';
import { readBodyText } from './body-limit.ts';

export interface ClusterRouteOptions {
  node: ClusterNode;
  maxBodyBytes: number;
  /** How long a membership or leadership change may take. */
  timeoutMs: number;
}

async function jsonBody(request: FastifyRequest, maxBodyBytes: number): Promise<Record<string, unknown>> {
  const text = request.body ? await readBodyText(request.body as Readable, maxBodyBytes) : '';
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError('bad_request', `The body is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ApiError('bad_request', 'The body must be a JSON object.');
  return value as Record<string, unknown>;
}

function stringField(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw new ApiError('bad_request', `The body needs "${name}".`);
    return undefined;
  }
  if (typeof value !== 'string') throw new ApiError('bad_request', `"${name}" must be a string.`);
  return value;
}

export function registerClusterRoutes(app: FastifyInstance, options: ClusterRouteOptions): void {
  const { node } = options;
  app.get('/cluster/status', { config: { role: 'read' } }, async () => node.status());
  app.get('/cluster/dataset-hash', { config: { role: 'read' } }, async () => node.datasetHash());
  app.post('/cluster/members', { config: { role: 'admin' } }, async (request, reply) => {
    const body = await jsonBody(request, options.maxBodyBytes);
    const id = stringField(body, 'id', true)!;
    const raftAddr = stringField(body, 'raftAddr', true)!;
    if (body.learner !== undefined && typeof body.learner !== 'boolean') throw new ApiError('bad_request', '"learner" must be true or false.');
    const status = await node.addMember(id, raftAddr, body.learner === true, options.timeoutMs);
    return reply.code(201).send(status);
  });
  app.post('/cluster/members/:id/promote', { config: { role: 'admin' } }, async (request) => node.promoteMember((request.params as { id: string }).id, options.timeoutMs));
  app.delete('/cluster/members/:id', { config: { role: 'admin' } }, async (request) => node.removeMember((request.params as { id: string }).id, options.timeoutMs));
  app.post('/cluster/leader/transfer', { config: { role: 'admin' } }, async (request) => {
    const body = await jsonBody(request, options.maxBodyBytes);
    return node.transferLeader(stringField(body, 'to', false) ?? null, options.timeoutMs);
  });
}
