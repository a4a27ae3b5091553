/**
 * The value layer of SPARQL 1.1 expressions (spec §17): the operators of §17.3 and the built-in
 * functions and casts of §17.4-17.5, each a pure function from RDF terms to an RDF term. Every
 * failure the spec calls an error (a type error, an ill-typed operand, an unknown function,
 * division of exact numbers by zero) is thrown as an ExpressionError; the evaluator decides what
 * it means (FILTER: false, BIND: unbound, IF/COALESCE: next branch). Nothing here reads a clock,
 * a random source or a store: NOW, RAND, UUID and BNODE take their values from the caller's
 * FunctionContext so every replica computes the same update.
 *
 * Beyond §17.3, xsd:date, xsd:time and xsd:dayTimeDuration compare with their XPath operators
 * (the extension §17.3.1 allows), and two different language-tagged strings are unequal rather
 * than an error (rdf:langString is a known datatype in RDF 1.1). REGEX and REPLACE take XPath
 * regular expressions (F&O §5.6), translated here to JS RegExp with the `u` flag.
 *
 * Logical-or, logical-and, IF, COALESCE, IN, BOUND and EXISTS need lazy evaluation of their
 * arguments and belong to the evaluator, not here.
 */
import { createHash } from 'node:crypto';
import type { Term } from '../rdf/term-key.ts';
import { XSD_STRING, RDF_LANG_STRING } from '../rdf/term-key.ts';
import {
  XSD_BOOLEAN,
  XSD_DATE_TIME,
  XSD_DAY_TIME_DURATION,
  XSD_DECIMAL,
  XSD_DOUBLE,
  XSD_FLOAT,
  XSD_INTEGER,
  INTEGER_SUBTYPE_RANGES,
  isNumericDatatype,
  dateTimeCompare,
  dateTimeFromDate,
  compareCodePoints,
  decimalCompare,
  decimalFromBigInt,
  decimalFromFloating,
  decimalTruncate,
  formatDateTimeCanonical,
  formatDateCanonical,
  formatTimeCanonical,
  formatDayTimeDurationCanonical,
  formatDecimalPlain,
  formatNumericAsString,
  formatNumericCanonical,
  formatTimezoneLexical,
  literalValue,
  numericArithmetic,
  numericCompare,
  numericDatatype,
  numericNegate,
  numericRounding,
  numericToNumber,
  parseBoolean,
  parseDateTime,
  parseDecimal,
  parseDouble,
  parseFloat32,
  parseInteger,
  type LiteralValue,
  type NumericValue,
} from './xsd-values.ts';
import { termsEqual } from './term-order.ts';

/** A SPARQL expression evaluation error (§17.2): FILTER reads it as false, BIND as unbound. */
export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

/** What a function may need from outside the expression. All of it is supplied, never read globally. */
export interface FunctionContext {
  /** The query's instant: every NOW() of one query returns it (§17.4.5.1). */
  now: Date;
  /** Deterministic source of RAND() values in [0, 1). */
  random(): number;
  /** A fresh UUID (lower-case, 8-4-4-4-12) for UUID() and STRUUID(). */
  uuid(): string;
  /** Base IRI that IRI()/URI() resolve relative references against. */
  baseIri?: string;
  /**
   * A fresh blank node; with a label, the same node for the same label within one solution (the
   * caller keeps that memo and resets it per solution, §17.4.2.9).
   */
  freshBlankNode(label?: string): Term;
}

type Literal = Extract<Term, { termType: 'Literal' }>;

export type Operator = '=' | '!=' | '<' | '>' | '<=' | '>=' | '+' | '-' | '*' | '/' | 'UMINUS' | 'UPLUS' | '!';

// ---------------------------------------------------------------------------------------------
// Term construction

function literal(value: string, datatype: string = XSD_STRING, language = ''): Literal {
  return { termType: 'Literal', value, language, datatype };
}

const TRUE = literal('true', XSD_BOOLEAN);
const FALSE = literal('false', XSD_BOOLEAN);

function booleanTerm(value: boolean): Literal {
  return value ? TRUE : FALSE;
}

function numericTerm(n: NumericValue): Literal {
  return literal(formatNumericCanonical(n), numericDatatype(n.kind));
}

/**
 * A number computed by one of the XPath fn:* functions (ABS, CEIL, FLOOR, ROUND, SECONDS): as
 * numericTerm, except that an integral decimal is written "3", not "3.0" (see formatDecimalPlain).
 */
function fnNumericTerm(n: NumericValue): Literal {
  return n.kind === 'decimal' ? literal(formatDecimalPlain(n.value), XSD_DECIMAL) : numericTerm(n);
}

function integerTerm(value: bigint | number): Literal {
  return literal(String(value), XSD_INTEGER);
}

/** A string literal carrying over the language tag of `like` (simple stays simple). */
function stringLike(value: string, like: Literal): Literal {
  return like.datatype === RDF_LANG_STRING ? literal(value, RDF_LANG_STRING, like.language) : literal(value);
}

// ---------------------------------------------------------------------------------------------
// Argument checks

function fail(message: string): never {
  throw new ExpressionError(message);
}

function arity(name: string, args: Term[], min: number, max = min): void {
  if (args.length < min || args.length > max) fail(`${name} takes ${min === max ? min : `${min} to ${max}`} arguments, got ${args.length}`);
}

function describe(term: Term): string {
  if (term.termType === 'NamedNode') return `<${term.value}>`;
  if (term.termType === 'BlankNode') return `_:${term.value}`;
  if (term.language) return `"${term.value}"@${term.language}`;
  return term.datatype === XSD_STRING ? `"${term.value}"` : `"${term.value}"^^<${term.datatype}>`;
}

