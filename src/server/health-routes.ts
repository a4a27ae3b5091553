/**
 * `/health/live`: the process serves HTTP. `/health/ready`: this node can answer a read now
 * (its store is open and it is not shutting down); 503 with a JSON reason otherwise.
 */
import type { FastifyInstance } from 'fastify';
import type { QuadStore } from '../store/quad-store.ts';
import type { NodeState } from './app.ts';

export function registerHealthRoutes(app: FastifyInstance, options: { state: NodeState; store: QuadStore }): void {
  app.get('/health/live', async () => ({ status: 'live' }));
  app.get('/health/ready', async (_request, reply) => {
    if (options.state.shuttingDown) {
      return reply.code(503).header('retry-after', '5').send({ status: 'not-ready', reason: 'shutting down' });
    }
    try {
      options.store.snapshot().release();
    } catch (error) {
      return reply.code(503).header('retry-after', '5').send({ status: 'not-ready', reason: `store unavailable: ${(error as Error).message}` });
    }
    return { status: 'ready' };
  });
}
