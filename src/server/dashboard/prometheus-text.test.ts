// The dashboard's reading of GET /metrics: the text format (labels with escapes, special values,
// comments), counter rates across a reset, and latency quantiles from bucket deltas, checked
// against values worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counterRate, histogramQuantile, parsePrometheusText } from './prometheus-text.js';

const SCRAPE_1 = `# HELP oxirs_sparql_queries_total Queries by form and outcome.
# TYPE oxirs_sparql_queries_total counter
oxirs_sparql_queries_total{form="select",outcome="ok"} 10
oxirs_sparql_queries_total{form="ask",outcome="ok"} 5
oxirs_sparql_queries_total{form="select",outcome="error"} 1
# TYPE oxirs_sparql_query_duration_seconds histogram
oxirs_sparql_query_duration_seconds_bucket{le="0.01",form="select"} 4
oxirs_sparql_query_duration_seconds_bucket{le="0.1",form="select"} 10
oxirs_sparql_query_duration_seconds_bucket{le="1",form="select"} 10
oxirs_sparql_query_duration_seconds_bucket{le="+Inf",form="select"} 10
oxirs_sparql_query_duration_seconds_sum{form="select"} 0.3
oxirs_sparql_query_duration_seconds_count{form="select"} 10
oxirs_raft_commit_index 42
`;

// Ten seconds later: 20 more select queries (10 under 10 ms, 6 between 10 and 100 ms, 4 between 0.1 and 1 s).
const SCRAPE_2 = SCRAPE_1.replace('{form="select",outcome="ok"} 10', '{form="select",outcome="ok"} 30')
  .replace('{le="0.01",form="select"} 4', '{le="0.01",form="select"} 14')
  .replace('{le="0.1",form="select"} 10', '{le="0.1",form="select"} 26')
  .replace('{le="1",form="select"} 10', '{le="1",form="select"} 30')
  .replace('{le="+Inf",form="select"} 10', '{le="+Inf",form="select"} 30');

test('parses names, labels with escapes, special values and timestamps; skips comments', () => {
  const samples = parsePrometheusText(
    '# HELP x help\n\nplain 1.5\nescaped{path="a\\\\b",quote="say \\"hi\\"",nl="x\\ny",} 2 1700000000000\nspecial{v="inf"} +Inf\nneg -Inf\nnan NaN\n',
  );
  assert.deepEqual(samples.slice(0, 2), [
    { name: 'plain', labels: {}, value: 1.5 },
    { name: 'escaped', labels: { path: 'a\\b', quote: 'say "hi"', nl: 'x\ny' }, value: 2 },
  ]);
  assert.equal(samples[2].value, Infinity);
  assert.equal(samples[3].value, -Infinity);
  assert.ok(Number.isNaN(samples[4].value));
});

test('a malformed line is an error naming its line', () => {
  assert.throws(() => parsePrometheusText('ok 1\nbroken{a="x} 1\n'), /metrics line 2: unterminated label value/);
  assert.throws(() => parsePrometheusText('ok 1\n\nnovalue\n'), /metrics line 3: not a number/);
  assert.throws(() => parsePrometheusText('{a="b"} 1'), /metrics line 1: no metric name/);
});

test('counter rate: summed over the matching series, per second', () => {
  const before = parsePrometheusText(SCRAPE_1);
  const after = parsePrometheusText(SCRAPE_2);
  assert.equal(counterRate(before, after, 'oxirs_sparql_queries_total', 10), 2);
  assert.equal(counterRate(before, after, 'oxirs_sparql_queries_total', 10, (l) => l.outcome === 'error'), 0);
  assert.equal(counterRate(before, after, 'oxirs_sparql_updates_total', 10), null);
});

test('counter rate: a counter that went down was reset and counts from zero', () => {
  const before = parsePrometheusText('c_total 100\n');
  const after = parsePrometheusText('c_total 7\n');
  assert.equal(counterRate(before, after, 'c_total', 1), 7);
  // A series that first appears counts from zero too.
  assert.equal(counterRate([], after, 'c_total', 7), 1);
});

test('histogram quantile from bucket deltas, interpolated inside the bucket', () => {
  const before = parsePrometheusText(SCRAPE_1);
  const after = parsePrometheusText(SCRAPE_2);
  const name = 'oxirs_sparql_query_duration_seconds';
  // 20 observations: rank 10 (p50) is the last of the first bucket: its upper bound.
  assert.equal(histogramQuantile(before, after, name, 0.5), 0.01);
  // p75: rank 15, 5 of the 6 in (0.01, 0.1] -> 0.01 + 0.09 * 5/6.
  assert.ok(Math.abs(histogramQuantile(before, after, name, 0.75)! - (0.01 + (0.09 * 5) / 6)) < 1e-12);
  // p99: rank 19.8, in (0.1, 1]: 0.1 + 0.9 * 3.8/4.
  assert.ok(Math.abs(histogramQuantile(before, after, name, 0.99)! - (0.1 + (0.9 * 3.8) / 4)) < 1e-12);
  // Nothing observed between two equal scrapes.
  assert.equal(histogramQuantile(after, after, name, 0.5), null);
  assert.equal(histogramQuantile(before, after, 'absent_seconds', 0.5), null);
});

test('histogram quantile: observations above the largest finite bound answer that bound', () => {
  const before = parsePrometheusText('h_bucket{le="1"} 0\nh_bucket{le="+Inf"} 0\n');
  const after = parsePrometheusText('h_bucket{le="1"} 1\nh_bucket{le="+Inf"} 10\n');
  assert.equal(histogramQuantile(before, after, 'h', 0.99), 1);
});

test('histogram quantile sums the buckets of several label sets', () => {
  const before = parsePrometheusText('h_bucket{form="a",le="1"} 0\nh_bucket{form="a",le="+Inf"} 0\nh_bucket{form="b",le="1"} 0\nh_bucket{form="b",le="+Inf"} 0\n');
  const after = parsePrometheusText('h_bucket{form="a",le="1"} 2\nh_bucket{form="a",le="+Inf"} 2\nh_bucket{form="b",le="1"} 0\nh_bucket{form="b",le="+Inf"} 2\n');
  // 4 observations, 2 at most 1 s: the median is at the bound.
  assert.equal(histogramQuantile(before, after, 'h', 0.5), 1);
  assert.equal(histogramQuantile(before, after, 'h', 0.5, (l) => l.form === 'a'), 0.5);
});
