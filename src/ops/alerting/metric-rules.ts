/**
 * The threshold rules over the metrics contract (docs/alerting.md lists them with their
 * defaults). Each reads only the metrics it names; when one is absent (not registered on this
 * node, e.g. a build without it) the rule is inactive rather than wrong. Windowed rules (WAL
 * fsync p99, error rate) compare the newest snapshot of a cumulative metric with the one at the
 * start of their window, so they need no state in the metrics code and survive counter resets.
 */
import { formatDuration, type AlertRule, type Severity, type Violation } from './alert-types.ts';
import { bucketDelta, bucketsOf, histogramQuantile, observationCount, type CumulativeBuckets } from './histogram-math.ts';
import type { MetricFamily, MetricSample, MetricSource } from './metric-source.ts';
import { SlidingWindow } from './sliding-window.ts';

export interface RuleBase {
  name: string;
  severity: Severity;
  forMs: number;
}

const heldFor = (heldMs: number) => `for ${formatDuration(heldMs)}`;

/** A rule over one gauge: each of its series that `violation` maps to a Violation is one alert. */
function gaugeRule(base: RuleBase, metric: string, violation: (sample: MetricSample) => Violation | undefined): AlertRule {
  return {
    ...base,
    metrics: [metric],
    async evaluate(source) {
      const family = await source.read(metric);
      if (!family) return undefined;
      return family.samples.map(violation).filter((v): v is Violation => v !== undefined);
    },
  };
}

export function noLeaderRule(base: RuleBase): AlertRule {
  return gaugeRule(base, 'oxirs_raft_has_leader', (s) => (s.value === 0 ? { labels: s.labels, summary: (held) => `no leader known ${heldFor(held)}` } : undefined));
}

export function peerUnreachableRule(base: RuleBase): AlertRule {
  return gaugeRule(base, 'oxirs_raft_peer_reachable', (s) =>
    s.value === 0 && s.labels.peer !== undefined ? { labels: { peer: s.labels.peer }, summary: (held) => `peer ${s.labels.peer} unreachable ${heldFor(held)}` } : undefined,
  );
}

export function replicaLagRule(base: RuleBase & { thresholdEntries: number }): AlertRule {
  return gaugeRule(base, 'oxirs_raft_peer_lag_entries', (s) =>
    s.value > base.thresholdEntries && s.labels.peer !== undefined
      ? { labels: { peer: s.labels.peer }, summary: (held) => `replica ${s.labels.peer} is ${s.value} entries behind the leader (more than ${base.thresholdEntries}) ${heldFor(held)}` }
      : undefined,
  );
}

export function diskFreeRule(base: RuleBase & { thresholdPercent: number }): AlertRule {
  return gaugeRule(base, 'oxirs_disk_free_ratio', (s) =>
    s.value * 100 < base.thresholdPercent
      ? { labels: s.labels, summary: (held) => `disk free ${(s.value * 100).toFixed(1)}% on the data directory's filesystem (below ${base.thresholdPercent}%) ${heldFor(held)}` }
      : undefined,
  );
}

/**
 * A rule over a cumulative metric judged across a sliding window: `snapshot` reduces the family
 * to a value, `judge` compares the snapshot at the window's start with the newest one. The window
 * restarts when the metric disappears; the first snapshot alone judges nothing.
 */
function windowedRule<T>(
  base: RuleBase & { windowMs: number },
  metric: string,
  snapshot: (family: MetricFamily) => T | undefined,
  judge: (start: { atMs: number; value: T }, now: T, nowMs: number) => Violation[],
): AlertRule {
  const window = new SlidingWindow<T>(base.windowMs);
  return {
    ...base,
    metrics: [metric],
    async evaluate(source: MetricSource, nowMs: number) {
      const family = await source.read(metric);
      if (!family) {
        window.clear();
        return undefined;
      }
      const now = snapshot(family);
      if (now === undefined) return [];
      const start = window.push(nowMs, now);
      return start.value === now ? [] : judge(start, now, nowMs);
    },
  };
}

/** The p99 of WAL fsync durations over the last `windowMs` is above `thresholdMs`. */
export function walFsyncP99Rule(base: RuleBase & { thresholdMs: number; windowMs: number; minObservations: number }): AlertRule {
  return windowedRule<CumulativeBuckets>(base, 'oxirs_wal_fsync_duration_seconds', (family) => bucketsOf(family), (start, buckets, nowMs) => {
    const delta = bucketDelta(start.value, buckets);
    const count = observationCount(delta);
    if (count < base.minObservations) return [];
    const p99Ms = histogramQuantile(0.99, delta)! * 1000;
    if (p99Ms <= base.thresholdMs) return [];
    return [{ labels: {}, summary: (held) => `WAL fsync p99 ${formatMs(p99Ms)} over the last ${formatDuration(nowMs - start.atMs)} (${count} fsyncs; above ${base.thresholdMs} ms) ${heldFor(held)}` }];
  });
}

/** The share of 5xx answers among the HTTP requests of the last `windowMs` is above `thresholdPercent`. */
export function errorRateRule(base: RuleBase & { thresholdPercent: number; windowMs: number; minRequests: number }): AlertRule {
  const totals = (family: MetricFamily) => {
    const now = { total: 0, errors: 0 };
    for (const sample of family.samples) {
      now.total += sample.value;
      if (sample.labels.status?.startsWith('5')) now.errors += sample.value;
    }
    return now;
  };
  return windowedRule(base, 'oxirs_http_requests_total', totals, (start, now, nowMs) => {
    // A counter that went down was reset: everything it holds now is new.
    const reset = now.total < start.value.total || now.errors < start.value.errors;
    const total = reset ? now.total : now.total - start.value.total;
    const errors = reset ? now.errors : now.errors - start.value.errors;
    if (total < base.minRequests) return [];
    const percent = (100 * errors) / total;
    if (percent <= base.thresholdPercent) return [];
    return [
      {
        labels: {},
        summary: (held) =>
          `${percent.toFixed(1)}% of HTTP requests failed with 5xx (${errors} of ${total}) over the last ${formatDuration(nowMs - start.atMs)} (above ${base.thresholdPercent}%) ${heldFor(held)}`,
      },
    ];
  });
}

/** 0.42 -> "0.42 ms", 12.3 -> "12 ms", 4800 -> "4.8 s". */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${Number(ms.toPrecision(2))} ms`;
}
