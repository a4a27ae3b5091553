/**
 * Anomaly alerts on latency and throughput series. Every `sampleIntervalMs` the rule turns the
 * live metrics into one sample: the p99 of a latency histogram over the interval (from bucket
 * deltas), or a counter's rate over the interval; the AnomalyDetector judges it against its
 * rolling or seasonal baseline. The alert condition is "the newest sample was anomalous", so the
 * for-duration asks for several anomalous samples in a row.
 *
 * An interval with too few observations for a meaningful p99 gives no latency sample (and clears
 * the condition): an idle node has no latency to judge.
 */
import { formatDuration, type AlertRule, type Violation } from './alert-types.ts';
import { AnomalyDetector, type AnomalyDetectorOptions, type AnomalyVerdict } from './anomaly-detector.ts';
import { bucketDelta, bucketsOf, histogramQuantile, observationCount, type CumulativeBuckets } from './histogram-math.ts';
import { sumOf } from './metric-source.ts';
import { formatMs, type RuleBase } from './metric-rules.ts';

interface SeriesDefinition {
  metric: string;
  kind: 'p99' | 'rate';
  /** How people call it: "p99 query latency". */
  title: string;
  /** In the series' unit (seconds for latency, per second for rates): see AnomalyDetector. */
  absoluteScaleFloor: number;
}

export const ANOMALY_SERIES = {
  'query-latency-p99': { metric: 'oxirs_sparql_query_duration_seconds', kind: 'p99', title: 'p99 query latency', absoluteScaleFloor: 0.001 },
  'update-latency-p99': { metric: 'oxirs_sparql_update_duration_seconds', kind: 'p99', title: 'p99 update latency', absoluteScaleFloor: 0.001 },
  'query-throughput': { metric: 'oxirs_sparql_queries_total', kind: 'rate', title: 'query throughput', absoluteScaleFloor: 0.5 },
  'update-throughput': { metric: 'oxirs_sparql_updates_total', kind: 'rate', title: 'update throughput', absoluteScaleFloor: 0.5 },
} as const satisfies Record<string, SeriesDefinition>;

export type AnomalySeries = keyof typeof ANOMALY_SERIES;

export interface AnomalyRuleOptions extends RuleBase {
  series: AnomalySeries;
  sampleIntervalMs: number;
  /** A latency interval with fewer observations gives no sample. */
  minObservations: number;
  detector: Omit<AnomalyDetectorOptions, 'absoluteScaleFloor'>;
}

export function anomalyRule(options: AnomalyRuleOptions): AlertRule {
  const series: SeriesDefinition = ANOMALY_SERIES[options.series];
  const detector = new AnomalyDetector({ ...options.detector, absoluteScaleFloor: series.absoluteScaleFloor });
  let last: { atMs: number; buckets?: CumulativeBuckets; total?: number } | undefined;
  let verdict: AnomalyVerdict | undefined;
  return {
    name: options.name,
    severity: options.severity,
    forMs: options.forMs,
    metrics: [series.metric],
    async evaluate(source, nowMs) {
      const family = await source.read(series.metric);
      if (!family) {
        last = undefined;
        verdict = undefined;
        return undefined;
      }
      if (!last || nowMs - last.atMs >= options.sampleIntervalMs) {
        const intervalMs = last ? nowMs - last.atMs : 0;
        if (series.kind === 'p99') {
          const buckets = bucketsOf(family);
          const delta = buckets && last?.buckets ? bucketDelta(last.buckets, buckets) : undefined;
          const enough = delta !== undefined && observationCount(delta) >= options.minObservations;
          verdict = enough ? detector.observe(nowMs, histogramQuantile(0.99, delta)!) : undefined;
          last = { atMs: nowMs, buckets };
        } else {
          const total = sumOf(family);
          // A counter that went down was reset: skip that interval rather than report a negative rate.
          const usable = last?.total !== undefined && total >= last.total && intervalMs > 0;
          verdict = usable ? detector.observe(nowMs, ((total - last!.total!) * 1000) / intervalMs) : undefined;
          last = { atMs: nowMs, total };
        }
      }
      if (!verdict?.anomalous) return [];
      const judged = verdict;
      return [{ labels: { series: options.series }, summary: (held) => describeAnomaly(series, judged, held) } satisfies Violation];
    },
  };
}

/** "p99 query latency 480 ms, usual range 20-60 ms, for 30 s". */
export function describeAnomaly(series: Pick<SeriesDefinition, 'kind' | 'title'>, verdict: AnomalyVerdict, heldMs: number): string {
  const season = verdict.baseline === 'seasonal' ? ' at this time' : '';
  const held = heldMs > 0 ? `, for ${formatDuration(heldMs)}` : '';
  if (series.kind === 'p99') {
    return `${series.title} ${formatMs(verdict.value * 1000)}, usual range ${formatMsRange(verdict.usualLow * 1000, verdict.usualHigh * 1000)}${season}${held}`;
  }
  return `${series.title} ${formatRate(verdict.value)}/s, usual range ${formatRate(verdict.usualLow)}-${formatRate(verdict.usualHigh)}/s${season}${held}`;
}

function formatMsRange(lowMs: number, highMs: number): string {
  if (highMs >= 1000) return `${(lowMs / 1000).toFixed(1)}-${(highMs / 1000).toFixed(1)} s`;
  return `${formatMs(lowMs).replace(' ms', '')}-${formatMs(highMs)}`;
}

function formatRate(perSecond: number): string {
  return perSecond >= 100 ? String(Math.round(perSecond)) : perSecond.toFixed(1);
}
