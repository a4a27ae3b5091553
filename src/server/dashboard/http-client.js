// @ts-check
/**
 * Every request the dashboard makes goes through `request`: it adds the credentials the user gave
 * (an Authorization header value, kept in sessionStorage: this tab only, gone when it closes) and
 * reports a 401 to whoever asked to hear of it, so the page can ask for credentials once for all
 * of its polls. Requests carry no cookies and no browser-cached HTTP auth (`credentials: 'omit'`),
 * which also keeps the browser's own password prompt from appearing.
 */

const STORAGE_KEY = 'oxirs-cluster.authorization';

/** @type {string | null} */
let authorization = readStored();
/** @type {Set<() => void>} */
const unauthorizedListeners = new Set();

function readStored() {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** @param {string | null} value an Authorization header value, or null to forget it */
export function setAuthorization(value) {
  authorization = value;
  try {
    if (value === null) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, value);
  } catch {
    // Storage may be disabled; the credentials then last until the page is reloaded.
  }
}

export function hasAuthorization() {
  return authorization !== null;
}

/** @param {string} user @param {string} password */
export function basicAuthorization(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return `Basic ${btoa(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(''))}`;
}

/** @param {string} token */
export function bearerAuthorization(token) {
  return `Bearer ${token.trim()}`;
}

/** @param {() => void} listener called on every 401 */
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
}

/**
 * @param {string} path on this origin
 * @param {RequestInit & { timeoutMs?: number }} [init]
 * @returns {Promise<Response>} rejects on a network error or after `timeoutMs` (default 5 s)
 */
export async function request(path, init = {}) {
  const { timeoutMs = 5_000, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (authorization !== null) headers.set('authorization', authorization);
  const response = await fetch(path, { ...rest, headers, credentials: 'omit', cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) });
  if (response.status === 401) for (const listener of unauthorizedListeners) listener();
  return response;
}

/**
 * The catalogue's JSON error of a response (`{"error":{"code","message",...}}`), or one made up
 * from the status when the body is something else.
 * @param {Response} response
 * @returns {Promise<{ code: string, message: string, line?: number, column?: number }>}
 */
export async function errorOf(response) {
  const text = await response.text();
  try {
    const error = JSON.parse(text).error;
    if (error && typeof error.code === 'string') return error;
  } catch {
    // Not JSON: fall through.
  }
  return { code: `http_${response.status}`, message: text.slice(0, 500) || response.statusText };
}
