/**
 * Parses SPARQL text with sparqljs and turns its errors into SparqlSyntaxError with a line and
 * column. A `BASE` given by the caller (the protocol's request IRI, or the conformance harness)
 * resolves relative IRIs.
 */
import sparqljs from 'sparqljs';
import type { SparqlQuery } from 'sparqljs';
import { SparqlSyntaxError, SparqlSemanticError } from './sparql-errors.ts';

export function parseSparql(text: string, baseIri?: string): SparqlQuery {
  const parser = new sparqljs.Parser({ baseIRI: baseIri });
  try {
    return parser.parse(text);
  } catch (error) {
    const hash = (error as { hash?: { loc?: { first_line: number; first_column: number }; line?: number } }).hash;
    const message = (error as Error).message.split('\n')[0].replace(/^Parse error on line \d+:?/, 'syntax error').trim() || 'syntax error';
    if (hash?.loc) throw new SparqlSyntaxError(expectedTokens(error as Error) ?? message, hash.loc.first_line, hash.loc.first_column + 1);
    if (hash?.line !== undefined) throw new SparqlSyntaxError(message, hash.line + 1, 1);
    // sparqljs reports some rule violations (e.g. ungrouped projections) as plain errors.
    throw new SparqlSemanticError((error as Error).message);
  }
}

/** sparqljs lists what it expected on the last line of its message; keep that short. */
function expectedTokens(error: Error): string | undefined {
  const last = error.message.split('\n').pop() ?? '';
  const match = /^Expecting (.*), got '([^']*)'$/.exec(last);
  if (!match) return undefined;
  const expected = match[1].split(', ').slice(0, 6).join(', ');
  return `unexpected ${match[2]}, expecting ${expected}${match[1].split(', ').length > 6 ? ', ...' : ''}`;
}
