/**
 * `oxirs-cluster query` and `oxirs-cluster update`: run one SPARQL request against a node. A
 * query's results print as a table on a TTY (SELECT), `true`/`false` (ASK) or Turtle (CONSTRUCT,
 * DESCRIBE); with `--format`, or when the output is not a TTY, the server's text is printed as it
 * comes. QUERY / UPDATE may be `@FILE` to read the text from a file.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './node-config.ts';

export interface RequestFlags {
  endpoint: string;
  format?: string;
  user?: string;
  token?: string;
}

const FORMAT_MEDIA_TYPES: Record<string, string> = {
  json: 'application/sparql-results+json',
  xml: 'application/sparql-results+xml',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  turtle: 'text/turtle',
  ntriples: 'application/n-triples',
  nquads: 'application/n-quads',
  trig: 'application/trig',
  jsonld: 'application/ld+json',
};

function requestText(argument: string): string {
  if (!argument.startsWith('@')) return argument;
  try {
    return readFileSync(argument.slice(1), 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${argument.slice(1)}: ${(error as Error).message}`);
  }
}

function endpointUrl(endpoint: string, path: string): URL {
  try {
    return new URL(path, endpoint);
  } catch {
    throw new ConfigError(`--endpoint must be a URL (got ${JSON.stringify(endpoint)})`);
  }
}

function authorization(flags: RequestFlags): Record<string, string> {
  if (flags.token) return { authorization: `Bearer ${flags.token}` };
  if (flags.user) return { authorization: `Basic ${Buffer.from(flags.user).toString('base64')}` };
  return {};
}

/** The server's JSON error as one line, or the raw text. */
async function failure(response: Response): Promise<Error> {
  const text = await response.text();
  try {
    const error = JSON.parse(text).error;
    return new Error(`HTTP ${response.status}: ${error.message} (${error.code})`);
  } catch {
    return new Error(`HTTP ${response.status}: ${text}`);
  }
}

type JsonTerm = { type: string; value: string; 'xml:lang'?: string; datatype?: string };

function cell(term: JsonTerm | undefined): string {
  if (!term) return '';
  if (term.type === 'uri') return `<${term.value}>`;
  if (term.type === 'bnode') return `_:${term.value}`;
  if (term['xml:lang']) return `"${term.value}"@${term['xml:lang']}`;
  if (term.datatype && term.datatype !== 'http://www.w3.org/2001/XMLSchema#string') return `"${term.value}"^^<${term.datatype}>`;
  return `"${term.value}"`;
}

export function renderTable(variables: string[], rows: Array<Record<string, JsonTerm>>): string {
  const cells = rows.map((row) => variables.map((v) => cell(row[v])));
  const widths = variables.map((v, c) => Math.max(v.length + 1, ...cells.map((r) => r[c].length)));
  const line = (values: string[]) => `| ${values.map((value, c) => value.padEnd(widths[c])).join(' | ')} |`;
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  return [rule, line(variables.map((v) => `?${v}`)), rule, ...cells.map(line), rule, `${rows.length} row${rows.length === 1 ? '' : 's'}`].join('\n') + '\n';
}

export async function queryCommand(query: string, flags: RequestFlags, output: NodeJS.WriteStream = process.stdout): Promise<void> {
  if (flags.format && !(flags.format in FORMAT_MEDIA_TYPES)) throw new ConfigError(`--format must be one of ${Object.keys(FORMAT_MEDIA_TYPES).join(', ')}`);
  const table = !flags.format && Boolean(output.isTTY);
  const accept = flags.format ? FORMAT_MEDIA_TYPES[flags.format] : table ? 'application/sparql-results+json, text/turtle;q=0.9' : undefined;
  const response = await fetch(endpointUrl(flags.endpoint, '/query'), {
    method: 'POST',
    headers: { 'content-type': 'application/sparql-query', ...(accept ? { accept } : {}), ...authorization(flags) },
    body: requestText(query),
  });
  if (!response.ok) throw await failure(response);
  const contentType = response.headers.get('content-type') ?? '';
  if (table && contentType.startsWith('application/sparql-results+json')) {
    const json = (await response.json()) as { head: { vars?: string[] }; boolean?: boolean; results?: { bindings: Array<Record<string, JsonTerm>> } };
    if (json.boolean !== undefined) output.write(`${json.boolean}\n`);
    else output.write(renderTable(json.head.vars ?? [], json.results?.bindings ?? []));
    return;
  }
  for await (const chunk of response.body ?? []) output.write(chunk as Uint8Array);
}

export async function updateCommand(update: string, flags: RequestFlags, output: NodeJS.WriteStream = process.stdout): Promise<void> {
  const response = await fetch(endpointUrl(flags.endpoint, '/update'), {
    method: 'POST',
    headers: { 'content-type': 'application/sparql-update', ...authorization(flags) },
    body: requestText(update),
  });
  if (!response.ok) throw await failure(response);
  output.write(`OK: ${response.headers.get('x-quads-inserted') ?? 0} quads inserted, ${response.headers.get('x-quads-removed') ?? 0} removed\n`);
}
