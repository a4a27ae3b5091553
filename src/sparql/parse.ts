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
  // sparqljs names anonymous blank nodes ([] and property lists) from a counter shared by all
  // parses; reset it so the same text always parses to the same labels (replicas replay updates).
  parser._resetBlanks();
  try {
    return parser.parse(text);
  } catch (error) {
    const hash = (error as { hash?: { loc?: { first_line: number; first_column: number }; line?: number } }).hash;
    const message = (error as Error).message.split('\n')[0].replace(/^Parse error on line \d+:?/, 'syntax error').trim() || 'syntax error';
    if (hash?.loc) {
      const line = hash.loc.first_line;
      throw new SparqlSyntaxError(expectedTokens(error as Error) ?? message, line, offendingColumn(text, error as Error, line, hash.loc.first_column));
    }
    if (hash?.line !== undefined) throw new SparqlSyntaxError(message, hash.line + 1, 1);
    // sparqljs reports some rule violations (e.g. ungrouped projections) as plain errors.
    throw new SparqlSemanticError((error as Error).message);
  }
}

/**
 * Jison's location can be the token before the offending one; the message names the token it
 * got, so look for it on the line from there. 1-based.
 */
function offendingColumn(text: string, error: Error, line: number, firstColumn: number): number {
  const lineText = text.split(/\r\n|\r|\n/)[line - 1] ?? '';
  const got = /got '([^']*)'$/.exec(error.message.split('\n').pop() ?? '')?.[1];
  if (got === 'EOF') return lineText.length + 1;
  if (got) {
    const at = lineText.indexOf(got, firstColumn);
    if (at >= 0) return at + 1;
  }
  return firstColumn + 1;
}

/** sparqljs lists what it expected on the last line of its message; keep that short. */
function expectedTokens(error: Error): string | undefined {
  const last = error.message.split('\n').pop() ?? '';
  const match = /^Expecting (.*), got '([^']*)'$/.exec(last);
  if (!match) return undefined;
  const expected = match[1].split(', ').slice(0, 6).join(', ');
  return `unexpected ${match[2]}, expecting ${expected}${match[1].split(', ').length > 6 ? ', ...' : ''}`;
}
