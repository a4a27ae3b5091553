// Keeps docs/errors.md and the ERRORS catalogue in sync: same codes, same statuses, no duplicates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ApiError, ERRORS, type ErrorCode } from './errors.ts';

const DOC = new URL('../../docs/errors.md', import.meta.url);

interface DocRow {
  code: string;
  status: number;
  when: string;
}

/** The rows of the catalogue table: lines like "| `code` | 400 | text |". */
function parseCatalogueTable(markdown: string): DocRow[] {
  const rows: DocRow[] = [];
  for (const line of markdown.split('\n')) {
    const match = /^\|\s*`([^`]+)`\s*\|\s*([^|]*?)\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (!match) continue;
    assert.match(match[2], /^\d{3}$/, `status of ${match[1]} in docs/errors.md is not a 3-digit number: ${JSON.stringify(match[2])}`);
    rows.push({ code: match[1], status: Number(match[2]), when: match[3] });
  }
  return rows;
}

const rows = parseCatalogueTable(readFileSync(DOC, 'utf8'));

test('the parser reads the table format and nothing else', () => {
  const sample = '| code | HTTP status | when |\n|---|---|---|\n| `a_b` | 400 | x |\n| `c` | 503 | y, `z` |\ntext | `no` | 1 |\n';
  assert.deepEqual(parseCatalogueTable(sample), [
    { code: 'a_b', status: 400, when: 'x' },
    { code: 'c', status: 503, when: 'y, `z`' },
  ]);
});

test('docs/errors.md has a table row for every code, and ERRORS has every documented code', () => {
  assert.ok(rows.length > 0, 'no table rows found in docs/errors.md');
  const documented = new Set(rows.map((row) => row.code));
  const catalogue = new Set(Object.keys(ERRORS));
  const missingFromDoc = [...catalogue].filter((code) => !documented.has(code));
  const unknownInDoc = [...documented].filter((code) => !catalogue.has(code));
  assert.deepEqual(missingFromDoc, [], 'codes in ERRORS but not in docs/errors.md');
  assert.deepEqual(unknownInDoc, [], 'codes in docs/errors.md but not in ERRORS');
});

test('every documented status equals the status in ERRORS', () => {
  const documented = Object.fromEntries(rows.map((row) => [row.code, row.status]));
  const catalogue = Object.fromEntries(Object.entries(ERRORS).map(([code, entry]) => [code, entry.status]));
  assert.deepEqual(documented, catalogue);
});

test('no code appears twice in docs/errors.md, and every row says when it happens', () => {
  const seen = new Set<string>();
  for (const row of rows) {
    assert.ok(!seen.has(row.code), `code ${row.code} appears twice in docs/errors.md`);
    seen.add(row.code);
    assert.ok(row.when.length > 0, `row ${row.code} has no description`);
  }
  assert.equal(seen.size, Object.keys(ERRORS).length);
});

test('codes are distinct snake_case names with real HTTP error statuses and a message', () => {
  const codes = Object.keys(ERRORS);
  assert.equal(new Set(codes).size, codes.length);
  assert.equal(new Set(codes.map((code) => code.toLowerCase())).size, codes.length);
  for (const [code, entry] of Object.entries(ERRORS)) {
    assert.match(code, /^[a-z]+(?:_[a-z]+)*$/, code);
    assert.ok(Number.isInteger(entry.status) && entry.status >= 400 && entry.status <= 599, `${code}: status ${entry.status}`);
    assert.ok(entry.message.length > 0, `${code}: empty message`);
  }
});

test('the documentation states the body shape and the rdf_syntax location fields', () => {
  const text = readFileSync(DOC, 'utf8');
  assert.match(text, /\{"error":\s*\{"code":/);
  assert.match(text, /`rdf_syntax`[^\n]*`line`[^\n]*`column`/);
});

test('ApiError takes status and default message from the catalogue and puts details in the body', () => {
  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    const error = new ApiError(code);
    assert.equal(error.status, ERRORS[code].status);
    assert.deepEqual(error.body(), { error: { code, message: ERRORS[code].message } });
  }
  const located = new ApiError('rdf_syntax', 'bad dot', { line: 3, column: 7 });
  assert.deepEqual(located.body(), { error: { code: 'rdf_syntax', message: 'bad dot', line: 3, column: 7 } });
});
