/**
 * Tells whether the newest sample of a series (a latency, a throughput) is unusual, and what
 * "usual" was, in numbers a person can read.
 *
 * Method: a robust z-score (robust-statistics.ts) of the sample against a baseline: the median
 * and MAD of the baseline's samples. The baseline is
 * - seasonal, once enough history exists: the samples taken in the same bucket of earlier periods
 *   (same hour of the day on earlier days, or same minute of the hour in earlier hours), so a
 *   nightly batch or a daily peak is not flagged every day;
 * - otherwise rolling: the last `rollingSamplesMax` samples.
 * No verdict is given before `minSamples` baseline samples exist. The sample is added to the
 * history after it is judged, so a lasting shift becomes the new normal as the window rolls on.
 *
 * Pure: time comes in with each sample (no clock), and memory is bounded (a ring of rolling
 * samples, a capped list per seasonal bucket).
 */
import { medianAbsoluteDeviation, quantileOfSorted, robustZ } from './robust-statistics.ts';

export type AnomalyDirection = 'high' | 'low' | 'both';
export type Seasonality = 'none' | 'hour-of-day' | 'minute-of-hour';

export interface AnomalyDetectorOptions {
  /** |z| beyond this (in `direction`) is anomalous. */
  zThreshold: number;
  direction: AnomalyDirection;
  /** Baseline samples needed before any verdict. */
  minSamples: number;
  /** Samples kept for the rolling baseline. */
  rollingSamplesMax: number;
  seasonality: Seasonality;
  /** Samples kept per seasonal bucket (the newest). */
  seasonalSamplesMax: number;
  /** The robust scale is at least this fraction of |median| ... */
  relativeScaleFloor: number;
  /** ... and at least this, in the series' unit. */
  absoluteScaleFloor: number;
}

export const DEFAULT_DETECTOR_OPTIONS: Omit<AnomalyDetectorOptions, 'direction' | 'absoluteScaleFloor'> = {
  zThreshold: 3.5,
  minSamples: 30,
  rollingSamplesMax: 360,
  seasonality: 'hour-of-day',
  seasonalSamplesMax: 1_000,
  relativeScaleFloor: 0.1,
};

export interface AnomalyVerdict {
  value: number;
  /** Which baseline judged the sample; 'none': not enough history yet (never anomalous). */
  baseline: 'rolling' | 'seasonal' | 'none';
  median: number;
  /** The 10th and 90th percentiles of the baseline: the "usual range" shown to people. */
  usualLow: number;
  usualHigh: number;
  z: number;
  anomalous: boolean;
}

const SEASONS: Record<Exclude<Seasonality, 'none'>, { bucketMs: number; buckets: number }> = {
  'hour-of-day': { bucketMs: 3_600_000, buckets: 24 },
  'minute-of-hour': { bucketMs: 60_000, buckets: 60 },
};

export class AnomalyDetector {
  /** Ring buffer of the rolling baseline. */
  private readonly rolling: number[] = [];
  private rollingNext = 0;
  /** Per seasonal bucket, the newest samples with their time. */
  private readonly seasonal = new Map<number, Array<{ atMs: number; value: number }>>();

  constructor(readonly options: AnomalyDetectorOptions) {
    if (options.minSamples < 3) throw new Error('minSamples must be at least 3');
    if (options.rollingSamplesMax < options.minSamples) throw new Error('rollingSamplesMax must be at least minSamples');
  }

  /** Judges `value` taken at `atMs` against the history so far, then adds it to the history. */
  observe(atMs: number, value: number): AnomalyVerdict {
    const verdict = this.judge(atMs, value);
    this.remember(atMs, value);
    return verdict;
  }

  private judge(atMs: number, value: number): AnomalyVerdict {
    const seasonal = this.seasonalBaseline(atMs);
    const baseline = seasonal.length >= this.options.minSamples ? seasonal : this.rolling.length >= this.options.minSamples ? this.rolling : undefined;
    if (!baseline) return { value, baseline: 'none', median: NaN, usualLow: NaN, usualHigh: NaN, z: 0, anomalous: false };
    const sorted = [...baseline].sort((a, b) => a - b);
    const center = quantileOfSorted(sorted, 0.5);
    const mad = medianAbsoluteDeviation(sorted, center);
    const floor = Math.max(this.options.relativeScaleFloor * Math.abs(center), this.options.absoluteScaleFloor);
    const z = robustZ(value, center, mad, floor);
    const threshold = this.options.zThreshold;
    const anomalous = this.options.direction === 'high' ? z > threshold : this.options.direction === 'low' ? z < -threshold : Math.abs(z) > threshold;
    return {
      value,
      baseline: baseline === seasonal ? 'seasonal' : 'rolling',
      median: center,
      usualLow: quantileOfSorted(sorted, 0.1),
      usualHigh: quantileOfSorted(sorted, 0.9),
      z,
      anomalous,
    };
  }

  /** Samples of the same bucket taken in earlier periods (at least one bucket width ago). */
  private seasonalBaseline(atMs: number): number[] {
    if (this.options.seasonality === 'none') return [];
    const { bucketMs } = SEASONS[this.options.seasonality];
    const samples = this.seasonal.get(this.bucketOf(atMs)) ?? [];
    // Same bucket and at least a bucket width old means an earlier period (an earlier day for
    // hour-of-day): the current hour's own samples are the rolling baseline's business.
    return samples.filter((s) => atMs - s.atMs >= bucketMs).map((s) => s.value);
  }

  private bucketOf(atMs: number): number {
    const { bucketMs, buckets } = SEASONS[this.options.seasonality as Exclude<Seasonality, 'none'>];
    return Math.floor(atMs / bucketMs) % buckets;
  }

  private remember(atMs: number, value: number): void {
    if (this.rolling.length < this.options.rollingSamplesMax) this.rolling.push(value);
    else this.rolling[this.rollingNext] = value;
    this.rollingNext = (this.rollingNext + 1) % this.options.rollingSamplesMax;
    if (this.options.seasonality === 'none') return;
    const bucket = this.bucketOf(atMs);
    let samples = this.seasonal.get(bucket);
    if (!samples) this.seasonal.set(bucket, (samples = []));
    samples.push({ atMs, value });
    if (samples.length > this.options.seasonalSamplesMax) samples.shift();
  }
}
