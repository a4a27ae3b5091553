// The web dashboard in headless Chromium (Debian's `chromium`, driven by playwright-core) against
// real node processes: a follower's dashboard shows all three members and the leader, the SPARQL
// console runs a query, a CONSTRUCT and an update and shows a syntax error at the server's line
// and column, and a follower killed with SIGKILL turns red within 5 s. A node with --auth makes
// the page ask for credentials, refuse wrong ones, and send the right ones on every request.
// Screenshots go to a temporary directory, printed as a diagnostic.
//
// Without Chromium the tests skip, saying so; under CI (CI set) they fail instead, since .ci/run
// installs it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { httpRequest, withCluster, type Cluster } from './cluster-harness.ts';
import { freePort, startNode, stopNode, type NodeProcess } from './node-process.ts';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => path && existsSync(path));
const NO_CHROMIUM = 'no Chromium at $CHROMIUM_PATH, /usr/bin/chromium or /usr/bin/chromium-browser (install it: apt-get install -y chromium)';
/** Skipped without Chromium, except under CI, where a missing browser is a failure. */
const SKIP = CHROMIUM === undefined && !process.env.CI ? NO_CHROMIUM : false;

const LAUNCH_TIMEOUT_MS = 30_000;
const STEP_TIMEOUT_MS = 15_000;
/** The promise: a killed follower shows red within this. */
const UNREACHABLE_SHOWN_MS_MAX = 5_000;
const READ_TOKEN = 'dashboard-e2e-read-token-0123456789';

const screenshotDir = mkdtempSync(join(tmpdir(), 'oxirs-dashboard-screenshots-'));

async function launch(): Promise<Browser> {
  assert.ok(CHROMIUM, `CI is set but ${NO_CHROMIUM}`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: LAUNCH_TIMEOUT_MS,
    // Chromium's sandbox cannot start as root (CI runs as root).
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}

/** A page that records script errors and CSP violations (failed requests are expected: 404, 400, 401). */
async function openPage(browser: Browser, url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  await page.goto(url, { timeout: STEP_TIMEOUT_MS });
  return { page, problems };
}

async function screenshot(t: TestContext, page: Page, name: string): Promise<void> {
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true, timeout: STEP_TIMEOUT_MS });
  t.diagnostic(`screenshot: ${path}`);
}

async function runInConsole(page: Page, kind: 'query' | 'update', text: string, how: 'click' | 'keyboard'): Promise<string> {
  await page.selectOption('#sparql-kind', kind);
  await page.fill('#sparql-text', text);
  // Cleared when the run starts, so the wait below sees this run's outcome.
  if (how === 'click') await page.click('#sparql-run');
  else await page.press('#sparql-text', 'Control+Enter');
  await page.waitForSelector('#sparql-status.ok, #sparql-status.error');
  return (await page.textContent('#sparql-status')) ?? '';
}

const cellTexts = (page: Page, selector: string) =>
  page.$$eval(selector, (rows) => rows.map((row) => Array.from(row.querySelectorAll('td'), (cell) => cell.textContent)));

test('a follower dashboard shows the cluster, runs queries, and turns a killed follower red', { timeout: 240_000, skip: SKIP }, async (t) => {
  t.diagnostic(`screenshots in ${screenshotDir}`);
  const browser = await launch();
  try {
    await withCluster({ name: 'dashboard' }, (cluster) => followerDashboardScenario(t, browser, cluster));
  } finally {
    await browser.close();
  }
});

