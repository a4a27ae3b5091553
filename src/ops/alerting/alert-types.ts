/**
 * What the alerting engine hands out: an alert (the shape `GET /alerts` serves, fixed by the
 * metrics contract), a notification (an alert starting to fire or resolving, what sinks deliver)
 * and the rule interface every rule kind implements.
 */
import type { MetricSource } from './metric-source.ts';

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Alert {
  /** Stable for one rule and one set of labels: `rule` or `rule{k=v,...}`. */
  id: string;
  rule: string;
  severity: Severity;
  state: 'firing';
  /** When the condition started to hold (ISO-8601), as Prometheus' activeAt. */
  since: string;
  /** Plain words, e.g. "peer n2 unreachable for 12 s". */
  summary: string;
  labels: Record<string, string>;
}

export interface AlertNotification {
  status: 'firing' | 'resolved';
  /** The alert as it was when it last fired (for a resolve: its last firing summary). */
  alert: Alert;
  /** The node that evaluated the rule. */
  node: string;
  /** When this notification was decided (ISO-8601). */
  at: string;
  /** For a resolve: how long the condition held, in whole seconds. */
  durationSeconds?: number;
}

/**
 * One series a rule found in its condition, for one set of labels (one peer, or none). A rule
 * returns only the series whose condition holds now; a series it no longer returns has cleared.
 */
export interface Violation {
  labels: Record<string, string>;
  /** Plain words for the alert, given how long the condition has held so far. */
  summary(heldMs: number): string;
}

export interface AlertRule {
  /** Unique among the rules of a node; the `rule` of its alerts. */
  readonly name: string;
  readonly severity: Severity;
  /** How long the condition must hold before the alert fires (0: at the first evaluation). */
  readonly forMs: number;
  /** The metric names this rule reads (an absent one makes it inactive, logged once). */
  readonly metrics: readonly string[];
  /**
   * The series violating the rule now, or undefined when a metric it needs is absent (then the
   * rule is inactive: its alerts clear). Called once per evaluation, with a non-decreasing clock.
   */
  evaluate(source: MetricSource, nowMs: number): Promise<Violation[] | undefined>;
}

export function alertId(rule: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? rule : `${rule}{${keys.map((k) => `${k}=${labels[k]}`).join(',')}}`;
}

/** "12 s", "3 min 5 s", "2 h 4 min": how long something held, for people. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}
