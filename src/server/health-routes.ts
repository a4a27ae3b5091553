/**
 * `/health/live`: the process serves HTTP. `/health/ready`: this node can answer a linearizable
 * read now (it knows a leader, a quorum confirmed a read index, and it has applied up to it);
 * 503 with a JSON reason otherwise.
 */
import type { FastifyInstance } from 'fastify';
import type { ClusterNode } from '../cluster/cluster-node.ts';
import type { NodeState } from './app.ts';

const READY_CHECK_TIMEOUT_MS = 2_000;

export function registerHealthRoutes(app: FastifyInstance, options: { state: NodeState; node: ClusterNode }): void {
  app.get('/health/live', async () => ({ status: 'live' }));
  app.get('/health/ready', async (_request, reply) => {
    const reason = options.state.shuttingDown ? 'shutting down' : await options.node.notReadyReason(READY_CHECK_TIMEOUT_MS);
    if (reason !== undefined) return reply.code(503).header('retry-after', '1').send({ status: 'not-ready', reason });
    return { status: 'ready', appliedIndex: options.node.appliedIndex() };
  });
}
