/**
 * Quantiles of a Prometheus histogram over a time window, computed the way PromQL's
 * `histogram_quantile(q, increase(x_bucket[w]))` does: the bucket counts at the end of the window
 * minus those at its start, then linear interpolation inside the bucket that holds the rank.
 *
 * Tolerates: a counter reset between the two snapshots (some bucket went down: the process or the
 * registry restarted), which is read as "everything in the newer snapshot is new", as PromQL's
 * `increase` does; and snapshots whose bucket bounds differ (the bounds of the newer one win, a
 * bound missing from the older one counts from zero).
 */
import type { MetricFamily } from './metric-source.ts';

/** Cumulative counts per upper bound, ascending; the last bound is +Infinity (the total). */
export type CumulativeBuckets = ReadonlyArray<{ upperBound: number; count: number }>;

/**
 * The buckets of a histogram family, summed over every series whose labels match `filter`
 * (e.g. all `form`s of the query duration). Undefined when the family has no series at all.
 */
export function bucketsOf(family: MetricFamily, filter: (labels: Record<string, string>) => boolean = () => true): CumulativeBuckets | undefined {
  const byBound = new Map<number, number>();
  const bucketName = `${family.name}_bucket`;
  for (const sample of family.samples) {
    if (sample.metricName !== bucketName || !filter(sample.labels)) continue;
    const bound = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
    if (Number.isNaN(bound)) continue;
    byBound.set(bound, (byBound.get(bound) ?? 0) + sample.value);
  }
  if (byBound.size === 0) return undefined;
  return [...byBound.entries()].sort((a, b) => a[0] - b[0]).map(([upperBound, count]) => ({ upperBound, count }));
}

/** The observations made between `older` and `newer` (see the module header on resets). */
export function bucketDelta(older: CumulativeBuckets | undefined, newer: CumulativeBuckets): CumulativeBuckets {
  if (!older) return newer;
  const before = new Map(older.map((b) => [b.upperBound, b.count]));
  const delta = newer.map((b) => ({ upperBound: b.upperBound, count: b.count - (before.get(b.upperBound) ?? 0) }));
  return delta.some((b) => b.count < 0) ? newer : delta;
}

/** How many observations the buckets hold (the +Inf bucket). */
export function observationCount(buckets: CumulativeBuckets): number {
  return buckets.length === 0 ? 0 : buckets[buckets.length - 1].count;
}

/**
 * The q-quantile (0 <= q <= 1) estimated from cumulative buckets, or undefined when they hold no
 * observation. A rank that falls in the +Inf bucket answers the largest finite bound (as PromQL
 * does: nothing more precise is known).
 */
export function histogramQuantile(q: number, buckets: CumulativeBuckets): number | undefined {
  const total = observationCount(buckets);
  if (total <= 0) return undefined;
  const rank = q * total;
  let previousBound = 0;
  let previousCount = 0;
  for (const { upperBound, count } of buckets) {
    if (count >= rank && count > previousCount) {
      if (upperBound === Infinity) return previousBound;
      // The first bucket's lower edge is 0 (durations are not negative) unless its bound is below 0.
      const lower = previousBound === 0 && upperBound < 0 ? upperBound : previousBound;
      return lower + (upperBound - lower) * ((rank - previousCount) / (count - previousCount));
    }
    if (upperBound !== Infinity) previousBound = upperBound;
    previousCount = count;
  }
  return previousBound;
}
