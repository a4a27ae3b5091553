/**
 * A node's alerting, assembled from its config: the rules, the engine that evaluates them every
 * `evaluateIntervalMs` against the metric registries, and the sinks (behind a dispatcher) that
 * firing and resolve notifications go to. `start-command` creates one per node; `GET /alerts`
 * reads `activeAlerts()`.
 */
import { AlertEngine, type AlertLogFn } from './alert-engine.ts';
import { SEVERITIES, type Alert, type AlertNotification, type AlertRule, type Severity } from './alert-types.ts';
import type { AlertingConfig, RuleConfig, SinkConfig } from './alerting-config.ts';
import { DEFAULT_DETECTOR_OPTIONS } from './anomaly-detector.ts';
import { anomalyRule } from './anomaly-rule.ts';
import type { MetricSource } from './metric-source.ts';
import { diskFreeRule, errorRateRule, noLeaderRule, peerUnreachableRule, replicaLagRule, walFsyncP99Rule } from './metric-rules.ts';
import { SinkDispatcher, type RetryPolicy } from './sink-dispatcher.ts';
import type { AlertSink } from './sinks/alert-sink.ts';
import { EmailSink } from './sinks/email-sink.ts';
import { SlackSink } from './sinks/slack-sink.ts';
import { WebhookSink } from './sinks/webhook-sink.ts';

export function buildRule(rule: RuleConfig): AlertRule {
  switch (rule.kind) {
    case 'no-leader':
      return noLeaderRule(rule);
    case 'peer-unreachable':
      return peerUnreachableRule(rule);
    case 'replica-lag':
      return replicaLagRule(rule);
    case 'wal-fsync-p99':
      return walFsyncP99Rule(rule);
    case 'disk-free':
      return diskFreeRule(rule);
    case 'error-rate':
      return errorRateRule(rule);
    case 'anomaly':
      return anomalyRule({
        ...rule,
        detector: { ...DEFAULT_DETECTOR_OPTIONS, direction: rule.direction, zThreshold: rule.zThreshold, minSamples: rule.minSamples, seasonality: rule.seasonality, rollingSamplesMax: Math.max(DEFAULT_DETECTOR_OPTIONS.rollingSamplesMax, rule.minSamples) },
      });
  }
}

export function buildSink(sink: SinkConfig): AlertSink {
  switch (sink.kind) {
    case 'webhook':
      return new WebhookSink(sink);
    case 'slack':
      return new SlackSink(sink);
    case 'email':
      return new EmailSink(sink);
  }
}

/** A sink that takes only notifications of `minSeverity` or more severe. */
function atLeast(sink: AlertSink, minSeverity: Severity): AlertSink {
  const rank = (s: Severity) => SEVERITIES.indexOf(s);
  if (minSeverity === 'info') return sink;
  return {
    name: sink.name,
    accepts: (n: AlertNotification) => rank(n.alert.severity) <= rank(minSeverity),
    deliver: (n, signal) => sink.deliver(n, signal),
    close: () => sink.close?.(),
  };
}

export interface AlertingOptions {
  config: AlertingConfig;
  source: MetricSource;
  nodeId: string;
  log: AlertLogFn;
  retry?: RetryPolicy;
  now?: () => number;
}

export class Alerting {
  readonly engine: AlertEngine;
  private readonly dispatcher: SinkDispatcher;
  private readonly sinks: AlertSink[];

  constructor(private readonly options: AlertingOptions) {
    this.sinks = options.config.sinks.map((sink) => atLeast(buildSink(sink), sink.minSeverity));
    this.dispatcher = new SinkDispatcher(this.sinks, options.log, options.retry);
    this.engine = new AlertEngine({
      rules: options.config.rules.map(buildRule),
      source: options.source,
      nodeId: options.nodeId,
      log: options.log,
      notify: this.sinks.length > 0 ? (n) => this.dispatcher.notify(n) : undefined,
      now: options.now,
    });
  }

  start(): void {
    this.engine.start(this.options.config.evaluateIntervalMs);
  }

  activeAlerts(): Alert[] {
    return this.engine.activeAlerts();
  }

  async stop(): Promise<void> {
    await this.engine.stop();
    await this.dispatcher.close();
    for (const sink of this.sinks) sink.close?.();
  }
}
