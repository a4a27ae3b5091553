/**
 * Authentication and roles for the HTTP API, from the `--auth FILE` JSON:
 *
 *   { "users":  [{ "name": "alice", "password": "...", "role": "admin" }],
 *     "tokens": [{ "token": "...", "role": "read", "name": "dashboard" }],
 *     "anonymous": "read" }          // optional: the role of a request with no credentials
 *
 * Basic (user + password) and Bearer (token) are accepted. Roles are ordered: read < write <
 * admin, and each includes the ones before it. Secrets are compared in constant time.
 */
import { readFileSync } from 'node:fs';
import { timingSafeEqual, createHash } from 'node:crypto';
import { ApiError } from './errors.ts';

export const ROLES = ['read', 'write', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  name: string;
  role: Role;
}

interface AuthConfig {
  users: Array<{ name: string; password: string; role: Role }>;
  tokens: Array<{ token: string; role: Role; name?: string }>;
  anonymous?: Role;
}

export class AuthConfigError extends Error {}

function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function parseAuthConfig(text: string, source = 'auth file'): AuthConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new AuthConfigError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null) throw new AuthConfigError(`${source}: must be a JSON object`);
  const object = raw as Record<string, unknown>;
  const users = object.users ?? [];
  const tokens = object.tokens ?? [];
  if (!Array.isArray(users) || !Array.isArray(tokens)) throw new AuthConfigError(`${source}: "users" and "tokens" must be arrays`);
  for (const [i, user] of users.entries()) {
    if (typeof user?.name !== 'string' || typeof user?.password !== 'string' || !isRole(user?.role) || user.name.includes(':')) {
      throw new AuthConfigError(`${source}: users[${i}] needs "name" (no ":"), "password" and "role" (read, write or admin)`);
    }
  }
  for (const [i, token] of tokens.entries()) {
    if (typeof token?.token !== 'string' || token.token.length < 16 || !isRole(token?.role)) {
      throw new AuthConfigError(`${source}: tokens[${i}] needs "token" (16+ characters) and "role" (read, write or admin)`);
    }
  }
  if (object.anonymous !== undefined && !isRole(object.anonymous)) throw new AuthConfigError(`${source}: "anonymous" must be a role`);
  return { users, tokens, anonymous: object.anonymous as Role | undefined };
}

export function loadAuthConfig(path: string): AuthConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AuthConfigError(`cannot read auth file ${path}: ${(error as Error).message}`);
  }
  return parseAuthConfig(text, path);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export class Authenticator {
  constructor(private readonly config: AuthConfig) {}

  /** The principal of a request's Authorization header; throws 401 for missing or bad credentials. */
  authenticate(header: string | undefined): Principal {
    if (!header) {
      if (this.config.anonymous) return { name: 'anonymous', role: this.config.anonymous };
      throw new ApiError('unauthenticated', 'Credentials are required (Basic or Bearer).');
    }
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space < 0 ? header.length : space).toLowerCase();
    const credentials = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme === 'basic') {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        const name = decoded.slice(0, colon);
        const password = decoded.slice(colon + 1);
        for (const user of this.config.users) {
          if (user.name === name && sameSecret(user.password, password)) return { name, role: user.role };
        }
      }
    } else if (scheme === 'bearer') {
      for (const token of this.config.tokens) {
        if (sameSecret(token.token, credentials)) return { name: token.name ?? 'token', role: token.role };
      }
    }
    throw new ApiError('unauthenticated');
  }

  authorize(principal: Principal, needed: Role): void {
    if (!roleAllows(principal.role, needed)) {
      throw new ApiError('forbidden', `This needs the ${needed} role; you have ${principal.role}.`);
    }
  }
}
