/**
 * A streaming N-Triples / N-Quads parser that emits canonical term keys (see term-key.ts).
 * It is the bulk-load path, so it scans characters directly and builds no term objects: a term
 * already written canonically (the usual case) becomes its key by a single slice. Chunks may
 * split lines anywhere; only the unfinished last line is kept, so memory is bounded by the
 * longest line. Errors carry the line and (character) column of the first bad character.
 */
import { RdfSyntaxError } from './syntax-error.ts';
import { escapeIri, escapeLiteral, XSD_STRING, RDF_LANG_STRING, type TermKey } from './term-key.ts';

/** Receives each quad; `graph` is undefined for the default graph. */
export type KeyQuadSink = (subject: TermKey, predicate: TermKey, object: TermKey, graph: TermKey | undefined) => void;

/** Maps a blank node label of the payload to the label it gets in the store. */
export type BlankNodeRenamer = (label: string) => string;

const MAX_LINE_CHARS = 64 * 1024 * 1024;

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const IRI_FORBIDDEN = /[\u0000-\u0020<>"{}|^`]/;
const LANGUAGE_TAG = /^[a-zA-Z]+(?:-[a-zA-Z0-9]+)*$/;
// PN_CHARS_U | [0-9] first; then PN_CHARS | '.', not ending with '.' (N-Triples BLANK_NODE_LABEL).
const BLANK_LABEL =
  /_:[A-Za-z0-9_\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800-\uDFFF](?:[A-Za-z0-9_\-.\u00B7\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u037D\u037F-\u1FFF\u200C\u200D\u203F\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800-\uDFFF]*[A-Za-z0-9_\-\u00B7\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u037D\u037F-\u1FFF\u200C\u200D\u203F\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800-\uDFFF])?/y;

class LineError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
  }
}

export class NTriplesParser {
  private pending = '';
  private lineNumber = 0;
  /** Code points consumed, for progress and limits. */
  quadCount = 0;

  constructor(
    private readonly quadsAllowed: boolean,
    private readonly sink: KeyQuadSink,
    private readonly renameBlank: BlankNodeRenamer,
  ) {}

  /** Parses every complete line of `chunk` (plus what was pending). */
  push(chunk: string): void {
    let text = this.pending + chunk;
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline < 0) break;
      let end = newline;
      if (end > start && text.charCodeAt(end - 1) === 13) end--;
      this.parseLine(text, start, end);
      start = newline + 1;
    }
    this.pending = text.slice(start);
    // A lone CR also ends a line in N-Triples (EOL ::= [#xD#xA]+); handle CR-only files.
    if (this.pending.includes('\r')) {
      text = this.pending;
      start = 0;
      for (;;) {
        const cr = text.indexOf('\r', start);
        if (cr < 0 || cr === text.length - 1) break;
        this.parseLine(text, start, cr);
        start = cr + 1;
      }
      this.pending = text.slice(start);
    }
    if (this.pending.length > MAX_LINE_CHARS) {
      throw new RdfSyntaxError(`line longer than ${MAX_LINE_CHARS} characters`, this.lineNumber + 1, 1);
    }
  }

  /** Parses the last line, which may lack a newline. */
  end(): void {
    let last = this.pending;
    this.pending = '';
    if (last.endsWith('\r')) last = last.slice(0, -1);
    if (last.length > 0) this.parseLine(last, 0, last.length);
  }

  private parseLine(text: string, start: number, end: number): void {
    this.lineNumber++;
    try {
      this.parseStatement(text, start, end);
    } catch (error) {
      if (error instanceof LineError) {
        // Column in characters (code points), 1-based.
        const column = [...text.slice(start, Math.min(error.index, end))].length + 1;
        throw new RdfSyntaxError(error.message, this.lineNumber, column);
      }
      throw error;
    }
  }

  private parseStatement(text: string, start: number, end: number): void {
    let i = skipSpace(text, start, end);
    if (i === end || text.charCodeAt(i) === 35 /* # */) return;
    const subject = this.subjectOrGraph(text, i, end, 'subject');
    i = skipSpace(text, this.next, end);
    if (text.charCodeAt(i) !== 60) throw new LineError('expected an IRI as predicate', i);
    const predicate = this.iri(text, i, end);
    i = skipSpace(text, this.next, end);
    const object = this.object(text, i, end);
    i = skipSpace(text, this.next, end);
    let graph: TermKey | undefined;
    const c = text.charCodeAt(i);
    if (c === 60 || c === 95) {
      if (!this.quadsAllowed) throw new LineError('expected "." (a graph name is allowed in N-Quads only)', i);
      graph = this.subjectOrGraph(text, i, end, 'graph name');
      i = skipSpace(text, this.next, end);
    }
    if (text.charCodeAt(i) !== 46 /* . */) throw new LineError('expected "." at the end of the statement', i);
    i = skipSpace(text, i + 1, end);
    if (i < end && text.charCodeAt(i) !== 35) throw new LineError('unexpected text after "."', i);
    this.quadCount++;
    this.sink(subject, predicate, object, graph);
  }

  /** End index of the last term read. */
  private next = 0;

  private subjectOrGraph(text: string, i: number, end: number, what: string): TermKey {
    const c = text.charCodeAt(i);
    if (c === 60) return this.iri(text, i, end);
    if (c === 95) return this.blank(text, i, end);
    throw new LineError(`expected an IRI or a blank node as ${what}`, i);
  }

  private object(text: string, i: number, end: number): TermKey {
    const c = text.charCodeAt(i);
    if (c === 60) return this.iri(text, i, end);
    if (c === 95) return this.blank(text, i, end);
    if (c === 34) return this.literal(text, i, end);
    throw new LineError('expected an IRI, a blank node or a literal as object', i);
  }

  private blank(text: string, i: number, end: number): TermKey {
    BLANK_LABEL.lastIndex = i;
    const match = BLANK_LABEL.exec(text);
    if (!match || i + match[0].length > end) throw new LineError('invalid blank node label', i + 2);
    this.next = i + match[0].length;
    return `_:${this.renameBlank(match[0].slice(2))}`;
  }

  /** Reads `<...>` at i (text[i] is `<`). */
  private iri(text: string, i: number, end: number): TermKey {
    const close = text.indexOf('>', i + 1);
    if (close < 0 || close >= end) throw new LineError('unterminated IRI', i);
    this.next = close + 1;
    let value = text.slice(i + 1, close);
    const hasEscape = value.includes('\\');
    if (hasEscape) value = decodeIriEscapes(value, i + 1);
    const bad = IRI_FORBIDDEN.exec(value);
    if (bad) throw new LineError(`character ${JSON.stringify(bad[0])} is not allowed in an IRI`, hasEscape ? i + 1 : i + 1 + bad.index);
    if (!SCHEME.test(value)) throw new LineError('relative IRI (N-Triples needs absolute IRIs)', i + 1);
    return hasEscape ? `<${escapeIri(value)}>` : text.slice(i, close + 1);
  }

  /** Reads a literal at i (text[i] is `"`), with its language tag or datatype. */
  private literal(text: string, i: number, end: number): TermKey {
    let j = i + 1;
    let escaped = false;
    for (;;) {
      if (j >= end) throw new LineError('unterminated string literal', i);
      const c = text.charCodeAt(j);
      if (c === 34) break;
      if (c === 92) {
        escaped = true;
        j += 2;
        continue;
      }
      j++;
    }
    let lexical = text.slice(i + 1, j);
    let canonicalBody = escaped ? null : lexical;
    if (escaped) {
      lexical = decodeStringEscapes(lexical, i + 1);
      canonicalBody = escapeLiteral(lexical);
    } else if (lexical.includes('\r')) {
      throw new LineError('raw carriage return in a string literal', i + 1 + lexical.indexOf('\r'));
    }
    let k = j + 1;
    const after = text.charCodeAt(k);
    if (after === 64 /* @ */) {
      let e = k + 1;
      while (e < end && isLangChar(text.charCodeAt(e))) e++;
      const language = text.slice(k + 1, e);
      if (!LANGUAGE_TAG.test(language)) throw new LineError('invalid language tag', k + 1);
      this.next = e;
      return `"${canonicalBody}"@${language.toLowerCase()}`;
    }
    if (after === 94 /* ^ */) {
      if (text.charCodeAt(k + 1) !== 94 || text.charCodeAt(k + 2) !== 60) throw new LineError('expected ^^<datatype IRI>', k);
      const datatype = this.iri(text, k + 2, end);
      if (datatype === `<${XSD_STRING}>`) return `"${canonicalBody}"`;
      if (datatype === `<${RDF_LANG_STRING}>`) throw new LineError('rdf:langString needs a language tag', k + 2);
      return `"${canonicalBody}"^^${datatype}`;
    }
    this.next = k;
    return `"${canonicalBody}"`;
  }
}

function isLangChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45;
}

function skipSpace(text: string, i: number, end: number): number {
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) break;
    i++;
  }
  return i;
}

function hexEscape(text: string, at: number, digits: number, offset: number): string {
  const hex = text.slice(at, at + digits);
  if (hex.length !== digits || !/^[0-9A-Fa-f]+$/.test(hex)) throw new LineError('invalid \\u escape', offset + at - 2);
  const code = parseInt(hex, 16);
  if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new LineError('escape is not a Unicode scalar value', offset + at - 2);
  return String.fromCodePoint(code);
}

/** IRIs allow only \uXXXX and \UXXXXXXXX. `offset` maps string indexes back to the line. */
function decodeIriEscapes(value: string, offset: number): string {
  let out = '';
  let i = 0;
  for (;;) {
    const b = value.indexOf('\\', i);
    if (b < 0) return out + value.slice(i);
    out += value.slice(i, b);
    const kind = value[b + 1];
    if (kind === 'u') out += hexEscape(value, b + 2, 4, offset);
    else if (kind === 'U') out += hexEscape(value, b + 2, 8, offset);
    else throw new LineError('only \\u and \\U escapes are allowed in IRIs', offset + b);
    i = b + (kind === 'u' ? 6 : 10);
  }
}

const ECHAR: Record<string, string> = { t: '\t', b: '\b', n: '\n', r: '\r', f: '\f', '"': '"', "'": "'", '\\': '\\' };

function decodeStringEscapes(value: string, offset: number): string {
  let out = '';
  let i = 0;
  for (;;) {
    const b = value.indexOf('\\', i);
    if (b < 0) {
      const rest = value.slice(i);
      if (rest.includes('\r')) throw new LineError('raw carriage return in a string literal', offset + i + rest.indexOf('\r'));
      return out + rest;
    }
    out += value.slice(i, b);
    const kind = value[b + 1];
    if (kind === 'u') {
      out += hexEscape(value, b + 2, 4, offset);
      i = b + 6;
    } else if (kind === 'U') {
      out += hexEscape(value, b + 2, 8, offset);
      i = b + 10;
    } else if (kind !== undefined && kind in ECHAR) {
      out += ECHAR[kind];
      i = b + 2;
    } else {
      throw new LineError('invalid escape sequence', offset + b);
    }
  }
}
