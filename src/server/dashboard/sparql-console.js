// @ts-check
/**
 * The SPARQL console: a plain textarea with a line-number gutter (no editor library), Ctrl+Enter
 * or Cmd+Enter runs. A query is POSTed as application/sparql-query asking for SPARQL JSON results
 * or N-Triples, an update as application/sparql-update. A syntax error shows the server's line
 * and column and marks the line in the gutter. Requests carry the page's credentials like every
 * other (http-client.js); a 401 opens the sign-in dialog, and the user runs again.
 */
import { errorOf, request } from './http-client.js';
import { showSparqlJson, showTriples } from './results-view.js';

const QUERY_TIMEOUT_MS = 5 * 60_000;
const ACCEPT = 'application/sparql-results+json, application/n-triples;q=0.9';
const EXAMPLE = 'SELECT ?s ?p ?o\nWHERE {\n  ?s ?p ?o\n}\nLIMIT 25';

export class SparqlConsole {
  constructor() {
    this.text = /** @type {HTMLTextAreaElement} */ (document.querySelector('#sparql-text'));
    this.gutter = /** @type {HTMLElement} */ (document.querySelector('#sparql-gutter'));
    this.kind = /** @type {HTMLSelectElement} */ (document.querySelector('#sparql-kind'));
    this.runButton = /** @type {HTMLButtonElement} */ (document.querySelector('#sparql-run'));
    this.status = /** @type {HTMLElement} */ (document.querySelector('#sparql-status'));
    this.results = /** @type {HTMLElement} */ (document.querySelector('#sparql-results'));
    /** @type {number | null} */
    this.errorLine = null;
    this.text.value = EXAMPLE;
    this.text.addEventListener('input', () => {
      this.errorLine = null;
      this.renderGutter();
    });
    this.text.addEventListener('scroll', () => (this.gutter.scrollTop = this.text.scrollTop));
    this.text.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        void this.run();
      }
    });
    this.runButton.addEventListener('click', () => void this.run());
    this.renderGutter();
  }

  renderGutter() {
    const count = this.text.value.split('\n').length;
    const lines = [];
    for (let line = 1; line <= count; line++) {
      const number = document.createElement('span');
      number.textContent = `${line}\n`;
      if (line === this.errorLine) number.className = 'error-line';
      lines.push(number);
    }
    this.gutter.replaceChildren(...lines);
    this.gutter.scrollTop = this.text.scrollTop;
  }

  async run() {
    if (this.runButton.disabled) return;
    const isUpdate = this.kind.value === 'update';
    this.runButton.disabled = true;
    this.errorLine = null;
    this.renderGutter();
    this.setStatus('running…', 'running');
    const started = performance.now();
    try {
      const response = await request('/sparql', {
        method: 'POST',
        headers: { 'content-type': isUpdate ? 'application/sparql-update' : 'application/sparql-query', accept: ACCEPT },
        body: this.text.value,
        timeoutMs: QUERY_TIMEOUT_MS,
      });
      const elapsed = `${Math.round(performance.now() - started)} ms`;
      if (!response.ok) {
        await this.showError(response);
        return;
      }
      if (isUpdate) {
        this.results.replaceChildren();
        const index = response.headers.get('x-commit-index');
        this.setStatus(`Update applied${index ? ` at commit index ${index}` : ''} in ${elapsed}.`, 'ok');
        return;
      }
      const type = response.headers.get('content-type') ?? '';
      const summary = type.includes('sparql-results+json') ? showSparqlJson(this.results, await response.json()) : showTriples(this.results, await response.text());
      this.setStatus(`${summary} in ${elapsed}.`, 'ok');
    } catch (error) {
      this.results.replaceChildren();
      const name = /** @type {Error} */ (error).name;
      this.setStatus(name === 'TimeoutError' ? `No answer within ${QUERY_TIMEOUT_MS / 1000} s.` : `The request failed: ${/** @type {Error} */ (error).message}`, 'error');
    } finally {
      this.runButton.disabled = false;
    }
  }

  /** @param {Response} response */
  async showError(response) {
    this.results.replaceChildren();
    const error = await errorOf(response);
    let where = '';
    let message = error.message;
    if (typeof error.line === 'number') {
      // The position leads the line; the message may end with it too.
      message = message.replace(/\s*\(line \d+, column \d+\)$/, '');
      where = typeof error.column === 'number' ? `line ${error.line}, column ${error.column}: ` : `line ${error.line}: `;
      this.errorLine = error.line;
      this.renderGutter();
    }
    const hint = response.status === 401 ? ' Sign in, then run again.' : '';
    this.setStatus(`${response.status} ${error.code}: ${where}${message}${hint}`, 'error');
  }

  /** @param {string} text @param {'ok' | 'error' | 'running'} state */
  setStatus(text, state) {
    this.status.textContent = text;
    this.status.className = `status ${state}`;
  }
}
