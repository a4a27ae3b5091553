/**
 * One streaming parser interface over every RDF syntax we accept. Text goes in by chunks, quads
 * come out synchronously as canonical term keys. N-Triples and N-Quads use our own fast parser;
 * Turtle and TriG use n3's. Every syntax error becomes an RdfSyntaxError with line and column.
 */
import { Parser as N3Parser } from 'n3';
import { RdfXmlParser } from 'rdfxml-streaming-parser';
import type { Quad as RdfQuad } from '@rdfjs/types';
import { NTriplesParser, type KeyQuadSink, type BlankNodeRenamer } from './ntriples-parser.ts';
import { RdfSyntaxError } from './syntax-error.ts';
import { termToKey } from './term-key.ts';
import type { RdfFormat } from './media-types.ts';

export interface RdfParser {
  push(chunk: string): void;
  /** Parses what is left; a promise when the syntax reports its last errors asynchronously (RDF/XML). */
  end(): void | Promise<void>;
  readonly quadCount: number;
}

export interface RdfParserOptions {
  format: RdfFormat;
  /** Base IRI for relative IRIs in Turtle and TriG. */
  baseIri?: string;
  sink: KeyQuadSink;
  renameBlank: BlankNodeRenamer;
}

export function createRdfParser(options: RdfParserOptions): RdfParser {
  switch (options.format) {
    case 'n-triples':
      return new NTriplesParser(false, options.sink, options.renameBlank);
    case 'n-quads':
      return new NTriplesParser(true, options.sink, options.renameBlank);
    case 'turtle':
    case 'trig':
      return new N3TextParser(options);
    case 'rdf-xml':
      return new RdfXmlTextParser(options);
  }
}

/** RDF/XML through rdfxml-streaming-parser, whose events arrive synchronously during write(). */
class RdfXmlTextParser implements RdfParser {
  quadCount = 0;
  private readonly parser: RdfXmlParser;
  private error: RdfSyntaxError | undefined;
  private failed: ((error: RdfSyntaxError) => void) | undefined;

  constructor(options: RdfParserOptions) {
    this.parser = new RdfXmlParser({ baseIRI: options.baseIri });
    const { sink, renameBlank } = options;
    const key = (term: RdfQuad['subject'] | RdfQuad['object']) => (term.termType === 'BlankNode' ? `_:${renameBlank(term.value)}` : termToKey(term));
    this.parser.on('data', (quad: RdfQuad) => {
      if (this.error) return;
      this.quadCount++;
      sink(key(quad.subject), termToKey(quad.predicate), key(quad.object), quad.graph.termType === 'DefaultGraph' ? undefined : key(quad.graph as RdfQuad['subject']));
    });
    this.parser.on('error', (error: Error) => {
      if (this.error) return;
      // saxes prefixes its messages with "line:column: " (column 0: just after a line break).
      const match = /^(\d+):(\d+): (.*)$/s.exec(error.message);
      this.error = match ? new RdfSyntaxError(match[3], Number(match[1]), Math.max(1, Number(match[2]))) : new RdfSyntaxError(error.message, 1, 1);
      this.failed?.(this.error);
    });
  }

  push(chunk: string): void {
    if (chunk && !this.error) this.parser.write(chunk);
    if (this.error) throw this.error;
  }

  /**
   * rdfxml-streaming-parser never closes its XML parser, so a truncated document would pass:
   * closing it checks that every element was closed. The stream then ends asynchronously.
   */
  end(): Promise<void> {
    // saxParser is private in the typings but stable in the library (it is how it wires its events).
    if (!this.error) (this.parser as unknown as { saxParser: { close(): void } }).saxParser.close();
    if (this.error) return Promise.reject(this.error);
    return new Promise<void>((resolve, reject) => {
      this.failed = reject;
      this.parser.once('end', () => (this.error ? reject(this.error) : resolve()));
      this.parser.end();
    });
  }
}

/** How much recent text is kept to locate the column of a lexer error. */
const RECENT_TEXT_CHARS = 256 * 1024;

interface N3ErrorContext {
  line?: number;
  token?: { line: number; start?: number };
  previousToken?: { line: number; end?: number };
}

