// @ts-check
/**
 * The throughput and latency charts. The commit rate comes from the commit index of successive
 * cluster overviews (the whole cluster's write throughput, available on every node). The SPARQL
 * rates and latency quantiles come from successive scrapes of this node's GET /metrics (the
 * oxirs_sparql_* families): a rate is a counter's growth between two scrapes, a quantile is read
 * from the histogram buckets filled between them. Without /metrics those two charts say so.
 */
import { LineChart } from './line-chart.js';
import { counterRate, histogramQuantile } from './prometheus-text.js';

/** @typedef {import('./prometheus-text.js').Sample} Sample */
/** @typedef {import('./line-chart.js').Point} Point */

const WINDOW_MS = 120_000;

class Series {
  constructor() {
    /** @type {Point[]} */
    this.points = [];
  }

  /** @param {number} timeMs @param {number | null} value null leaves a gap (nothing measured) */
  add(timeMs, value) {
    if (value !== null && Number.isFinite(value)) this.points.push({ timeMs, value });
    while (this.points.length > 0 && this.points[0].timeMs < timeMs - WINDOW_MS) this.points.shift();
  }
}

export class ChartsPanel {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.commitChart = new LineChart(container, {
      title: 'Committed log entries, whole cluster',
      unit: 'entries/s',
      windowMs: WINDOW_MS,
      series: [{ label: 'commits', className: 'series-1' }],
      emptyText: 'collecting data…',
    });
    this.requestChart = new LineChart(container, {
      title: 'SPARQL requests on this node',
      unit: 'per second',
      windowMs: WINDOW_MS,
      series: [
        { label: 'queries', className: 'series-1' },
        { label: 'updates', className: 'series-2' },
        { label: 'failed', className: 'series-3' },
      ],
      emptyText: 'collecting data…',
    });
    this.latencyChart = new LineChart(container, {
      title: 'SPARQL latency on this node',
      unit: 'ms',
      windowMs: WINDOW_MS,
      series: [
        { label: 'query p50', className: 'series-1' },
        { label: 'query p99', className: 'series-2' },
        { label: 'update p99', className: 'series-3' },
      ],
      emptyText: 'no queries or updates in the last 2 minutes',
    });
    this.commits = new Series();
    this.requests = [new Series(), new Series(), new Series()];
    this.latencies = [new Series(), new Series(), new Series()];
    /** @type {{ timeMs: number, commitIndex: number } | null} */
    this.lastOverview = null;
    /** @type {{ timeMs: number, samples: Sample[] } | null} */
    this.lastScrape = null;
    this.commitChart.draw([]);
    this.requestChart.showMessage('waiting for the first scrape of /metrics…');
    this.latencyChart.showMessage('waiting for the first scrape of /metrics…');
  }

  /** @param {number} timeMs @param {number} commitIndex */
  addCommitIndex(timeMs, commitIndex) {
    const last = this.lastOverview;
    this.lastOverview = { timeMs, commitIndex };
    // A lower index comes from another node's view (no leader for a moment): start again from it.
    if (last && commitIndex >= last.commitIndex && timeMs > last.timeMs) this.commits.add(timeMs, ((commitIndex - last.commitIndex) * 1000) / (timeMs - last.timeMs));
    this.commitChart.draw([this.commits.points]);
  }

  /** @param {number} timeMs @param {Sample[]} samples */
  addScrape(timeMs, samples) {
    const last = this.lastScrape;
    this.lastScrape = { timeMs, samples };
    if (!last) {
      this.requestChart.showMessage('collecting data…');
      this.latencyChart.showMessage('collecting data…');
      return;
    }
    const seconds = (timeMs - last.timeMs) / 1000;
    const failed = (/** @type {Record<string, string>} */ labels) => labels.outcome !== 'ok';
    const queryFailures = counterRate(last.samples, samples, 'oxirs_sparql_queries_total', seconds, failed);
    const updateFailures = counterRate(last.samples, samples, 'oxirs_sparql_updates_total', seconds, failed);
    this.requests[0].add(timeMs, counterRate(last.samples, samples, 'oxirs_sparql_queries_total', seconds));
    this.requests[1].add(timeMs, counterRate(last.samples, samples, 'oxirs_sparql_updates_total', seconds));
    this.requests[2].add(timeMs, queryFailures === null && updateFailures === null ? null : (queryFailures ?? 0) + (updateFailures ?? 0));
    const milliseconds = (/** @type {number | null} */ s) => (s === null ? null : s * 1000);
    this.latencies[0].add(timeMs, milliseconds(histogramQuantile(last.samples, samples, 'oxirs_sparql_query_duration_seconds', 0.5)));
    this.latencies[1].add(timeMs, milliseconds(histogramQuantile(last.samples, samples, 'oxirs_sparql_query_duration_seconds', 0.99)));
    this.latencies[2].add(timeMs, milliseconds(histogramQuantile(last.samples, samples, 'oxirs_sparql_update_duration_seconds', 0.99)));
    this.requestChart.draw(this.requests.map((series) => series.points));
    this.latencyChart.draw(this.latencies.map((series) => series.points));
  }

  /** @param {string} reason */
  metricsUnavailable(reason) {
    this.lastScrape = null;
    this.requestChart.showMessage(`metrics unavailable: ${reason}`);
    this.latencyChart.showMessage(`metrics unavailable: ${reason}`);
  }
}
