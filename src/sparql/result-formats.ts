/**
 * SELECT and ASK results as SPARQL 1.1 Query Results JSON, XML, CSV and TSV, produced as a
 * stream of text pieces so the first rows leave before the last one is computed.
 */
import type { Term } from '../rdf/term-key.ts';
import { XSD_STRING, RDF_LANG_STRING, escapeLiteral, iriKey } from '../rdf/term-key.ts';

export type ResultFormat = 'json' | 'xml' | 'csv' | 'tsv';

export const RESULT_MEDIA_TYPES: Record<ResultFormat, string> = {
  json: 'application/sparql-results+json',
  xml: 'application/sparql-results+xml',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
};

/** Rows are batched into pieces of about this many characters. */
const PIECE_CHARS = 64 * 1024;

function jsonTerm(term: Term): Record<string, string> {
  switch (term.termType) {
    case 'NamedNode':
      return { type: 'uri', value: term.value };
    case 'BlankNode':
      return { type: 'bnode', value: term.value };
    case 'Literal':
      if (term.language) return { type: 'literal', value: term.value, 'xml:lang': term.language };
      if (term.datatype === XSD_STRING) return { type: 'literal', value: term.value };
      return { type: 'literal', value: term.value, datatype: term.datatype };
  }
}

function xmlEscape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

function xmlTerm(term: Term): string {
  switch (term.termType) {
    case 'NamedNode':
      return `<uri>${xmlEscape(term.value)}</uri>`;
    case 'BlankNode':
      return `<bnode>${xmlEscape(term.value)}</bnode>`;
    case 'Literal':
      if (term.language) return `<literal xml:lang="${xmlEscape(term.language)}">${xmlEscape(term.value)}</literal>`;
      if (term.datatype === XSD_STRING || term.datatype === RDF_LANG_STRING) return `<literal>${xmlEscape(term.value)}</literal>`;
      return `<literal datatype="${xmlEscape(term.datatype)}">${xmlEscape(term.value)}</literal>`;
  }
}

function csvField(term: Term | undefined): string {
  if (!term) return '';
  const text = term.termType === 'BlankNode' ? `_:${term.value}` : term.value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function tsvTerm(term: Term | undefined): string {
  if (!term) return '';
  switch (term.termType) {
    case 'NamedNode':
      return iriKey(term.value);
    case 'BlankNode':
      return `_:${term.value}`;
    case 'Literal': {
      const body = `"${escapeLiteral(term.value).replace(/\t/g, '\\t')}"`;
      if (term.language) return `${body}@${term.language}`;
      if (term.datatype === XSD_STRING) return body;
      return `${body}^^${iriKey(term.datatype)}`;
    }
  }
}

export function* selectResults(format: ResultFormat, variables: string[], rows: Iterable<Map<string, Term>>): Generator<string> {
  let piece = '';
  const emit = function* (text: string): Generator<string> {
    piece += text;
    if (piece.length >= PIECE_CHARS) {
      yield piece;
      piece = '';
    }
  };
  switch (format) {
    case 'json': {
      piece = `{"head":{"vars":${JSON.stringify(variables)}},"results":{"bindings":[`;
      let first = true;
      for (const row of rows) {
        const binding: Record<string, Record<string, string>> = {};
        for (const [name, term] of row) binding[name] = jsonTerm(term);
        yield* emit((first ? '' : ',') + JSON.stringify(binding));
        first = false;
      }
      piece += ']}}';
      break;
    }
    case 'xml': {
      piece = `<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>${variables.map((v) => `<variable name="${xmlEscape(v)}"/>`).join('')}</head>\n<results>\n`;
      for (const row of rows) {
        let text = '<result>';
        for (const [name, term] of row) text += `<binding name="${xmlEscape(name)}">${xmlTerm(term)}</binding>`;
        yield* emit(`${text}</result>\n`);
      }
      piece += '</results>\n</sparql>\n';
      break;
    }
    case 'csv':
      piece = `${variables.join(',')}\r\n`;
      for (const row of rows) yield* emit(`${variables.map((v) => csvField(row.get(v))).join(',')}\r\n`);
      break;
    case 'tsv':
      piece = `${variables.map((v) => `?${v}`).join('\t')}\n`;
      for (const row of rows) yield* emit(`${variables.map((v) => tsvTerm(row.get(v))).join('\t')}\n`);
      break;
  }
  if (piece) yield piece;
}

export function askResult(format: ResultFormat, value: boolean): string {
  switch (format) {
    case 'json':
      return `{"head":{},"boolean":${value}}`;
    case 'xml':
      return `<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head/>\n<boolean>${value}</boolean>\n</sparql>\n`;
    case 'csv':
      return `_askResult\r\n${value}\r\n`;
    case 'tsv':
      return `?_askResult\n${value}\n`;
  }
}
