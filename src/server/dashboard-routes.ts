/**
 * The web dashboard: `GET /` (the page) and `GET /dashboard/<file>` (its ES modules and CSS),
 * plain files from ./dashboard/ beside this module, so a `tsx` run and an installed package find
 * them alike and the user needs no build step. They are read once, when the routes are
 * registered, and need no role: the page holds no data. The data endpoints it calls keep their
 * roles, `GET /cluster/overview` (the leader's view of every member, from any node) among them.
 *
 * The page runs under a Content-Security-Policy that allows only this origin's scripts, styles
 * and fetches (no inline script, no eval), so an injected string cannot run as code.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ClusterNode } from '../cluster/cluster-node.ts';

export const DASHBOARD_DIR = join(import.meta.dirname, 'dashboard');
/** Where the dashboard's assets are served; `/` is the page itself. */
export const DASHBOARD_ASSET_PREFIX = '/dashboard/';
/** A follower asks the leader for its status over the peer transport; the page polls every second. */
const OVERVIEW_TIMEOUT_MS = 1_000;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** The files served: every .html, .js and .css file of the folder (its tests and notes are not). */
export function readDashboardAssets(dir = DASHBOARD_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir).sort()) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (!contentType) continue;
    const body = readFileSync(join(dir, name));
    assets.set(name, { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  if (!assets.has('index.html')) throw new Error(`the dashboard's index.html is missing from ${dir}`);
  return assets;
}

export function registerDashboardRoutes(app: FastifyInstance, options: { node: ClusterNode; assets?: Map<string, Asset> }): void {
  const assets = options.assets ?? readDashboardAssets();
  for (const [name, asset] of assets) {
    const url = name === 'index.html' ? '/' : DASHBOARD_ASSET_PREFIX + name;
    app.get(url, async (request, reply) => {
      reply.header('content-type', asset.contentType);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      // Revalidated on every load, so a node upgraded in place never serves a stale mix of modules.
      reply.header('cache-control', 'no-cache');
      reply.header('etag', asset.etag);
      if (name === 'index.html') reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.send(asset.body);
    });
  }
  const { node } = options;
  app.get('/cluster/overview', { config: { role: 'read' } }, async () => node.overview(OVERVIEW_TIMEOUT_MS));
}