async function followerDashboardScenario(t: TestContext, browser: Browser, cluster: Cluster): Promise<void> {
  const leader = await cluster.waitForLeader();
  const [viewer, victim] = cluster.ids().filter((id) => id !== leader);
  const insert = await httpRequest(cluster.node(viewer).url, '/update', {
    method: 'POST',
    headers: { 'content-type': 'application/sparql-update' },
    body: 'INSERT DATA { <urn:dash:a> <urn:dash:p> "alpha" . <urn:dash:b> <urn:dash:p> "beta" }',
    timeoutMs: STEP_TIMEOUT_MS,
  });
  assert.equal(insert.status, 204, insert.body);

  const { page, problems } = await openPage(browser, `${cluster.node(viewer).url}/`);

  // The whole cluster, as the leader sees it, on a follower's page.
  await page.waitForFunction(() => document.querySelectorAll('#members tbody tr').length === 3);
  assert.equal(await page.textContent('#members tr.role-leader .member-id'), leader);
  const rows = await cellTexts(page, '#members tbody tr');
  assert.deepEqual(rows.map((row) => [row[0], row[1], row[5]]), cluster.ids().sort().map((id) => [id, id === leader ? 'leader' : 'follower', '● reachable']));
  assert.match((await page.textContent('#cluster-summary')) ?? '', new RegExp(`leader ${leader} · term \\d+ · .* · answered by ${viewer}`));
  assert.equal(await page.locator('#charts figure.chart').count(), 3);
  await screenshot(t, page, '1-cluster');

  // The console: SELECT as a table, CONSTRUCT as N-Triples, an update, each with its summary.
  const select = await runInConsole(page, 'query', 'SELECT ?s ?o WHERE { ?s <urn:dash:p> ?o } ORDER BY ?o', 'click');
  assert.match(select, /^2 rows in \d+ ms\.$/);
  assert.deepEqual(await cellTexts(page, '#sparql-results tbody tr'), [
    ['<urn:dash:a>', '"alpha"'],
    ['<urn:dash:b>', '"beta"'],
  ]);
  await screenshot(t, page, '2-console-select');
  assert.match(await runInConsole(page, 'query', 'CONSTRUCT WHERE { <urn:dash:a> ?p ?o }', 'keyboard'), /^1 triple in/);
  assert.equal((await page.textContent('#sparql-results pre.triples'))?.trim(), '<urn:dash:a> <urn:dash:p> "alpha" .');
  assert.match(await runInConsole(page, 'update', 'INSERT DATA { <urn:dash:c> <urn:dash:p> "gamma" }', 'keyboard'), /^Update applied at commit index \d+ in \d+ ms\.$/);
  assert.match(await runInConsole(page, 'query', 'ASK { <urn:dash:c> <urn:dash:p> "gamma" }', 'keyboard'), /^ASK: true/);

  // A syntax error shows the server's own line and column, and marks the line.
  const bad = 'SELECT ?s\nWHERE {\n  ?s ?p\n}';
  const direct = await httpRequest(cluster.node(viewer).url, '/sparql', { method: 'POST', headers: { 'content-type': 'application/sparql-query' }, body: bad });
  const { line, column } = JSON.parse(direct.body).error as { line: number; column: number };
  assert.ok(Number.isInteger(line) && Number.isInteger(column), direct.body);
  const error = await runInConsole(page, 'query', bad, 'keyboard');
  assert.ok(error.startsWith(`400 sparql_syntax: line ${line}, column ${column}: `), error);
  assert.equal(await page.textContent('#sparql-gutter .error-line'), `${line}\n`);
  await screenshot(t, page, '3-console-error');

  // kill -9 the other follower: red on the page within 5 s.
  await cluster.kill(victim);
  const killedAtMs = Date.now();
  const victimRow = `#members tr[data-member="${victim}"].unreachable`;
  await page.waitForSelector(victimRow, { timeout: UNREACHABLE_SHOWN_MS_MAX });
  t.diagnostic(`${victim} shown unreachable ${Date.now() - killedAtMs} ms after SIGKILL`);
  assert.equal(await page.textContent(`${victimRow} .reachability-lost`), '● unreachable');
  assert.equal(await page.$eval(`${victimRow} td`, (cell) => getComputedStyle(cell).color), 'rgb(198, 40, 40)');
  assert.equal(await page.locator('#members tr.unreachable').count(), 1);
  await screenshot(t, page, '4-follower-killed');

  assert.deepEqual(problems, []);
}

test('with --auth the page asks for credentials, refuses wrong ones, and sends the right ones on every request', { timeout: 120_000, skip: SKIP }, async (t) => {
  const browser = await launch();
  const dir = mkdtempSync(join(tmpdir(), 'oxirs-dashboard-auth-'));
  let node: NodeProcess | undefined;
  try {
    const authFile = join(dir, 'auth.json');
    writeFileSync(authFile, JSON.stringify({ users: [{ name: 'ops', password: 'ops-secret', role: 'write' }], tokens: [{ token: READ_TOKEN, role: 'read' }] }));
    node = await startNode(join(dir, 'data'), await freePort(), ['--auth', authFile]);
    const { page, problems } = await openPage(browser, `${node.url}/`);
    await page.waitForSelector('#auth-dialog[open]');
    assert.match((await page.textContent('#auth-reason')) ?? '', /needs credentials/);

    const signIn = async (fields: Record<string, string>) => {
      await page.check(`#auth-form input[value="${fields.token === undefined ? 'basic' : 'bearer'}"]`);
      for (const [name, value] of Object.entries(fields)) await page.fill(`#auth-form input[name="${name}"]`, value);
      await page.click('#auth-form button[type="submit"]');
    };
    await signIn({ token: 'wrong-token-0123456789abcdef' });
    await page.waitForFunction(() => document.querySelector('#auth-reason')?.textContent?.includes('refused'));
    await page.waitForSelector('#auth-dialog[open]');

    // A read token: the cluster shows, queries run, an update is refused with the server's 403.
    await signIn({ token: READ_TOKEN });
    await page.waitForSelector('#members tr.role-leader');
    assert.equal(await page.locator('#auth-dialog[open]').count(), 0);
    assert.match(await runInConsole(page, 'query', 'ASK { ?s ?p ?o }', 'click'), /^ASK: false/);
    assert.match(await runInConsole(page, 'update', 'INSERT DATA { <urn:a> <urn:p> 1 }', 'click'), /^403 forbidden: .*write role; you have read\./);

    // Signed out, the next poll asks again; a writer's user and password then do both.
    await page.click('#sign-out');
    await page.waitForSelector('#auth-dialog[open]');
    await signIn({ user: 'ops', password: 'ops-secret' });
    await page.waitForFunction(() => !document.querySelector('#auth-dialog')?.hasAttribute('open'));
    assert.match(await runInConsole(page, 'update', 'INSERT DATA { <urn:a> <urn:p> 1 }', 'click'), /^Update applied/);
    assert.match(await runInConsole(page, 'query', 'SELECT * WHERE { ?s ?p ?o }', 'click'), /^1 row in/);
    // Kept for the tab, so a reload does not ask again.
    await page.reload();
    await page.waitForSelector('#members tr.role-leader');
    assert.equal(await page.locator('#auth-dialog[open]').count(), 0);
    await screenshot(t, page, '5-signed-in');
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    if (node) await stopNode(node, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
