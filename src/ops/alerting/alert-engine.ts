/**
 * Evaluates alert rules against the live metrics and keeps each alert's state, as Prometheus'
 * rule manager does:
 *
 *   inactive --condition holds--> pending --held for forMs--> firing --condition clears--> inactive
 *                                 pending --condition clears--> inactive (nothing was sent)
 *
 * One notification when an alert starts firing and one when it resolves: an alert that keeps
 * firing is not notified again at every evaluation (de-duplication per firing episode).
 *
 * Faults tolerated: a rule that throws is logged and keeps its alerts as they were (a broken
 * reading is not a resolve); a metric that is absent makes its rule inactive (logged once at
 * debug); notification delivery is handed off (`notify` must not block), so a slow or failing
 * sink never delays evaluation. Time comes from `now`, so tests drive it.
 */
import { alertId, SEVERITIES, type Alert, type AlertNotification, type AlertRule, type Violation } from './alert-types.ts';
import type { MetricSource } from './metric-source.ts';

export type AlertLogFn = (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface AlertEngineOptions {
  rules: readonly AlertRule[];
  source: MetricSource;
  /** This node's id: a label of every alert and the `node` of every notification. */
  nodeId: string;
  log: AlertLogFn;
  /** Receives each firing and resolve notification; must return at once (delivery is its business). */
  notify?: (notification: AlertNotification) => void;
  now?: () => number;
}

interface SeriesState {
  id: string;
  labels: Record<string, string>;
  /** When the condition started to hold. */
  activeSinceMs: number;
  firing: boolean;
  summary: string;
}

export class AlertEngine {
  private readonly now: () => number;
  /** Per rule name, its series whose condition holds (pending or firing), by alert id. */
  private readonly states = new Map<string, Map<string, SeriesState>>();
  /** Rules reported inactive (a metric absent), so that is logged once, not at every evaluation. */
  private readonly inactiveRules = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: AlertEngineOptions) {
    const names = new Set<string>();
    for (const rule of options.rules) {
      if (names.has(rule.name)) throw new Error(`two alert rules are named ${JSON.stringify(rule.name)}`);
      names.add(rule.name);
      this.states.set(rule.name, new Map());
    }
    this.now = options.now ?? Date.now;
  }

  /** Evaluates every rule once. Concurrent calls share one evaluation. */
  evaluate(): Promise<void> {
    this.running ??= this.evaluateRules().finally(() => (this.running = undefined));
    return this.running;
  }

  private async evaluateRules(): Promise<void> {
    const nowMs = this.now();
    for (const rule of this.options.rules) {
      let violations: Violation[] | undefined;
      try {
        violations = await rule.evaluate(this.options.source, nowMs);
      } catch (error) {
        this.options.log('warn', 'alert rule evaluation failed; its alerts are left as they were', { rule: rule.name, err: (error as Error).message });
        continue;
      }
      if (violations === undefined) {
        if (!this.inactiveRules.has(rule.name)) {
          this.inactiveRules.add(rule.name);
          this.options.log('debug', 'alert rule inactive: a metric it reads is not registered', { rule: rule.name, metrics: rule.metrics });
        }
        violations = [];
      } else this.inactiveRules.delete(rule.name);
      const states = this.states.get(rule.name)!;
      const seen = new Set<string>();
      for (const violation of violations) {
        const labels = { ...violation.labels, node: this.options.nodeId };
        const id = alertId(rule.name, violation.labels);
        seen.add(id);
        let state = states.get(id);
        if (!state) states.set(id, (state = { id, labels, activeSinceMs: nowMs, firing: false, summary: '' }));
        const heldMs = nowMs - state.activeSinceMs;
        state.summary = violation.summary(heldMs);
        if (!state.firing && heldMs >= rule.forMs) {
          state.firing = true;
          this.send({ status: 'firing', alert: this.toAlert(rule, state), node: this.options.nodeId, at: new Date(nowMs).toISOString() });
        }
      }
      for (const [id, state] of states) {
        if (seen.has(id)) continue;
        states.delete(id);
        if (state.firing) {
          this.send({
            status: 'resolved',
            alert: this.toAlert(rule, state),
            node: this.options.nodeId,
            at: new Date(nowMs).toISOString(),
            durationSeconds: Math.round((nowMs - state.activeSinceMs) / 1000),
          });
        }
      }
    }
  }

  private send(notification: AlertNotification): void {
    this.options.log(notification.status === 'firing' ? 'warn' : 'info', `alert ${notification.status}: ${notification.alert.summary}`, {
      alert: notification.alert.id,
      severity: notification.alert.severity,
    });
    try {
      this.options.notify?.(notification);
    } catch (error) {
      this.options.log('error', 'alert notification could not be handed to the sinks', { err: (error as Error).message });
    }
  }

  private toAlert(rule: AlertRule, state: SeriesState): Alert {
    return { id: state.id, rule: rule.name, severity: rule.severity, state: 'firing', since: new Date(state.activeSinceMs).toISOString(), summary: state.summary, labels: state.labels };
  }

  /** The firing alerts, most severe first, then oldest first. */
  activeAlerts(): Alert[] {
    const alerts: Alert[] = [];
    for (const rule of this.options.rules) {
      for (const state of this.states.get(rule.name)!.values()) if (state.firing) alerts.push(this.toAlert(rule, state));
    }
    const rank = (alert: Alert) => SEVERITIES.indexOf(alert.severity);
    return alerts.sort((a, b) => rank(a) - rank(b) || a.since.localeCompare(b.since) || a.id.localeCompare(b.id));
  }

  /** Evaluates every `intervalMs` until stop(); an evaluation never overlaps the next. */
  start(intervalMs: number): void {
    if (this.timer || this.stopped) return;
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.evaluate()
          .catch((error: Error) => this.options.log('error', 'alert evaluation failed', { err: error.message }))
          .finally(() => {
            if (!this.stopped) tick();
          });
      }, intervalMs);
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
