/**
 * The `alerts` key of the node config file: rules, sinks and the evaluation interval, validated
 * with zod so a mistake is reported with the path of the bad field
 * (`alerts.rules[2].thresholdPercent: ...`) and nothing starts. Defaults are filled in here, so
 * the rest of the code sees complete settings. docs/alerting.md documents every field.
 *
 * Without an `alerts` key, or with one that has no `rules`, the DEFAULT_RULES are evaluated
 * (active alerts show in `GET /alerts`); `"rules": []` turns rules off. Sinks exist only when
 * configured.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SEVERITIES } from './alert-types.ts';
import { ANOMALY_SERIES } from './anomaly-rule.ts';

export class AlertConfigError extends Error {}

const DAY_MS = 86_400_000;
const name = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores');
const severity = z.enum(SEVERITIES);
const durationMs = (max: number) => z.number().int().min(0).max(max);
const positiveInt = (max: number) => z.number().int().min(1).max(max);
const percent = z.number().gt(0).max(100);

const common = (defaults: { forMs: number; severity: (typeof SEVERITIES)[number] }) => ({
  name: name.optional(),
  severity: severity.default(defaults.severity),
  forMs: durationMs(DAY_MS).default(defaults.forMs),
});

const ruleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('no-leader'), ...common({ forMs: 10_000, severity: 'critical' }) }),
  z.strictObject({ kind: z.literal('peer-unreachable'), ...common({ forMs: 10_000, severity: 'warning' }) }),
  z.strictObject({ kind: z.literal('replica-lag'), ...common({ forMs: 30_000, severity: 'warning' }), thresholdEntries: positiveInt(2 ** 48).default(1_000) }),
  z.strictObject({
    kind: z.literal('wal-fsync-p99'),
    ...common({ forMs: 60_000, severity: 'warning' }),
    thresholdMs: z.number().gt(0).max(600_000).default(10),
    windowMs: positiveInt(DAY_MS).default(60_000),
    minObservations: positiveInt(1_000_000).default(20),
  }),
  z.strictObject({ kind: z.literal('disk-free'), ...common({ forMs: 60_000, severity: 'critical' }), thresholdPercent: percent.default(10) }),
  z.strictObject({
    kind: z.literal('error-rate'),
    ...common({ forMs: 60_000, severity: 'warning' }),
    thresholdPercent: percent.default(5),
    windowMs: positiveInt(DAY_MS).default(60_000),
    minRequests: positiveInt(1_000_000_000).default(20),
  }),
  z.strictObject({
    kind: z.literal('anomaly'),
    name: name.optional(),
    series: z.enum(Object.keys(ANOMALY_SERIES) as [keyof typeof ANOMALY_SERIES, ...(keyof typeof ANOMALY_SERIES)[]]),
    // Defaults of severity and direction depend on the series (filled in below).
    severity: severity.optional(),
    direction: z.enum(['high', 'low', 'both']).optional(),
    forMs: durationMs(DAY_MS).default(30_000),
    zThreshold: z.number().gt(0).max(1_000).default(3.5),
    minSamples: z.number().int().min(3).max(100_000).default(30),
    sampleIntervalMs: z.number().int().min(100).max(DAY_MS).default(10_000),
    minObservations: positiveInt(1_000_000).default(10),
    seasonality: z.enum(['none', 'hour-of-day', 'minute-of-hour']).default('hour-of-day'),
  }),
]);

const url = z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL');
const timeoutMs = (fallback: number) => positiveInt(600_000).default(fallback);
const minSeverity = severity.default('warning');

const sinkSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('webhook'), url, headers: z.record(z.string(), z.string()).optional(), timeoutMs: timeoutMs(5_000), minSeverity }),
  z.strictObject({ kind: z.literal('slack'), url, timeoutMs: timeoutMs(5_000), minSeverity }),
  z.strictObject({
    kind: z.literal('email'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535).optional(),
    tls: z.enum(['implicit', 'starttls', 'none']).default('starttls'),
    user: z.string().min(1).optional(),
    /** The password, or "@FILE" to read it from a file (kept out of the config). */
    password: z.string().optional(),
    from: z.string().min(3),
    to: z.union([z.string().min(3), z.array(z.string().min(3)).min(1)]),
    timeoutMs: timeoutMs(10_000),
    minSeverity,
  }),
]);

const alertsSchema = z.strictObject({
  evaluateIntervalMs: z.number().int().min(100).max(600_000).default(5_000),
  rules: z.array(ruleSchema).max(1_000).optional(),
  sinks: z.array(sinkSchema).max(100).default([]),
});