function asLiteral(term: Term, what: string): Literal {
  if (term.termType !== 'Literal') fail(`${what}: expected a literal, got ${describe(term)}`);
  return term;
}

/** A simple literal or xsd:string (which RDF 1.1 makes the same thing). */
function asSimpleString(term: Term, what: string): Literal {
  if (term.termType !== 'Literal' || term.datatype !== XSD_STRING) fail(`${what}: expected a simple literal or xsd:string, got ${describe(term)}`);
  return term;
}

/** A "string literal" of §17.4.3.1.1: simple, xsd:string or language-tagged. */
function asStringLiteral(term: Term, what: string): Literal {
  if (term.termType !== 'Literal' || (term.datatype !== XSD_STRING && term.datatype !== RDF_LANG_STRING)) {
    fail(`${what}: expected a string literal, got ${describe(term)}`);
  }
  return term;
}

function asNumeric(term: Term, what: string): NumericValue {
  const value = term.termType === 'Literal' ? literalValue(term) : undefined;
  if (value?.kind !== 'numeric') fail(`${what}: expected a number, got ${describe(term)}`);
  return value.value;
}

function asDateTime(term: Term, what: string) {
  const value = term.termType === 'Literal' && term.datatype === XSD_DATE_TIME ? parseDateTime(term.value) : undefined;
  if (!value) fail(`${what}: expected an xsd:dateTime, got ${describe(term)}`);
  return value;
}

/**
 * Argument compatibility of §17.4.3.1.2: both simple/xsd:string, both with the same language
 * tag, or the first tagged and the second simple/xsd:string.
 */
function compatibleStrings(name: string, args: Term[]): [Literal, Literal] {
  const first = asStringLiteral(args[0], name);
  const second = asStringLiteral(args[1], name);
  const compatible =
    second.datatype === XSD_STRING || (first.datatype === RDF_LANG_STRING && first.language.toLowerCase() === second.language.toLowerCase());
  if (!compatible) fail(`${name}: incompatible arguments ${describe(first)} and ${describe(second)}`);
  return [first, second];
}

// ---------------------------------------------------------------------------------------------
// Effective boolean value and operators

/** §17.2.2. */
export function effectiveBooleanValue(term: Term): boolean {
  if (term.termType !== 'Literal') fail(`no effective boolean value for ${describe(term)}`);
  if (term.datatype === XSD_STRING || term.datatype === RDF_LANG_STRING) return term.value.length > 0;
  const value = literalValue(term);
  if (value?.kind === 'boolean') return value.value;
  if (value?.kind === 'numeric') {
    const n = value.value;
    if (n.kind === 'integer') return n.value !== 0n;
    if (n.kind === 'decimal') return n.value.unscaled !== 0n;
    return !(n.value === 0 || Number.isNaN(n.value));
  }
  // An ill-typed boolean or number has EBV false (§17.2.2, rules 2 and 3).
  if (value?.kind === 'invalid' && (term.datatype === XSD_BOOLEAN || isNumericDatatype(term.datatype))) {
    return false;
  }
  fail(`no effective boolean value for ${describe(term)}`);
}

/**
 * Compares two literal values where §17.3 (or the XPath operator on xsd:date, xsd:time and
 * xsd:dayTimeDuration we extend it with) defines one. undefined: no operator applies, so `=`
 * falls back to RDFterm-equal. 'indeterminate': the partial order says neither (NaN; a dateTime
 * with and one without timezone less than 14 hours apart). 'different-language-strings': two
 * rdf:langString values that differ, which `=` calls false and `<` an error.
 */
function compareValues(a: LiteralValue, b: LiteralValue): -1 | 0 | 1 | 'indeterminate' | 'different-language-strings' | undefined {
  if (a.kind === 'numeric' && b.kind === 'numeric') return numericCompare(a.value, b.value) ?? 'indeterminate';
  if (a.kind === 'string' && b.kind === 'string') return compareCodePoints(a.value, b.value);
  if (a.kind === 'boolean' && b.kind === 'boolean') return a.value === b.value ? 0 : a.value ? 1 : -1;
  if (
    (a.kind === 'dateTime' && b.kind === 'dateTime') ||
    (a.kind === 'date' && b.kind === 'date') ||
    (a.kind === 'time' && b.kind === 'time')
  ) {
    return dateTimeCompare(a.value, b.value) ?? 'indeterminate';
  }
  if (a.kind === 'dayTimeDuration' && b.kind === 'dayTimeDuration') return decimalCompare(a.seconds, b.seconds);
  if (a.kind === 'langString' && b.kind === 'langString') {
    return a.language === b.language && a.value === b.value ? 0 : 'different-language-strings';
  }
  return undefined;
}

/** RDFterm-equal (§17.4.1.7): true for the same term, an error for two different literals. */
function rdfTermEqual(a: Term, b: Term): boolean {
  if (termsEqual(a, b)) return true;
  if (a.termType === 'Literal' && b.termType === 'Literal') fail(`cannot compare ${describe(a)} and ${describe(b)}`);
  return false;
}

function equals(a: Term, b: Term): boolean {
  if (a.termType !== 'Literal' || b.termType !== 'Literal') return termsEqual(a, b);
  const x = literalValue(a);
  const y = literalValue(b);
  if (x && y && x.kind !== 'invalid' && y.kind !== 'invalid') {
    const order = compareValues(x, y);
    if (order === 'indeterminate') {
      // NaN = anything is false; an indeterminate dateTime comparison is an error.
      if (x.kind === 'numeric') return false;
      fail(`cannot compare ${describe(a)} and ${describe(b)}`);
    }
    if (order === 'different-language-strings') return false;
    if (order !== undefined) return order === 0;
  }
  return rdfTermEqual(a, b);
}

