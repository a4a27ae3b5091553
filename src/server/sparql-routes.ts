/**
 * The SPARQL 1.1 Protocol endpoints (`/sparql`, `/query`, `/update`). The query engine is not
 * built yet, so after authorising and reading the request they answer 501 with the catalogue's
 * `sparql_not_available` error; the routes, roles and body limits are already the real ones.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { ApiError } from './errors.ts';
import { readBodyText } from './body-limit.ts';

export function registerSparqlRoutes(app: FastifyInstance, options: { maxBodyBytes: number }): void {
  const notAvailable = async (request: FastifyRequest) => {
    if (request.body) await readBodyText(request.body as Readable, options.maxBodyBytes);
    throw new ApiError('sparql_not_available');
  };
  app.get('/sparql', { config: { role: 'read' } }, notAvailable);
  app.post('/sparql', { config: { role: 'read' } }, notAvailable);
  app.get('/query', { config: { role: 'read' } }, notAvailable);
  app.post('/query', { config: { role: 'read' } }, notAvailable);
  app.post('/update', { config: { role: 'write' } }, notAvailable);
}
