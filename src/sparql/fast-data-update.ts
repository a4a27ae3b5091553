/**
 * A fast path for the most common update: INSERT DATA / DELETE DATA of ground triples written
 * with full IRIs and double-quoted strings, as benchmarks and bulk writers send them. Parsing such
 * tiny updates with sparqljs was about 14% of the leader's CPU under a write benchmark.
 *
 * `fastDataOperations` reads the text directly and returns exactly what
 * `dataOperations(prepareUpdate(text))` returns, or undefined for anything outside the small
 * subset below; the caller then runs the full parser, so undefined is always a safe answer. Two
 * rules keep it exact: accept only text that sparqljs accepts with the same meaning (the subset
 * is narrower than SPARQL 1.1 §19 and than sparqljs's lexer at every point), and build every key
 * with term-key's helpers, as the full path does.
 *
 *   Update  ::= WS* Op ( WS* ';' WS* Op )* ( WS* ';' )? WS*
 *   Op      ::= ( 'INSERT' | 'DELETE' ) WS+ 'DATA' WS* '{' Quads '}'      keywords in any case
 *   Quads   ::= SPARQL's Quads, with GRAPH <iri> only, over the triples below
 *   Triple  ::= IRI WS* IRI WS* ( IRI | String ( '@' LANGTAG | '^^' IRI )? )
 *   IRI     ::= '<' absolute IRI, no escapes, no character IRIREF forbids '>'
 *   String  ::= '"' ( a character but " \ LF CR | \t | \n | \r | \" | \\ )* '"'   not """long"""
 *   WS      ::= space, tab, LF or CR                  no comments: '#' only inside IRIs and strings
 *
 * Not in the subset (undefined): PREFIX and BASE, prefixed names, `a`, blank nodes, variables,
 * numbers, booleans, single-quoted and long strings, \u escapes, other ECHARs, ';' and ','
 * lists, whitespace before '@' or '^^', other whitespace characters, any lone surrogate.
 */
import { iriKey, literalKey, type TermKey } from '../rdf/term-key.ts';
import type { DataOperation, DataQuad } from './update-engine.ts';

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const DOT = 46;
const SEMICOLON = 59;
const LESS = 60;
const GREATER = 62;
const AT = 64;
const BACKSLASH = 92;
const CARET = 94;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

/** sparqljs returns an IRI unresolved exactly when it matches this (its `resolveIRI`). */
const ABSOLUTE_IRI = /^[a-z][a-z0-9.+-]*:/i;
/** sparqljs's LANGTAG, without the '@'. */
const LANGUAGE_TAG = /^[a-zA-Z]+(?:-[a-zA-Z0-9]+)*$/;
/** A lone surrogate: sparqljs rejects some of them in strings; refusing all keeps this simple. */
const LONE_SURROGATE = /\p{Cs}/u;

/** What came last inside a `{ ... }`: it decides whether a '.' or a triple may come next. */
const enum Previous {
  Open,
  Triple,
  Dot,
  Graph,
}

export function fastDataOperations(text: string): DataOperation[] | undefined {
  if (LONE_SURROGATE.test(text)) return undefined;
  return new Scanner(text).update();
}

/** Reads the subset left to right; every method returns undefined (or false) on anything else. */
class Scanner {
  private position = 0;

  constructor(private readonly text: string) {}

  update(): DataOperation[] | undefined {
    const text = this.text;
    const operations: DataOperation[] = [];
    for (;;) {
      this.skipSpace();
      // Only after a ';': the grammar allows one trailing separator (Update ::= Prologue (Update1 (';' Update)?)?).
      if (operations.length > 0 && this.position === text.length) return operations;
      const kind = this.operationKeyword();
      if (kind === undefined) return undefined;
      this.skipSpace();
      if (text.charCodeAt(this.position) !== OPEN_BRACE) return undefined;
      this.position++;
      const quads = this.quadData();
      if (quads === undefined) return undefined;
      operations.push({ kind, quads });
      this.skipSpace();
      if (this.position === text.length) return operations;
      if (text.charCodeAt(this.position) !== SEMICOLON) return undefined;
      this.position++;
    }
  }

  /** `INSERT DATA` or `DELETE DATA`: sparqljs lexes each as one token, with whitespace inside. */
  private operationKeyword(): 'insert' | 'delete' | undefined {
    const kind = this.keyword('insert') ? 'insert' : this.keyword('delete') ? 'delete' : undefined;
    if (kind === undefined) return undefined;
    const afterKeyword = this.position;
    this.skipSpace();
    if (this.position === afterKeyword || !this.keyword('data')) return undefined;
    return kind;
  }

  /**
   * SPARQL's Quads (§19.8 [50]) up to and including the closing brace. sparqljs lists the triples
   * before the first GRAPH block after everything else, so they are collected apart.
   */
  private quadData(): DataQuad[] | undefined {
    const text = this.text;
    const leading: DataQuad[] = [];
    const rest: DataQuad[] = [];
    let target = leading;
    let previous = Previous.Open;
    for (;;) {
      this.skipSpace();
      const c = text.charCodeAt(this.position);
      if (c === CLOSE_BRACE) {
        this.position++;
        return rest.length === 0 ? leading : rest.concat(leading);
      }
      if (c === DOT) {
        if (previous !== Previous.Triple && previous !== Previous.Graph) return undefined;
        this.position++;
        previous = Previous.Dot;
      } else if (c === LESS) {
        if (previous === Previous.Triple) return undefined;
        const quad = this.triple(null);
        if (quad === undefined) return undefined;
        target.push(quad);
        previous = Previous.Triple;
      } else if (this.keyword('graph')) {
        this.skipSpace();
        const graph = this.iri();
        if (graph === undefined) return undefined;
        this.skipSpace();
        if (text.charCodeAt(this.position) !== OPEN_BRACE) return undefined;
        this.position++;
        if (!this.graphTriples(iriKey(graph), rest)) return undefined;
        target = rest;
        previous = Previous.Graph;
      } else {
        return undefined;
      }
    }
  }