class N3TextParser implements RdfParser {
  quadCount = 0;
  private onData!: (chunk: string) => void;
  private onEnd!: () => void;
  private error: RdfSyntaxError | undefined;
  /** Recent input and the line number its first character is on. */
  private recent = '';
  private recentFirstLine = 1;

  constructor(options: RdfParserOptions) {
    const parser = new N3Parser({ format: options.format === 'trig' ? 'application/trig' : 'text/turtle', baseIRI: options.baseIri });
    const { sink, renameBlank } = options;
    const key = (term: RdfQuad['subject'] | RdfQuad['object'] | RdfQuad['graph']) =>
      term.termType === 'BlankNode' ? `_:${renameBlank(term.value)}` : termToKey(term);
    parser.parse(
      {
        on: (event: string, callback: (chunk?: string) => void) => {
          if (event === 'data') this.onData = callback;
          else if (event === 'end') this.onEnd = callback as () => void;
        },
      } as never,
      {
        onQuad: (error: Error | null, quad: RdfQuad | null) => {
          if (error) {
            this.error ??= this.toSyntaxError(error);
            return;
          }
          if (!quad || this.error) return;
          this.quadCount++;
          sink(key(quad.subject), termToKey(quad.predicate), key(quad.object), quad.graph.termType === 'DefaultGraph' ? undefined : key(quad.graph));
        },
        // RDF 1.2 triple terms are not RDF 1.1: refuse them where they start.
        onToken: (token: { type: string; line: number; start?: number }) => {
          if (token.type === '<<' && !this.error) this.error = new RdfSyntaxError('quoted triples (RDF-star) are not supported', token.line, this.column(token.line, token.start ?? 0));
        },
      } as never,
    );
  }

  push(chunk: string): void {
    this.remember(chunk);
    this.guard(() => this.onData(chunk));
  }

  end(): void {
    this.guard(() => this.onEnd());
  }

  /** n3 can throw after it reported an error (e.g. a bad @prefix IRI): the reported error is the one to give. */
  private guard(step: () => void): void {
    try {
      if (!this.error) step();
    } catch (error) {
      if (!this.error) throw error;
    }
    if (this.error) throw this.error;
  }

  /** A 1-based column in characters (code points) from a 0-based UTF-16 offset on a line. */
  private column(line: number, utf16Offset: number): number {
    const text = this.recent.split('\n')[line - this.recentFirstLine];
    if (text === undefined) return utf16Offset + 1;
    return [...text.slice(0, utf16Offset)].length + 1;
  }

  private remember(chunk: string): void {
    this.recent += chunk;
    if (this.recent.length > RECENT_TEXT_CHARS * 2) {
      const cut = this.recent.indexOf('\n', this.recent.length - RECENT_TEXT_CHARS);
      if (cut > 0) {
        for (let i = this.recent.indexOf('\n'); i >= 0 && i <= cut; i = this.recent.indexOf('\n', i + 1)) this.recentFirstLine++;
        this.recent = this.recent.slice(cut + 1);
      }
    }
  }

  private toSyntaxError(error: Error): RdfSyntaxError {
    const context = (error as Error & { context?: N3ErrorContext }).context ?? {};
    const message = error.message.replace(/ on line \d+\.?$/, '');
    if (context.token && typeof context.token.start === 'number') {
      return new RdfSyntaxError(message, context.token.line, this.column(context.token.line, context.token.start));
    }
    const line = context.line ?? 1;
    return new RdfSyntaxError(message, line, this.lexerErrorColumn(error.message, line, context));
  }

  /** A lexer error names the offending text (`Unexpected "x"`); find it on its line. */
  private lexerErrorColumn(message: string, line: number, context: N3ErrorContext): number {
    const lines = this.recent.split('\n');
    const text = lines[line - this.recentFirstLine];
    const issue = /^Unexpected "(.*)" on line/s.exec(message)?.[1];
    if (text === undefined || !issue) return 1;
    const from = context.previousToken?.line === line ? (context.previousToken.end ?? 0) : 0;
    const at = text.indexOf(issue, from);
    return at >= 0 ? this.column(line, at) : 1;
  }
}
