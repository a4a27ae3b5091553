/**
 * Backups over HTTP (admin role). Every member serves its own applied state, so
 * `oxirs-cluster backup create --endpoint URL` works through any of them:
 *   GET  /admin/backup/snapshot      the store at this member's applied index (ops/backup/backup-wire.ts)
 *   GET  /admin/backup/log?from=N    the applied log entries from N on
 *   POST /admin/backups              take a backup now into the target configured on this node ({"incremental": bool})
 *   GET  /admin/backups              the backups in that target
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ClusterNode } from '../cluster/cluster-node.ts';
import { NodeBackupSource } from '../ops/backup/node-backup-source.ts';
import { encodeLogExport, encodeSnapshotExport } from '../ops/backup/backup-wire.ts';
import type { BackupService } from '../ops/backup/backup-service.ts';
import { ApiError } from './errors.ts';
import { readBodyText } from './body-limit.ts';

export const BACKUP_STREAM_TYPE = 'application/x-oxirs-backup-stream';

export interface BackupRouteOptions {
  node: ClusterNode;
  /** The target configured on this node; none: POST/GET /admin/backups answer backup_not_configured. */
  backups?: BackupService;
}

export function registerBackupRoutes(app: FastifyInstance, options: BackupRouteOptions): void {
  const source = new NodeBackupSource(options.node);
  const configured = (): BackupService => {
    if (!options.backups) throw new ApiError('backup_not_configured', 'This node has no backup target configured (config key "backup"); use `oxirs-cluster backup create --target ...` instead.');
    return options.backups;
  };
  app.get('/admin/backup/snapshot', { config: { role: 'admin' } }, async (_request, reply) => {
    const exported = await source.exportSnapshot();
    // However the response ends, the read transaction is let go (a no-op once the hash was taken).
    reply.raw.on('close', () => exported.abort());
    const stream = Readable.from(encodeSnapshotExport(exported));
    // A failure midway cuts the connection: the reader sees a truncated stream, never a short backup.
    stream.on('error', () => reply.raw.destroy());
    return reply.type(BACKUP_STREAM_TYPE).header('x-backup-index', String(exported.head.toIndex)).send(stream);
  });
  app.get('/admin/backup/log', { config: { role: 'admin' } }, async (request, reply) => {
    const from = Number((request.query as { from?: string }).from);
    if (!Number.isInteger(from) || from < 2) throw new ApiError('bad_request', 'Give ?from=N, the first log index wanted (at least 2).');
    const exported = await source.exportLog(from);
    reply.raw.on('close', () => exported.abort());
    const stream = Readable.from(encodeLogExport(exported));
    stream.on('error', () => reply.raw.destroy());
    return reply.type(BACKUP_STREAM_TYPE).header('x-backup-index', String(exported.head.toIndex)).send(stream);
  });
  app.post('/admin/backups', { config: { role: 'admin' } }, async (request, reply) => {
    const service = configured();
    const text = request.body ? await readBodyText(request.body as Readable, 64 * 1024) : '';
    let body: { incremental?: unknown } = {};
    try {
      body = text.trim() === '' ? {} : (JSON.parse(text) as { incremental?: unknown });
    } catch (error) {
      throw new ApiError('bad_request', `The body is not JSON: ${(error as Error).message}`);
    }
    if (typeof body !== 'object' || body === null || (body.incremental !== undefined && typeof body.incremental !== 'boolean')) throw new ApiError('bad_request', 'The body is {"incremental": true|false}.');
    const result = await service.take(body.incremental === true);
    return reply.code(result.upToDate ? 200 : 201).send({ upToDate: result.upToDate, target: service.target.description, backup: result.manifest });
  });
  app.get('/admin/backups', { config: { role: 'admin' } }, async () => {
    const service = configured();
    const catalog = await service.list();
    return {
      target: service.target.description,
      backups: catalog.manifests,
      incomplete: catalog.incomplete,
      corrupt: catalog.corrupt.map((error) => ({ file: error.file, message: error.message })),
    };
  });
}
