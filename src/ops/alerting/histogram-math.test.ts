import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketDelta, bucketsOf, histogramQuantile, type CumulativeBuckets } from './histogram-math.ts';
import type { MetricFamily } from './metric-source.ts';

const b = (...pairs: Array<[number, number]>): CumulativeBuckets => pairs.map(([upperBound, count]) => ({ upperBound, count }));

test('quantile interpolates linearly inside the bucket holding the rank (as PromQL)', () => {
  const buckets = b([0.01, 50], [0.1, 90], [1, 100], [Infinity, 100]);
  assert.equal(histogramQuantile(0.5, buckets), 0.01);
  // rank 70: 20 of the 40 observations in (0.01, 0.1]
  assert.ok(Math.abs(histogramQuantile(0.7, buckets)! - 0.055) < 1e-12);
  assert.ok(Math.abs(histogramQuantile(0.99, buckets)! - 0.91) < 1e-12);
  // The first bucket starts at 0.
  assert.ok(Math.abs(histogramQuantile(0.25, buckets)! - 0.005) < 1e-12);
});

test('a rank in the +Inf bucket answers the largest finite bound', () => {
  assert.equal(histogramQuantile(0.99, b([0.1, 10], [1, 10], [Infinity, 20])), 1);
});

test('no observations: no quantile', () => {
  assert.equal(histogramQuantile(0.99, b([0.1, 0], [Infinity, 0])), undefined);
});

test('deltas subtract per bound; a reset counts the newer snapshot whole', () => {
  assert.deepEqual(bucketDelta(b([0.1, 5], [Infinity, 8]), b([0.1, 7], [Infinity, 13])), b([0.1, 2], [Infinity, 5]));
  assert.deepEqual(bucketDelta(b([0.1, 5], [Infinity, 8]), b([0.1, 1], [Infinity, 2])), b([0.1, 1], [Infinity, 2]));
  assert.deepEqual(bucketDelta(undefined, b([Infinity, 2])), b([Infinity, 2]));
});

test('buckets are summed over label sets and sorted by bound', () => {
  const family: MetricFamily = {
    name: 'x_seconds',
    type: 'histogram',
    samples: [
      { metricName: 'x_seconds_bucket', labels: { le: '+Inf', form: 'select' }, value: 3 },
      { metricName: 'x_seconds_bucket', labels: { le: '0.5', form: 'select' }, value: 2 },
      { metricName: 'x_seconds_bucket', labels: { le: '0.5', form: 'ask' }, value: 1 },
      { metricName: 'x_seconds_bucket', labels: { le: '+Inf', form: 'ask' }, value: 1 },
      { metricName: 'x_seconds_count', labels: { form: 'ask' }, value: 1 },
    ],
  };
  assert.deepEqual(bucketsOf(family), b([0.5, 3], [Infinity, 4]));
  assert.deepEqual(bucketsOf(family, (l) => l.form === 'ask'), b([0.5, 1], [Infinity, 1]));
  assert.equal(bucketsOf({ ...family, samples: [] }), undefined);
});
