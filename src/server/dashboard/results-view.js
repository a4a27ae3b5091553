// @ts-check
/**
 * Renders a query's answer into the console: SELECT solutions as a table, ASK as its boolean,
 * CONSTRUCT/DESCRIBE as N-Triples text. Terms are shown in SPARQL syntax (<iri>, "literal"@lang,
 * "literal"^^<datatype>, _:blank) and only ever set as text, never as markup. Large answers are
 * cut at MAX_ROWS rows, saying so.
 */

const MAX_ROWS = 1_000;
const XSD_STRING = 'http://www.w3.org/2001/XMLSchema#string';

/**
 * @typedef {{ type: string, value: string, 'xml:lang'?: string, datatype?: string }} Term
 * @typedef {{ head: { vars?: string[] }, results?: { bindings: Record<string, Term>[] }, boolean?: boolean }} SparqlJson
 */

/** @param {Term | undefined} term */
export function termText(term) {
  if (!term) return '';
  switch (term.type) {
    case 'uri':
      return `<${term.value}>`;
    case 'bnode':
      return `_:${term.value}`;
    case 'literal':
    case 'typed-literal': {
      const quoted = JSON.stringify(term.value);
      if (term['xml:lang']) return `${quoted}@${term['xml:lang']}`;
      if (term.datatype && term.datatype !== XSD_STRING) return `${quoted}^^<${term.datatype}>`;
      return quoted;
    }
    default:
      return term.value;
  }
}

/**
 * @param {HTMLElement} container
 * @param {SparqlJson} json
 * @returns {string} a one-line description ("3 rows", "true")
 */
export function showSparqlJson(container, json) {
  if (typeof json.boolean === 'boolean') {
    const answer = document.createElement('p');
    answer.className = 'ask-answer';
    answer.textContent = String(json.boolean);
    container.replaceChildren(answer);
    return `ASK: ${json.boolean}`;
  }
  const vars = json.head.vars ?? [];
  const bindings = json.results?.bindings ?? [];
  const table = document.createElement('table');
  table.className = 'solutions';
  const headRow = document.createElement('tr');
  for (const name of vars) {
    const th = document.createElement('th');
    th.textContent = `?${name}`;
    headRow.append(th);
  }
  table.createTHead().append(headRow);
  const body = table.createTBody();
  for (const binding of bindings.slice(0, MAX_ROWS)) {
    const row = body.insertRow();
    for (const name of vars) {
      const cell = row.insertCell();
      const term = binding[name];
      cell.textContent = termText(term);
      if (term) cell.className = `term-${term.type}`;
    }
  }
  container.replaceChildren(table);
  const rows = `${bindings.length} row${bindings.length === 1 ? '' : 's'}`;
  return bindings.length > MAX_ROWS ? `${rows} (showing the first ${MAX_ROWS})` : rows;
}

/**
 * @param {HTMLElement} container
 * @param {string} text N-Triples
 * @returns {string}
 */
export function showTriples(container, text) {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const pre = document.createElement('pre');
  pre.className = 'triples';
  pre.textContent = lines.slice(0, MAX_ROWS).join('\n');
  container.replaceChildren(pre);
  const count = `${lines.length} triple${lines.length === 1 ? '' : 's'}`;
  return lines.length > MAX_ROWS ? `${count} (showing the first ${MAX_ROWS})` : count;
}
