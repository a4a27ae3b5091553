/** A syntax error in RDF or SPARQL text, with the 1-based line and column of its first offending character. */
export class RdfSyntaxError extends Error {
  override name = 'RdfSyntaxError';
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} (line ${line}, column ${column})`);
  }
}