function orderOf(op: string, a: Term, b: Term): -1 | 0 | 1 | undefined {
  const x = a.termType === 'Literal' ? literalValue(a) : undefined;
  const y = b.termType === 'Literal' ? literalValue(b) : undefined;
  const order = x && y && x.kind !== 'invalid' && y.kind !== 'invalid' ? compareValues(x, y) : undefined;
  if (order === undefined || order === 'different-language-strings') fail(`${op} is not defined for ${describe(a)} and ${describe(b)}`);
  if (order === 'indeterminate') {
    if (x!.kind === 'numeric') return undefined; // NaN: every ordering comparison is false
    fail(`${describe(a)} and ${describe(b)} have no determinate order`);
  }
  return order;
}

/** The operators of §17.3, over already evaluated operands. */
export function applyOperator(op: Operator, args: Term[]): Term {
  switch (op) {
    case '!':
      arity(op, args, 1);
      return booleanTerm(!effectiveBooleanValue(args[0]));
    case 'UPLUS':
    case 'UMINUS': {
      arity(op, args, 1);
      const n = asNumeric(args[0], op === 'UPLUS' ? 'unary +' : 'unary -');
      return numericTerm(op === 'UPLUS' ? n : numericNegate(n));
    }
    case '+':
    case '-':
    case '*':
    case '/': {
      arity(op, args, 2);
      const result = numericArithmetic(op, asNumeric(args[0], op), asNumeric(args[1], op));
      if (!result) fail('division by zero');
      return numericTerm(result);
    }
    case '=':
      arity(op, args, 2);
      return booleanTerm(equals(args[0], args[1]));
    case '!=':
      arity(op, args, 2);
      return booleanTerm(!equals(args[0], args[1]));
    case '<':
    case '>':
    case '<=':
    case '>=': {
      arity(op, args, 2);
      const order = orderOf(op, args[0], args[1]);
      if (order === undefined) return FALSE;
      const holds = op === '<' ? order < 0 : op === '>' ? order > 0 : op === '<=' ? order <= 0 : order >= 0;
      return booleanTerm(holds);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// IRIs

/** RFC 3986 §5.2.4. */
function removeDotSegments(path: string): string {
  const output: string[] = [];
  let input = path;
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./')) input = input.slice(2);
    else if (input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../')) {
      input = input.slice(3);
      output.pop();
    } else if (input === '/..') {
      input = '/';
      output.pop();
    } else if (input === '.' || input === '..') input = '';
    else {
      const next = input.indexOf('/', input.startsWith('/') ? 1 : 0);
      const segment = next === -1 ? input : input.slice(0, next);
      output.push(segment);
      input = input.slice(segment.length);
    }
  }
  return output.join('');
}

const IRI_PARTS = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/;

/** RFC 3986 §5.2.2 reference resolution (IRIs resolve the same way, RFC 3987 §6.5). */
export function resolveIri(reference: string, base: string): string {
  const r = IRI_PARTS.exec(reference)!;
  const b = IRI_PARTS.exec(base)!;
  let scheme, authority, path, query;
  const [, rScheme, rAuthority, rPath, rQuery, rFragment] = r;
  if (rScheme !== undefined) {
    [scheme, authority, path, query] = [rScheme, rAuthority, removeDotSegments(rPath), rQuery];
  } else {
    if (rAuthority !== undefined) {
      [authority, path, query] = [rAuthority, removeDotSegments(rPath), rQuery];
    } else {
      if (rPath === '') {
        path = b[3];
        query = rQuery !== undefined ? rQuery : b[4];
      } else {
        if (rPath.startsWith('/')) path = removeDotSegments(rPath);
        else if (b[2] !== undefined && b[3] === '') path = removeDotSegments(`/${rPath}`);
        else path = removeDotSegments(b[3].slice(0, b[3].lastIndexOf('/') + 1) + rPath);
        query = rQuery;
      }
      authority = b[2];
    }
    scheme = b[1];
  }
  let result = scheme !== undefined ? `${scheme}:` : '';
  if (authority !== undefined) result += `//${authority}`;
  result += path;
  if (query !== undefined) result += `?${query}`;
  if (rFragment !== undefined) result += `#${rFragment}`;
  return result;
}

/** Characters that may not appear in an IRI (RFC 3987 excludes them; N-Triples cannot write them raw). */
const NOT_IN_IRI = /[\u0000-\u0020<>"{}|^`\\]/;

function makeIri(text: string, baseIri: string | undefined): Term {
  if (NOT_IN_IRI.test(text)) fail(`IRI(): ${JSON.stringify(text)} is not a valid IRI`);
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(text) ? text : baseIri !== undefined ? resolveIri(text, baseIri) : undefined;
  if (absolute === undefined) fail(`IRI(): relative IRI ${JSON.stringify(text)} and no base IRI`);
  return { termType: 'NamedNode', value: absolute };
}

// ---------------------------------------------------------------------------------------------
// XPath regular expressions (F&O §5.6) translated to JS RegExp with the `u` flag

const XML_NAME_START =
  ':A-Z_a-z\\u{C0}-\\u{D6}\\u{D8}-\\u{F6}\\u{F8}-\\u{2FF}\\u{370}-\\u{37D}\\u{37F}-\\u{1FFF}\\u{200C}-\\u{200D}\\u{2070}-\\u{218F}\\u{2C00}-\\u{2FEF}\\u{3001}-\\u{D7FF}\\u{F900}-\\u{FDCF}\\u{FDF0}-\\u{FFFD}\\u{10000}-\\u{EFFFF}';
const XML_NAME = `${XML_NAME_START}\\-.0-9\\u{B7}\\u{300}-\\u{36F}\\u{203F}-\\u{2040}`;

/**
 * A set of characters: `inClass` can go inside a JS `[...]`; `standalone` is a regex matching
 * one character of the set (needed for complements like \W, which cannot nest in a class).
 */
interface CharSet {
  inClass?: string;
  standalone: string;
}

/** Multi-character escapes, with XPath's Unicode meanings (\d is any decimal digit, not [0-9]). */
function multiCharEscape(letter: string): CharSet | undefined {
  switch (letter) {
    case 'd':
      return { inClass: '\\p{Nd}', standalone: '\\p{Nd}' };
    case 'D':
      return { inClass: '\\P{Nd}', standalone: '\\P{Nd}' };
    case 's':
      return { inClass: ' \\t\\n\\r', standalone: '[ \\t\\n\\r]' };
    case 'S':
      return { standalone: '[^ \\t\\n\\r]' };
    case 'w':
      return { standalone: '[^\\p{P}\\p{Z}\\p{C}]' };
    case 'W':
      return { inClass: '\\p{P}\\p{Z}\\p{C}', standalone: '[\\p{P}\\p{Z}\\p{C}]' };
    case 'i':
      return { inClass: XML_NAME_START, standalone: `[${XML_NAME_START}]` };
    case 'I':
      return { standalone: `[^${XML_NAME_START}]` };
    case 'c':
      return { inClass: XML_NAME, standalone: `[${XML_NAME}]` };
    case 'C':
      return { standalone: `[^${XML_NAME}]` };
    default:
      return undefined;
  }
}

const SINGLE_CHAR_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t' };
const ESCAPABLE = new Set('\\|.-^?*+{}()[]$'.split(''));

/** Writes one literal code point so that it means itself inside or outside a JS class. */
function escapeCodePoint(char: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(char) ? `\\${char}` : char === '\n' ? '\\n' : char === '\r' ? '\\r' : char === '\t' ? '\\t' : char;
}

class RegexTranslator {
  private position = 0;
  private readonly chars: string[];
  constructor(
    pattern: string,
    private readonly dotAll: boolean,
  ) {
    this.chars = Array.from(pattern);
  }

  private error(message: string): never {
    fail(`invalid regular expression: ${message}`);
  }

  translate(): string {
    let out = '';
    while (this.position < this.chars.length) {
      const c = this.chars[this.position++];
      switch (c) {
        case '\\':
          out += this.escapeOutsideClass();
          break;
        case '[':
          out += this.characterClass();
          break;
        case '.':
          // XPath `.` without the s flag excludes only \n and \r (JS also excludes U+2028/9).
          out += this.dotAll ? '[\\s\\S]' : '[^\\n\\r]';
          break;
        case '(':
          if (this.chars[this.position] === '?') {
            if (this.chars[this.position + 1] !== ':') this.error('only (?: ) groups are allowed');
            this.position += 2;
            out += '(?:';
          } else {
            out += '(';
          }
          break;
        case ']':
        case '}':
          return this.error(`unescaped ${c}`);
        case '{': {
          const end = this.chars.indexOf('}', this.position);
          const body = end === -1 ? '' : this.chars.slice(this.position, end).join('');
          if (!/^[0-9]+(,[0-9]*)?$/.test(body)) this.error('malformed quantifier');
          out += `{${body}}`;
          this.position = end + 1;
          break;
        }
        default:
          out += c === '/' ? '\\/' : c;
      }
    }
    return out;
  }

  private escapeOutsideClass(): string {
    const letter = this.chars[this.position++];
    if (letter === undefined) this.error('trailing backslash');
    if (/[1-9]/.test(letter)) {
      let digits = letter;
      while (/[0-9]/.test(this.chars[this.position] ?? '')) digits += this.chars[this.position++];
      return `\\${digits}`;
    }
    if (letter === 'p' || letter === 'P') return this.categoryEscape(letter);
    const multi = multiCharEscape(letter);
    if (multi) return multi.standalone;
    if (letter in SINGLE_CHAR_ESCAPES) return escapeCodePoint(SINGLE_CHAR_ESCAPES[letter]);
    if (ESCAPABLE.has(letter)) return escapeCodePoint(letter);
    this.error(`unknown escape \\${letter}`);
  }

  /** \p{Lu} and friends; Unicode block names (\p{IsBasicLatin}) are not supported by JS. */
  private categoryEscape(letter: 'p' | 'P'): string {
    if (this.chars[this.position] !== '{') this.error(`\\${letter} without {`);
    const end = this.chars.indexOf('}', this.position);
    if (end === -1) this.error(`unterminated \\${letter}{`);
    const name = this.chars.slice(this.position + 1, end).join('');
    this.position = end + 1;
    if (!/^(?:[LMNPSZC][a-z]?)$/.test(name)) this.error(`unsupported category \\${letter}{${name}}`);
    return `\\${letter}{${name}}`;
  }

  /** Reads one class element after `[` (and an optional `^`) up to and including `]`. */
  private characterClass(): string {
    const negated = this.chars[this.position] === '^';
    if (negated) this.position++;
    const pieces: CharSet[] = [];
    let subtraction: string | undefined;
    let first = true;
    for (;;) {
      const c = this.chars[this.position++];
      if (c === undefined) this.error('unterminated character class');
      if (c === ']' && !first) break;
      first = false;
      if (c === '-' && this.chars[this.position] === '[') {
        this.position++;
        subtraction = this.characterClass();
        if (this.chars[this.position++] !== ']') this.error('a class subtraction must end the class');
        break;
      }
      if (c === '[') this.error('unescaped [ in a character class');
      const start = this.classAtom(c);
      if (typeof start !== 'string') {
        pieces.push(start);
        continue;
      }
      // A range `a-z`, unless the `-` is the last character or starts a subtraction.
      if (this.chars[this.position] === '-' && this.chars[this.position + 1] !== ']' && this.chars[this.position + 1] !== '[') {
        this.position++;
        const endChar = this.chars[this.position++];
        if (endChar === undefined) this.error('unterminated range');
        const end = this.classAtom(endChar);
        if (typeof end !== 'string') this.error('a range cannot end in a multi-character escape');
        if (start.codePointAt(0)! > end.codePointAt(0)!) this.error('range out of order');
        pieces.push({ inClass: `${escapeCodePoint(start)}-${escapeCodePoint(end)}`, standalone: `[${escapeCodePoint(start)}-${escapeCodePoint(end)}]` });
      } else {
        pieces.push({ inClass: escapeCodePoint(start), standalone: escapeCodePoint(start) });
      }
    }
    const simple = pieces.filter((p) => p.inClass !== undefined).map((p) => p.inClass).join('');
    const complex = pieces.filter((p) => p.inClass === undefined).map((p) => p.standalone);
    const alternatives = [...(simple ? [`[${simple}]`] : []), ...complex];
    const union = alternatives.length === 0 ? '[]' : alternatives.length === 1 ? alternatives[0] : `(?:${alternatives.join('|')})`;
    let set = negated ? (complex.length === 0 ? `[^${simple}]` : `(?:(?!${union})[\\s\\S])`) : union;
    if (subtraction !== undefined) set = `(?:(?!${subtraction})${set})`;
    return set;
  }

  /** One character inside a class: a literal code point (string) or a multi-character set. */
  private classAtom(c: string): string | CharSet {
    if (c !== '\\') return c;
    const letter = this.chars[this.position++];
    if (letter === undefined) this.error('trailing backslash');
    if (letter === 'p' || letter === 'P') {
      const escape = this.categoryEscape(letter);
      return { inClass: escape, standalone: escape };
    }
    const multi = multiCharEscape(letter);
    if (multi) return multi;
    if (letter in SINGLE_CHAR_ESCAPES) return SINGLE_CHAR_ESCAPES[letter];
    if (ESCAPABLE.has(letter)) return letter;
    this.error(`unknown escape \\${letter}`);
  }
}

/** Compiled patterns, keyed by pattern and flags; bounded because patterns come from queries. */
const REGEX_CACHE = new Map<string, RegExp>();
const REGEX_CACHE_ENTRIES_MAX = 256;

/** Translates an XPath pattern with XPath flags (s, m, i, x, q) into a JS RegExp. */
export function compileXPathRegex(pattern: string, flags: string, global = false): RegExp {
  const key = `${global ? 'g' : ''}${flags}\u0000${pattern}`;
  const cached = REGEX_CACHE.get(key);
  if (cached) {
    cached.lastIndex = 0;
    return cached;
  }
  if (!/^[smixq]*$/.test(flags)) fail(`invalid regex flags ${JSON.stringify(flags)}`);
  let source: string;
  if (flags.includes('q')) {
    // q: the pattern is a literal string; only i still applies (F&O 3.1 §5.6.1.1).
    source = Array.from(pattern, escapeCodePoint).join('');
  } else {
    let text = pattern;
    if (flags.includes('x')) text = stripRegexWhitespace(text);
    source = new RegexTranslator(text, flags.includes('s')).translate();
  }
  const jsFlags = `u${global ? 'g' : ''}${flags.includes('i') ? 'i' : ''}${flags.includes('m') && !flags.includes('q') ? 'm' : ''}`;
  let regex: RegExp;
  try {
    regex = new RegExp(source, jsFlags);
  } catch (error) {
    fail(`invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
  if (REGEX_CACHE.size >= REGEX_CACHE_ENTRIES_MAX) REGEX_CACHE.delete(REGEX_CACHE.keys().next().value!);
  REGEX_CACHE.set(key, regex);
  return regex;
}

/** The x flag removes whitespace outside character classes (F&O 3.1 §5.6.1.1). */
function stripRegexWhitespace(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    if (!inClass && /[ \t\n\r]/.test(c)) continue;
    out += c;
  }
  return out;
}

/** fn:replace replacement text: $N is group N, \$ and \\ escape; anything else with \ or $ is an error. */
function expandReplacement(replacement: string, groupCount: number, match: string, groups: (string | undefined)[]): string {
  let out = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i];
    if (c === '\\') {
      const next = replacement[i + 1];
      if (next !== '\\' && next !== '$') fail('invalid replacement string: \\ must escape \\ or $');
      out += next;
      i++;
    } else if (c === '$') {
      if (!/[0-9]/.test(replacement[i + 1] ?? '')) fail('invalid replacement string: $ must be followed by a digit');
      // Take as many digits as still name an existing group (F&O §5.6.3).
      let digits = replacement[++i];
      while (/[0-9]/.test(replacement[i + 1] ?? '') && Number(digits + replacement[i + 1]) <= groupCount) digits += replacement[++i];
      const index = Number(digits);
      out += index === 0 ? match : index <= groupCount ? (groups[index - 1] ?? '') : '';
    } else {
      out += c;
    }
  }
  return out;
}

function regexFlags(term: Term | undefined, name: string): string {
  return term === undefined ? '' : asSimpleString(term, `${name} flags`).value;
}

// ---------------------------------------------------------------------------------------------
// Casts (§17.5)

const CAST_TARGETS = new Set([XSD_STRING, XSD_BOOLEAN, XSD_DOUBLE, XSD_FLOAT, XSD_DECIMAL, XSD_INTEGER, XSD_DATE_TIME, ...INTEGER_SUBTYPE_RANGES.keys()]);

function castToIntegerType(value: bigint, target: string, source: Term): Literal {
  const range = INTEGER_SUBTYPE_RANGES.get(target);
  if (range && ((range.min !== undefined && value < range.min) || (range.max !== undefined && value > range.max))) {
    fail(`cannot cast ${describe(source)} to <${target}>: out of range`);
  }
  return literal(value.toString(), target);
}

function numericToTarget(n: NumericValue, target: string, source: Term): Literal {
  switch (target) {
    case XSD_STRING:
      return literal(formatNumericAsString(n));
    case XSD_BOOLEAN:
      return booleanTerm(n.kind === 'integer' ? n.value !== 0n : n.kind === 'decimal' ? n.value.unscaled !== 0n : !(n.value === 0 || Number.isNaN(n.value)));
    case XSD_DOUBLE:
      return numericTerm({ kind: 'double', value: numericToNumber(n) });
    case XSD_FLOAT:
      return numericTerm({ kind: 'float', value: Math.fround(numericToNumber(n)) });
    case XSD_DECIMAL: {
      if (n.kind === 'integer') return numericTerm({ kind: 'decimal', value: decimalFromBigInt(n.value) });
      if (n.kind === 'decimal') return numericTerm(n);
      const value = decimalFromFloating(n.value, n.kind);
      if (!value) fail(`cannot cast ${describe(source)} to xsd:decimal`);
      return numericTerm({ kind: 'decimal', value });
    }
    case XSD_DATE_TIME:
      fail(`cannot cast ${describe(source)} to xsd:dateTime`);
    // eslint-disable-next-line no-fallthrough
    default: {
      // xsd:integer and its subtypes: truncate toward zero.
      let value: bigint;
      if (n.kind === 'integer') value = n.value;
      else if (n.kind === 'decimal') value = decimalTruncate(n.value);
      else if (Number.isFinite(n.value)) value = BigInt(Math.trunc(n.value));
      else fail(`cannot cast ${describe(source)} to an integer`);
      return castToIntegerType(value, target, source);
    }
  }
}

/** Parses a string literal's text as the target type's lexical form. */
function castString(text: string, target: string, source: Term): Literal {
  const invalid = (): never => fail(`cannot cast ${describe(source)} to <${target}>`);
  switch (target) {
    case XSD_STRING:
      return literal(text);
    case XSD_BOOLEAN: {
      const value = parseBoolean(text);
      return value === undefined ? invalid() : booleanTerm(value);
    }
    case XSD_DOUBLE: {
      const value = parseDouble(text);
      return value === undefined ? invalid() : numericTerm({ kind: 'double', value });
    }
    case XSD_FLOAT: {
      const value = parseFloat32(text);
      return value === undefined ? invalid() : numericTerm({ kind: 'float', value });
    }
    case XSD_DECIMAL: {
      const value = parseDecimal(text);
      return value === undefined ? invalid() : numericTerm({ kind: 'decimal', value });
    }
    case XSD_DATE_TIME: {
      const value = parseDateTime(text);
      return value === undefined ? invalid() : literal(formatDateTimeCanonical(value), XSD_DATE_TIME);
    }
    default: {
      const value = parseInteger(text);
      return value === undefined ? invalid() : castToIntegerType(value, target, source);
    }
  }
}

function cast(target: string, args: Term[]): Term {
  arity(`<${target}>`, args, 1);
  const source = args[0];
  if (source.termType === 'BlankNode') fail(`cannot cast ${describe(source)}`);
  if (source.termType === 'NamedNode') {
    if (target !== XSD_STRING) fail(`cannot cast ${describe(source)} to <${target}>`);
    return literal(source.value);
  }
  if (source.datatype === XSD_STRING) return castString(source.value, target, source);
  if (source.datatype === RDF_LANG_STRING) fail(`cannot cast ${describe(source)}`);
  const value = literalValue(source);
  if (value === undefined) {
    // Any atomic value casts to xsd:string (XPath §19.1.2); an unknown datatype keeps its lexical form.
    if (target === XSD_STRING) return literal(source.value);
    fail(`cannot cast ${describe(source)} to <${target}>`);
  }
  switch (value.kind) {
    case 'numeric':
      return numericToTarget(value.value, target, source);
    case 'boolean':
      if (target === XSD_STRING) return literal(String(value.value));
      if (target === XSD_BOOLEAN) return booleanTerm(value.value);
      if (target === XSD_DATE_TIME) break;
      return numericToTarget({ kind: 'integer', value: value.value ? 1n : 0n }, target, source);
    case 'dateTime':
      if (target === XSD_STRING) return literal(formatDateTimeCanonical(value.value));
      if (target === XSD_DATE_TIME) return literal(formatDateTimeCanonical(value.value), XSD_DATE_TIME);
      break;
    case 'date':
      if (target === XSD_STRING) return literal(formatDateCanonical(value.value));
      break;
    case 'time':
      if (target === XSD_STRING) return literal(formatTimeCanonical(value.value));
      break;
    case 'dayTimeDuration':
      if (target === XSD_STRING) return literal(formatDayTimeDurationCanonical(value.seconds));
      break;
    default:
      break; // ill-typed literals (and the string kinds, handled above) do not cast
  }
  fail(`cannot cast ${describe(source)} to <${target}>`);
}

// ---------------------------------------------------------------------------------------------
// Functions

function hash(algorithm: string, args: Term[], name: string): Term {
  arity(name, args, 1);
  const text = asSimpleString(args[0], name).value;
  return literal(createHash(algorithm).update(text, 'utf8').digest('hex'));
}

/** fn:substring on code points, with its rounding rules for start and length (F&O §5.4.3). */
function substring(source: Literal, startTerm: Term, lengthTerm: Term | undefined): Literal {
  const codePoints = Array.from(source.value);
  const start = Math.round(numericToNumber(asNumeric(startTerm, 'SUBSTR start')));
  // Characters at 1-based position p with start <= p < start + length (NaN selects nothing).
  const from = Math.max(start, 1);
  const to = lengthTerm === undefined ? Infinity : start + Math.round(numericToNumber(asNumeric(lengthTerm, 'SUBSTR length')));
  if (!(to > from)) return stringLike('', source);
  return stringLike(codePoints.slice(from - 1, Number.isFinite(to) ? to - 1 : undefined).join(''), source);
}

/** RFC 4647 §3.3.1 basic filtering, case-insensitive; "*" matches any non-empty tag. */
function languageMatches(tag: string, range: string): boolean {
  const t = tag.toLowerCase();
  const r = range.toLowerCase();
  if (r === '*') return t !== '';
  if (t === '' || r === '') return false;
  return t === r || t.startsWith(`${r}-`);
}

const LANGUAGE_TAG = /^[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*$/;

type FunctionImplementation = (args: Term[], context: FunctionContext) => Term;

function unaryDateTime(name: string, extract: (v: NonNullable<ReturnType<typeof parseDateTime>>) => Term): FunctionImplementation {
  return (args) => {
    arity(name, args, 1);
    return extract(asDateTime(args[0], name));
  };
}

function rounding(name: 'ABS' | 'CEIL' | 'FLOOR' | 'ROUND'): FunctionImplementation {
  return (args) => {
    arity(name, args, 1);
    return fnNumericTerm(numericRounding(name, asNumeric(args[0], name)));
  };
}

function stringTest(name: string, test: (text: string, search: string) => boolean): FunctionImplementation {
  return (args) => {
    arity(name, args, 2);
    const [text, search] = compatibleStrings(name, args);
    return booleanTerm(test(text.value, search.value));
  };
}

function termTest(name: string, test: (term: Term) => boolean): FunctionImplementation {
  return (args) => {
    arity(name, args, 1);
    return booleanTerm(test(args[0]));
  };
}

const FUNCTIONS: Record<string, FunctionImplementation> = {
  STR: (args) => {
    arity('STR', args, 1);
    if (args[0].termType === 'BlankNode') fail('STR of a blank node');
    return literal(args[0].value);
  },
  LANG: (args) => {
    arity('LANG', args, 1);
    return literal(asLiteral(args[0], 'LANG').language);
  },
  LANGMATCHES: (args) => {
    arity('LANGMATCHES', args, 2);
    return booleanTerm(languageMatches(asSimpleString(args[0], 'LANGMATCHES').value, asSimpleString(args[1], 'LANGMATCHES').value));
  },
  DATATYPE: (args) => {
    arity('DATATYPE', args, 1);
    return { termType: 'NamedNode', value: asLiteral(args[0], 'DATATYPE').datatype };
  },
  IRI: (args, context) => {
    arity('IRI', args, 1);
    if (args[0].termType === 'NamedNode') return args[0];
    return makeIri(asSimpleString(args[0], 'IRI').value, context.baseIri);
  },
  BNODE: (args, context) => {
    arity('BNODE', args, 0, 1);
    if (args.length === 0) return context.freshBlankNode();
    return context.freshBlankNode(asSimpleString(args[0], 'BNODE').value);
  },
  RAND: (args, context) => {
    arity('RAND', args, 0);
    return numericTerm({ kind: 'double', value: context.random() });
  },
  ABS: rounding('ABS'),
  CEIL: rounding('CEIL'),
  FLOOR: rounding('FLOOR'),
  ROUND: rounding('ROUND'),
  CONCAT: (args) => {
    const parts = args.map((arg) => asStringLiteral(arg, 'CONCAT'));
    const text = parts.map((p) => p.value).join('');
    const language = parts[0]?.language.toLowerCase();
    const shared = parts.length > 0 && parts.every((p) => p.datatype === RDF_LANG_STRING && p.language.toLowerCase() === language);
    return shared ? literal(text, RDF_LANG_STRING, parts[0].language) : literal(text);
  },
  SUBSTR: (args) => {
    arity('SUBSTR', args, 2, 3);
    return substring(asStringLiteral(args[0], 'SUBSTR'), args[1], args[2]);
  },
  STRLEN: (args) => {
    arity('STRLEN', args, 1);
    let codePoints = 0;
    for (const _ of asStringLiteral(args[0], 'STRLEN').value) codePoints++;
    return integerTerm(codePoints);
  },
  REPLACE: (args) => {
    arity('REPLACE', args, 3, 4);
    const text = asStringLiteral(args[0], 'REPLACE');
    const pattern = asSimpleString(args[1], 'REPLACE pattern').value;
    const replacement = asSimpleString(args[2], 'REPLACE replacement').value;
    const flags = regexFlags(args[3], 'REPLACE');
    const regex = compileXPathRegex(pattern, flags, true);
    if (regex.exec('')?.index === 0) fail('REPLACE: the pattern matches the empty string'); // err:FORX0003
    regex.lastIndex = 0;
    const literalReplacement = flags.includes('q');
    // Group count = the number of captures a successful match on an empty alternative would have.
    const groupCount = new RegExp(`${regex.source}|`, 'u').exec('')!.length - 1;
    const result = text.value.replace(regex, (match: string, ...rest: unknown[]) => {
      if (literalReplacement) return replacement;
      return expandReplacement(replacement, groupCount, match, rest.slice(0, groupCount) as (string | undefined)[]);
    });
    return stringLike(result, text);
  },
  UCASE: (args) => {
    arity('UCASE', args, 1);
    const text = asStringLiteral(args[0], 'UCASE');
    return stringLike(text.value.toUpperCase(), text);
  },
  LCASE: (args) => {
    arity('LCASE', args, 1);
    const text = asStringLiteral(args[0], 'LCASE');
    return stringLike(text.value.toLowerCase(), text);
  },
  ENCODE_FOR_URI: (args) => {
    arity('ENCODE_FOR_URI', args, 1);
    const text = asStringLiteral(args[0], 'ENCODE_FOR_URI').value;
    // Everything but RFC 3986 unreserved characters, as UTF-8 octets in upper-case hex.
    let encoded: string;
    try {
      encoded = encodeURIComponent(text);
    } catch {
      fail('ENCODE_FOR_URI: the string contains a lone surrogate');
    }
    return literal(encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
  },
  CONTAINS: stringTest('CONTAINS', (text, search) => text.includes(search)),
  STRSTARTS: stringTest('STRSTARTS', (text, search) => text.startsWith(search)),
  STRENDS: stringTest('STRENDS', (text, search) => text.endsWith(search)),
  STRBEFORE: (args) => {
    arity('STRBEFORE', args, 2);
    const [text, search] = compatibleStrings('STRBEFORE', args);
    const index = text.value.indexOf(search.value);
    // No match gives the empty simple literal; a match (even of "") keeps the first argument's tag.
    return index === -1 ? literal('') : stringLike(text.value.slice(0, index), text);
  },
  STRAFTER: (args) => {
    arity('STRAFTER', args, 2);
    const [text, search] = compatibleStrings('STRAFTER', args);
    const index = text.value.indexOf(search.value);
    return index === -1 ? literal('') : stringLike(text.value.slice(index + search.value.length), text);
  },
  YEAR: unaryDateTime('YEAR', (v) => integerTerm(v.year)),
  MONTH: unaryDateTime('MONTH', (v) => integerTerm(v.month)),
  DAY: unaryDateTime('DAY', (v) => integerTerm(v.day)),
  HOURS: unaryDateTime('HOURS', (v) => integerTerm(v.hour)),
  MINUTES: unaryDateTime('MINUTES', (v) => integerTerm(v.minute)),
  SECONDS: unaryDateTime('SECONDS', (v) => fnNumericTerm({ kind: 'decimal', value: v.second })),
  TIMEZONE: unaryDateTime('TIMEZONE', (v) => {
    if (v.timezoneMinutes === undefined) fail('TIMEZONE of a dateTime without timezone');
    return literal(formatDayTimeDurationCanonical(decimalFromBigInt(BigInt(v.timezoneMinutes * 60))), XSD_DAY_TIME_DURATION);
  }),
  TZ: unaryDateTime('TZ', (v) => literal(formatTimezoneLexical(v.timezoneMinutes))),
  NOW: (args, context) => {
    arity('NOW', args, 0);
    return literal(formatDateTimeCanonical(dateTimeFromDate(context.now)), XSD_DATE_TIME);
  },
  UUID: (args, context) => {
    arity('UUID', args, 0);
    return { termType: 'NamedNode', value: `urn:uuid:${context.uuid()}` };
  },
  STRUUID: (args, context) => {
    arity('STRUUID', args, 0);
    return literal(context.uuid());
  },
  MD5: (args) => hash('md5', args, 'MD5'),
  SHA1: (args) => hash('sha1', args, 'SHA1'),
  SHA256: (args) => hash('sha256', args, 'SHA256'),
  SHA384: (args) => hash('sha384', args, 'SHA384'),
  SHA512: (args) => hash('sha512', args, 'SHA512'),
  STRLANG: (args) => {
    arity('STRLANG', args, 2);
    const text = asSimpleString(args[0], 'STRLANG').value;
    const language = asSimpleString(args[1], 'STRLANG').value;
    if (!LANGUAGE_TAG.test(language)) fail(`STRLANG: ${JSON.stringify(language)} is not a language tag`);
    return literal(text, RDF_LANG_STRING, language);
  },
  STRDT: (args) => {
    arity('STRDT', args, 2);
    const text = asSimpleString(args[0], 'STRDT').value;
    const datatype = args[1];
    if (datatype.termType !== 'NamedNode') fail(`STRDT: datatype must be an IRI, got ${describe(datatype)}`);
    if (datatype.value === RDF_LANG_STRING) fail('STRDT: rdf:langString needs a language tag');
    return literal(text, datatype.value);
  },
  SAMETERM: (args) => {
    arity('SAMETERM', args, 2);
    return booleanTerm(termsEqual(args[0], args[1]));
  },
  ISIRI: termTest('ISIRI', (t) => t.termType === 'NamedNode'),
  ISBLANK: termTest('ISBLANK', (t) => t.termType === 'BlankNode'),
  ISLITERAL: termTest('ISLITERAL', (t) => t.termType === 'Literal'),
  ISNUMERIC: termTest('ISNUMERIC', (t) => t.termType === 'Literal' && literalValue(t)?.kind === 'numeric'),
  REGEX: (args) => {
    arity('REGEX', args, 2, 3);
    const text = asStringLiteral(args[0], 'REGEX').value;
    const pattern = asSimpleString(args[1], 'REGEX pattern').value;
    return booleanTerm(compileXPathRegex(pattern, regexFlags(args[2], 'REGEX')).test(text));
  },
};
FUNCTIONS.URI = FUNCTIONS.IRI;
FUNCTIONS.ISURI = FUNCTIONS.ISIRI;

/**
 * Calls a built-in by its upper-case keyword (STR, REGEX, ...) or an XSD cast by the full IRI of
 * its target type. Anything else is an unknown function: an error, not a crash.
 */
export function callFunction(name: string, args: Term[], context: FunctionContext): Term {
  if (CAST_TARGETS.has(name)) return cast(name, args);
  const implementation = Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
  if (!implementation) fail(`unknown function ${name.includes(':') ? `<${name}>` : name}`);
  return implementation(args, context);
}

/** Whether callFunction knows `name` (so a query using anything else can be rejected up front). */
export function isKnownFunction(name: string): boolean {
  return CAST_TARGETS.has(name) || Object.hasOwn(FUNCTIONS, name);
}

