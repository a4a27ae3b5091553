/** Errors a SPARQL request can get before or while it runs, each mapped to a catalogue code by the server. */

/** The text is not SPARQL; line and column (1-based) of the offending token. */
export class SparqlSyntaxError extends Error {
  override name = 'SparqlSyntaxError';
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} (line ${line}, column ${column})`);
  }
}

/** Parsed, but breaks a rule of the spec (scoping, grouping) or uses what we do not support. */
export class SparqlSemanticError extends Error {
  override name = 'SparqlSemanticError';
}

/** A well-formed update that cannot run (e.g. CREATE of an existing graph without SILENT). */
export class UpdateExecutionError extends Error {
  override name = 'UpdateExecutionError';
}

/** The query ran past its deadline. */
export class QueryTimeoutError extends Error {
  override name = 'QueryTimeoutError';
  /** What to tell the client instead of the catalogue's message, when there is more to say. */
  constructor(
    message: string,
    readonly clientMessage?: string,
  ) {
    super(message);
  }
}

/** The client went away (or the server is stopping): the query was stopped. */
export class QueryCancelledError extends Error {
  override name = 'QueryCancelledError';
}

/** The query needs more memory than a query may use (rows held by ORDER BY, GROUP BY, DISTINCT, joins). */
export class QueryResourceError extends Error {
  override name = 'QueryResourceError';
}
