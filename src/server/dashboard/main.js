// @ts-check
/**
 * The dashboard page: polls this node's GET /cluster/overview, /metrics and /alerts once a second
 * (each loop waits for its answer before the next, so a slow node is never asked twice at once)
 * and wires the SPARQL console and the sign-in dialog. An endpoint this node does not have (404)
 * is asked again only every 10 s, and its panel says it is not available.
 */
import { installAuthDialog } from './auth-dialog.js';
import { AlertsPanel } from './alerts-panel.js';
import { ChartsPanel } from './charts-panel.js';
import { errorOf, request } from './http-client.js';
import { MembersPanel } from './members-panel.js';
import { parsePrometheusText } from './prometheus-text.js';
import { SparqlConsole } from './sparql-console.js';

const POLL_MS = 1_000;
const ABSENT_RETRY_MS = 10_000;

/**
 * Runs `step` now, then again `POLL_MS` (or the delay it returns) after each run ends.
 * @param {() => Promise<number | void>} step
 */
function poll(step) {
  const loop = async () => {
    let delayMs = POLL_MS;
    try {
      delayMs = (await step()) ?? POLL_MS;
    } catch (error) {
      console.error(error);
    }
    setTimeout(loop, delayMs);
  };
  void loop();
}

/** @param {unknown} error */
function describe(error) {
  const e = /** @type {Error} */ (error);
  return e.name === 'TimeoutError' ? 'no answer in time' : e.message;
}

/** @param {Response} response */
async function failure(response) {
  const error = await errorOf(response);
  return `${response.status} ${error.code}: ${error.message}`;
}

installAuthDialog();
new SparqlConsole();
const members = new MembersPanel();
const alerts = new AlertsPanel();
const charts = new ChartsPanel(/** @type {HTMLElement} */ (document.querySelector('#charts')));

poll(async () => {
  try {
    const response = await request('/cluster/overview');
    if (!response.ok) return members.showFailure(await failure(response));
    const overview = await response.json();
    members.show(overview);
    charts.addCommitIndex(performance.now(), overview.commitIndex);
  } catch (error) {
    members.showFailure(describe(error));
  }
});

poll(async () => {
  try {
    const response = await request('/metrics', { headers: { accept: 'text/plain' } });
    if (response.status === 404) {
      charts.metricsUnavailable('this node does not serve /metrics');
      return ABSENT_RETRY_MS;
    }
    if (!response.ok) return charts.metricsUnavailable(await failure(response));
    charts.addScrape(performance.now(), parsePrometheusText(await response.text()));
  } catch (error) {
    charts.metricsUnavailable(describe(error));
  }
});

poll(async () => {
  try {
    const response = await request('/alerts');
    if (response.status === 404) {
      alerts.showMessage('Alerting is not available on this node.');
      return ABSENT_RETRY_MS;
    }
    if (!response.ok) return alerts.showMessage(`GET /alerts failed: ${await failure(response)}`);
    alerts.show((await response.json()).alerts ?? []);
  } catch (error) {
    alerts.showMessage(`GET /alerts failed: ${describe(error)}`);
  }
});