type ParsedRule = z.infer<typeof ruleSchema>;
type ParsedAnomaly = Extract<ParsedRule, { kind: 'anomaly' }>;
/** A rule with every default filled in and its final name. */
export type RuleConfig = (Exclude<ParsedRule, ParsedAnomaly> | (ParsedAnomaly & Required<Pick<ParsedAnomaly, 'severity' | 'direction'>>)) & { name: string };
type ParsedSink = z.infer<typeof sinkSchema>;
export type SinkConfig = Exclude<ParsedSink, { kind: 'email' }> | (Extract<ParsedSink, { kind: 'email' }> & { port: number; to: string[] });

export interface AlertingConfig {
  evaluateIntervalMs: number;
  rules: RuleConfig[];
  sinks: SinkConfig[];
}

/**
 * The rules evaluated when none are configured: every threshold rule with its defaults, anomaly
 * detection on query and update latency (warning), and on update throughput (info: a change in
 * load is news for the dashboard, not a page; sinks take warning and above by default).
 */
export const DEFAULT_RULES: readonly unknown[] = [
  { kind: 'no-leader' },
  { kind: 'peer-unreachable' },
  { kind: 'replica-lag' },
  { kind: 'wal-fsync-p99' },
  { kind: 'disk-free' },
  { kind: 'error-rate' },
  { kind: 'anomaly', series: 'query-latency-p99' },
  { kind: 'anomaly', series: 'update-latency-p99' },
  { kind: 'anomaly', series: 'update-throughput' },
];

/** Parses the `alerts` value of a config file (undefined: the key is absent). */
export function parseAlertingConfig(value: unknown): AlertingConfig {
  const parsed = alertsSchema.safeParse(value ?? {});
  if (!parsed.success) throw new AlertConfigError(describeIssue(parsed.error.issues[0]));
  const rulesGiven = parsed.data.rules !== undefined;
  const rules = rulesGiven ? parsed.data.rules! : z.array(ruleSchema).parse(DEFAULT_RULES);
  const names = new Set<string>();
  const finished = rules.map((rule, i): RuleConfig => {
    const finishedRule = rule.kind === 'anomaly' ? finishAnomaly(rule) : { ...rule, name: rule.name ?? rule.kind };
    if (names.has(finishedRule.name)) {
      throw new AlertConfigError(`alerts.rules[${i}].name: ${JSON.stringify(finishedRule.name)} is used by an earlier rule; give each rule of the same kind its own "name"`);
    }
    names.add(finishedRule.name);
    return finishedRule;
  });
  const sinks = parsed.data.sinks.map((sink, i): SinkConfig => {
    if (sink.kind !== 'email') return sink;
    return {
      ...sink,
      port: sink.port ?? (sink.tls === 'implicit' ? 465 : 587),
      to: typeof sink.to === 'string' ? [sink.to] : sink.to,
      password: readSecret(sink.password, `alerts.sinks[${i}].password`),
    };
  });
  return { evaluateIntervalMs: parsed.data.evaluateIntervalMs, rules: finished, sinks };
}

function finishAnomaly(rule: ParsedAnomaly): RuleConfig {
  const latency = ANOMALY_SERIES[rule.series].kind === 'p99';
  return {
    ...rule,
    name: rule.name ?? `${rule.series}-anomaly`,
    severity: rule.severity ?? (latency ? 'warning' : 'info'),
    // Faster is never a problem for latency; for throughput a drop is the symptom (a surge shows in latency).
    direction: rule.direction ?? (latency ? 'high' : 'low'),
  };
}

function readSecret(value: string | undefined, field: string): string | undefined {
  if (!value?.startsWith('@')) return value;
  try {
    return readFileSync(value.slice(1), 'utf8').trim();
  } catch (error) {
    throw new AlertConfigError(`${field}: cannot read ${value.slice(1)}: ${(error as Error).message}`);
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  let path = 'alerts';
  for (const key of issue.path) path += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  if (issue.code === 'invalid_union' && (issue as { note?: string }).note === 'No matching discriminator') {
    const choices = path.startsWith('alerts.sinks') ? 'webhook, slack, email' : 'no-leader, peer-unreachable, replica-lag, wal-fsync-p99, disk-free, error-rate, anomaly';
    return `${path}: must be one of ${choices}`;
  }
  return `${path}: ${issue.message}`;
}
