// The anomaly math, deterministic: samples and their times are given, no clock, no sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyDetector, DEFAULT_DETECTOR_OPTIONS, type AnomalyDetectorOptions } from './anomaly-detector.ts';
import { median, medianAbsoluteDeviation, robustZ, quantileOfSorted } from './robust-statistics.ts';
import { describeAnomaly } from './anomaly-rule.ts';
import { Prng } from '../../util/prng.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const T0 = Date.parse('2025-03-03T00:00:00Z');

function detector(options: Partial<AnomalyDetectorOptions> = {}): AnomalyDetector {
  return new AnomalyDetector({ ...DEFAULT_DETECTOR_OPTIONS, direction: 'high', absoluteScaleFloor: 0.001, ...options });
}

test('median, MAD and robust z', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(medianAbsoluteDeviation([1, 2, 3, 4, 100], 3), 1);
  assert.equal(quantileOfSorted([10, 20, 30, 40, 50], 0.1), 14);
  // One wild value does not move the baseline: z of 100 against [1..4, 100] is huge.
  assert.ok(robustZ(100, 3, 1, 0) > 60);
  assert.equal(robustZ(3, 3, 0, 0), 0);
  assert.equal(robustZ(4, 3, 0, 0.5), 2);
});

test('no verdict before minSamples; a spike above the rolling baseline is anomalous, the usual range is p10-p90', () => {
  const d = detector({ minSamples: 30, seasonality: 'none' });
  const prng = new Prng(7);
  for (let i = 0; i < 29; i++) {
    const verdict = d.observe(T0 + i * 10_000, 0.02 + prng.nextInt(40) / 1000);
    assert.equal(verdict.baseline, 'none');
    assert.equal(verdict.anomalous, false);
  }
  for (let i = 29; i < 100; i++) d.observe(T0 + i * 10_000, 0.02 + prng.nextInt(40) / 1000);
  const normal = d.observe(T0 + 100 * 10_000, 0.055);
  assert.equal(normal.baseline, 'rolling');
  assert.equal(normal.anomalous, false);
  const spike = d.observe(T0 + 101 * 10_000, 0.48);
  assert.equal(spike.anomalous, true);
  assert.ok(spike.z > 3.5);
  assert.ok(spike.usualLow >= 0.02 && spike.usualLow < 0.03, `usualLow ${spike.usualLow}`);
  assert.ok(spike.usualHigh > 0.05 && spike.usualHigh <= 0.06, `usualHigh ${spike.usualHigh}`);
  assert.match(describeAnomaly({ kind: 'p99', title: 'p99 query latency' }, spike, 30_000), /^p99 query latency 480 ms, usual range 2\d-5\d ms, for 30 s$/);
});

test('direction: a latency drop is not an alert, a throughput drop is when asked for', () => {
  const high = detector({ minSamples: 10, seasonality: 'none' });
  const low = new AnomalyDetector({ ...DEFAULT_DETECTOR_OPTIONS, minSamples: 10, seasonality: 'none', direction: 'low', absoluteScaleFloor: 0.5 });
  for (let i = 0; i < 20; i++) {
    high.observe(T0 + i, 0.1 + (i % 3) / 100);
    low.observe(T0 + i, 100 + (i % 5));
  }
  assert.equal(high.observe(T0 + 100, 0.001).anomalous, false);
  const drop = low.observe(T0 + 100, 0);
  assert.equal(drop.anomalous, true);
  assert.equal(describeAnomaly({ kind: 'rate', title: 'update throughput' }, drop, 0), 'update throughput 0.0/s, usual range 100-104/s');
  assert.equal(low.observe(T0 + 101, 500).anomalous, false, 'a surge is not a drop');
});

test('a flat series does not turn a tiny change into an alert (scale floor)', () => {
  const d = detector({ minSamples: 10, seasonality: 'none' });
  for (let i = 0; i < 20; i++) d.observe(T0 + i, 0.02);
  assert.equal(d.observe(T0 + 100, 0.024).anomalous, false, '+20% of a flat 20 ms: z = 2 with the 10% floor');
  assert.equal(d.observe(T0 + 101, 0.03).anomalous, true, '+50%: z = 5');
});

test('seasonal baseline: a daily peak at the same hour is usual once a previous day was seen', () => {
  const d = detector({ minSamples: 30, seasonality: 'hour-of-day', rollingSamplesMax: 360 });
  const SAMPLE_MS = 60_000;
  const value = (atMs: number) => {
    const hour = new Date(atMs).getUTCHours();
    // Every day from 09:00 to 10:00 the latency triples (a nightly-style batch); 30-40 ms otherwise.
    return (hour === 9 ? 0.1 : 0.03) + (Math.floor(atMs / SAMPLE_MS) % 11) / 1000;
  };
  // Day 1: the peak hour is judged against the rolling baseline and flagged.
  let flaggedDay1 = 0;
  for (let t = T0; t < T0 + DAY_MS; t += SAMPLE_MS) {
    const verdict = d.observe(t, value(t));
    if (new Date(t).getUTCHours() === 9 && verdict.anomalous) flaggedDay1++;
  }
  assert.ok(flaggedDay1 > 0, 'day 1: the peak is news');
  // Day 2: the same hour has a seasonal baseline from day 1 and is not flagged.
  const seen = { seasonal: 0, anomalous: 0 };
  for (let t = T0 + DAY_MS + 9 * HOUR_MS; t < T0 + DAY_MS + 10 * HOUR_MS; t += SAMPLE_MS) {
    const verdict = d.observe(t, value(t));
    if (verdict.baseline === 'seasonal') seen.seasonal++;
    if (verdict.anomalous) seen.anomalous++;
  }
  assert.equal(seen.seasonal, 60);
  assert.equal(seen.anomalous, 0);
  // But 500 ms at that hour is still anomalous, and said to be unusual for this time.
  const spike = d.observe(T0 + DAY_MS + 9 * HOUR_MS + 30 * SAMPLE_MS + 1, 0.5);
  assert.equal(spike.anomalous, true);
  assert.equal(spike.baseline, 'seasonal');
  assert.match(describeAnomaly({ kind: 'p99', title: 'p99 query latency' }, spike, 0), /^p99 query latency 500 ms, usual range 10\d-1[01]\d ms at this time$/);
});

test('memory is bounded: the rolling baseline forgets the oldest samples', () => {
  const d = detector({ minSamples: 10, rollingSamplesMax: 20, seasonality: 'none' });
  for (let i = 0; i < 20; i++) d.observe(T0 + i, 1);
  for (let i = 0; i < 20; i++) d.observe(T0 + 100 + i, 0.01);
  const verdict = d.observe(T0 + 200, 0.01);
  assert.equal(verdict.median, 0.01, 'the old level is gone');
});