  /** TriplesTemplate? '}' of a GRAPH block (§19.8 [52]), each triple in `graph`. */
  private graphTriples(graph: TermKey, out: DataQuad[]): boolean {
    const text = this.text;
    let previous = Previous.Open;
    for (;;) {
      this.skipSpace();
      const c = text.charCodeAt(this.position);
      if (c === CLOSE_BRACE) {
        this.position++;
        return true;
      }
      if (c === DOT) {
        if (previous !== Previous.Triple) return false;
        this.position++;
        previous = Previous.Dot;
      } else if (c === LESS) {
        if (previous === Previous.Triple) return false;
        const quad = this.triple(graph);
        if (quad === undefined) return false;
        out.push(quad);
        previous = Previous.Triple;
      } else {
        return false;
      }
    }
  }

  private triple(graph: TermKey | null): DataQuad | undefined {
    const text = this.text;
    const subject = this.iri();
    if (subject === undefined) return undefined;
    this.skipSpace();
    const predicate = this.iri();
    if (predicate === undefined) return undefined;
    this.skipSpace();
    const c = text.charCodeAt(this.position);
    let object: TermKey | undefined;
    if (c === LESS) {
      const iri = this.iri();
      object = iri === undefined ? undefined : iriKey(iri);
    } else if (c === QUOTE) {
      object = this.literal();
    }
    if (object === undefined) return undefined;
    return [iriKey(subject), iriKey(predicate), object, graph];
  }

  /** An absolute IRIREF at the position; its value (sparqljs neither unescapes nor resolves it). */
  private iri(): string | undefined {
    const text = this.text;
    if (text.charCodeAt(this.position) !== LESS) return undefined;
    const start = this.position + 1;
    let i = start;
    for (;;) {
      if (i >= text.length) return undefined;
      const c = text.charCodeAt(i);
      if (c === GREATER) break;
      // IRIREF: ([^<>"{}|^`\] - [#x00-#x20])*
      if (c <= SPACE || c === LESS || c === QUOTE || c === OPEN_BRACE || c === CLOSE_BRACE || c === 124 /* | */ || c === CARET || c === 96 /* ` */ || c === BACKSLASH) return undefined;
      i++;
    }
    const value = text.slice(start, i);
    if (!ABSOLUTE_IRI.test(value)) return undefined;
    this.position = i + 1;
    return value;
  }

  /** A STRING_LITERAL2 with its language tag or datatype; its key. */
  private literal(): TermKey | undefined {
    const text = this.text;
    const start = this.position + 1;
    // A """long string""" would also fail below (at its third quote); refused here to say so.
    if (text.charCodeAt(start) === QUOTE && text.charCodeAt(start + 1) === QUOTE) return undefined;
    let lexical = '';
    let chunkStart = start;
    let i = start;
    for (;;) {
      if (i >= text.length) return undefined;
      const c = text.charCodeAt(i);
      if (c === QUOTE) break;
      if (c === LF || c === CR) return undefined;
      if (c === BACKSLASH) {
        const decoded = ESCAPED[text.charCodeAt(i + 1)];
        if (decoded === undefined) return undefined;
        lexical += text.slice(chunkStart, i) + decoded;
        i += 2;
        chunkStart = i;
        continue;
      }
      i++;
    }
    lexical += text.slice(chunkStart, i);
    i++;
    const after = text.charCodeAt(i);
    if (after === AT) {
      let end = i + 1;
      while (end < text.length && isLanguageChar(text.charCodeAt(end))) end++;
      const language = text.slice(i + 1, end);
      if (!LANGUAGE_TAG.test(language)) return undefined;
      this.position = end;
      return literalKey(lexical, language);
    }
    if (after === CARET) {
      if (text.charCodeAt(i + 1) !== CARET) return undefined;
      this.position = i + 2;
      const datatype = this.iri();
      if (datatype === undefined) return undefined;
      return literalKey(lexical, undefined, datatype);
    }
    this.position = i;
    return literalKey(lexical);
  }

  /** Consumes `word` (lower case) in any case. */
  private keyword(word: string): boolean {
    const text = this.text;
    const at = this.position;
    if (at + word.length > text.length) return false;
    for (let k = 0; k < word.length; k++) {
      // ASCII only: sparqljs's case-insensitive regexes (no `u` flag) fold no other letter onto these.
      if ((text.charCodeAt(at + k) | 0x20) !== word.charCodeAt(k)) return false;
    }
    this.position = at + word.length;
    return true;
  }

  private skipSpace(): void {
    const text = this.text;
    let i = this.position;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c !== SPACE && c !== LF && c !== TAB && c !== CR) break;
      i++;
    }
    this.position = i;
  }
}

/** The ECHARs in the subset, by the character after the backslash. */
const ESCAPED: Record<number, string> = { 116: '\t', 110: '\n', 114: '\r', [QUOTE]: '"', [BACKSLASH]: '\\' };

function isLanguageChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45;
}
