/**
 * The canonical text of one RDF term, as the store keys it: the term written in canonical
 * N-Triples (RDF 1.1 §"Canonical N-Triples"): IRIs raw between `<>`, literals with only `"`,
 * `\`, LF and CR escaped, `xsd:string` written as a simple literal, language tags lower-cased.
 * Two equal RDF terms always have the same key and two different terms never do, so the key is
 * both the dictionary key and, concatenated, valid N-Triples/N-Quads output. Lexical forms are
 * kept exactly: `"01"^^xsd:integer` stays `"01"`.
 */
import type { Term as RdfTerm, Quad as RdfQuad } from '@rdfjs/types';
import { DataFactory } from 'n3';

export const XSD = 'http://www.w3.org/2001/XMLSchema#';
export const XSD_STRING = `${XSD}string`;
export const RDF_LANG_STRING = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString';

/** A term as the store sees it: its canonical N-Triples text. */
export type TermKey = string;

/** Escapes a lexical form the canonical way: only `"`, `\`, LF and CR. */
export function escapeLiteral(lexical: string): string {
  if (!/["\\\n\r]/.test(lexical)) return lexical;
  return lexical.replace(/["\\\n\r]/g, (c) => (c === '"' ? '\\"' : c === '\\' ? '\\\\' : c === '\n' ? '\\n' : '\\r'));
}

/** Characters that cannot appear raw inside `<...>` in N-Triples; written as \u escapes. */
const IRI_UNSAFE = /[\u0000-\u0020<>"{}|^`\\]/g;

export function escapeIri(iri: string): string {
  if (!IRI_UNSAFE.test(iri)) return iri;
  IRI_UNSAFE.lastIndex = 0;
  return iri.replace(IRI_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
}

export function iriKey(iri: string): TermKey {
  return `<${escapeIri(iri)}>`;
}

export function blankNodeKey(label: string): TermKey {
  return `_:${label}`;
}

export function literalKey(lexical: string, language?: string, datatype?: string): TermKey {
  const body = `"${escapeLiteral(lexical)}"`;
  if (language) return `${body}@${language.toLowerCase()}`;
  if (!datatype || datatype === XSD_STRING || datatype === RDF_LANG_STRING) return body;
  return `${body}^^<${escapeIri(datatype)}>`;
}

/** The key of an RDF/JS term (n3, sparqljs) or of a plain term description (keyToTerm's inverse). */
export function termToKey(term: RdfTerm | Term): TermKey {
  switch (term.termType) {
    case 'NamedNode':
      return iriKey(term.value);
    case 'BlankNode':
      return blankNodeKey(term.value);
    case 'Literal':
      return literalKey(term.value, term.language, typeof term.datatype === 'string' ? term.datatype : term.datatype.value);
    default:
      throw new TypeError(`cannot store a ${term.termType} term`);
  }
}

/** termToKey for plain term descriptions: the name the evaluator uses. */
export const plainTermToKey: (term: Term) => TermKey = termToKey;

/** Undoes the \uXXXX / \UXXXXXXXX / ECHAR escapes of canonical N-Triples text. */
function unescape(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))/g, (_m, u4, u8, c) => {
    if (u4) return String.fromCharCode(parseInt(u4, 16));
    if (u8) return String.fromCodePoint(parseInt(u8, 16));
    switch (c) {
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'b': return '\b';
      case 'f': return '\f';
      default: return c;
    }
  });
}

export type Term =
  | { termType: 'NamedNode'; value: string }
  | { termType: 'BlankNode'; value: string }
  | { termType: 'Literal'; value: string; language: string; datatype: string };

/** Parses a key back into a plain term description. Keys come only from the store. */
export function keyToTerm(key: TermKey): Term {
  const first = key.charCodeAt(0);
  if (first === 0x3c /* < */) return { termType: 'NamedNode', value: unescape(key.slice(1, -1)) };
  if (first === 0x5f /* _ */) return { termType: 'BlankNode', value: key.slice(2) };
  // A literal: find the closing quote (the first `"` not preceded by an odd run of `\`).
  let end = 1;
  for (;;) {
    end = key.indexOf('"', end);
    let backslashes = 0;
    for (let i = end - 1; key.charCodeAt(i) === 0x5c; i--) backslashes++;
    if (backslashes % 2 === 0) break;
    end++;
  }
  const value = unescape(key.slice(1, end));
  const rest = key.slice(end + 1);
  if (rest.startsWith('@')) return { termType: 'Literal', value, language: rest.slice(1), datatype: RDF_LANG_STRING };
  if (rest.startsWith('^^')) return { termType: 'Literal', value, language: '', datatype: unescape(rest.slice(3, -1)) };
  return { termType: 'Literal', value, language: '', datatype: XSD_STRING };
}

export function keyToRdfTerm(key: TermKey) {
  const term = keyToTerm(key);
  switch (term.termType) {
    case 'NamedNode':
      return DataFactory.namedNode(term.value);
    case 'BlankNode':
      return DataFactory.blankNode(term.value);
    case 'Literal':
      return DataFactory.literal(term.value, term.language || DataFactory.namedNode(term.datatype));
  }
}

/** A quad of keys; `graph` undefined is the default graph. */
export interface KeyQuad {
  subject: TermKey;
  predicate: TermKey;
  object: TermKey;
  graph: TermKey | undefined;
}

export function keyQuadToRdf(quad: KeyQuad): RdfQuad {
  return DataFactory.quad(
    keyToRdfTerm(quad.subject) as RdfQuad['subject'],
    keyToRdfTerm(quad.predicate) as RdfQuad['predicate'],
    keyToRdfTerm(quad.object) as RdfQuad['object'],
    quad.graph === undefined ? DataFactory.defaultGraph() : (keyToRdfTerm(quad.graph) as RdfQuad['graph']),
  );
}
