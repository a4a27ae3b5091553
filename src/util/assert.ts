/**
 * Assertions that stay on in production. A broken invariant is a bug in this process, not a
 * client error: it throws an AssertionError that the server maps to a 500 and logs loudly.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function unreachable(value: never, what = 'value'): never {
  throw new AssertionError(`unexpected ${what}: ${JSON.stringify(value)}`);
}
