/**
 * A place notifications go: a webhook, Slack, email. `deliver` either delivers the notification
 * or throws (the dispatcher retries); it must honour `signal` so shutdown does not wait on a
 * hung endpoint. Also the plain-text rendering shared by the human-facing sinks.
 */
import { formatDuration, type AlertNotification } from '../alert-types.ts';

export interface AlertSink {
  /** For logs: the sink kind and where it points (no secrets). */
  readonly name: string;
  deliver(notification: AlertNotification, signal: AbortSignal): Promise<void>;
  /** Whether this sink wants the notification at all (e.g. a severity floor); absent: all. */
  accepts?(notification: AlertNotification): boolean;
  /** Releases connections (a mail transport's pool). */
  close?(): void;
}

/** One line: "[FIRING] warning on n1: peer n2 unreachable for 10 s (rule peer-unreachable)". */
export function notificationTitle(notification: AlertNotification): string {
  const { alert } = notification;
  if (notification.status === 'firing') return `[FIRING] ${alert.severity} on ${notification.node}: ${alert.summary}`;
  return `[RESOLVED] ${alert.severity} on ${notification.node}: ${alert.summary}`;
}

/** A few lines with everything a person needs to act. */
export function notificationText(notification: AlertNotification): string {
  const { alert } = notification;
  const lines = [notificationTitle(notification), '', `rule: ${alert.rule}`, `alert: ${alert.id}`, `node: ${notification.node}`, `since: ${alert.since}`];
  if (notification.status === 'resolved') lines.push(`resolved: ${notification.at}, after ${formatDuration((notification.durationSeconds ?? 0) * 1000)}`);
  const labels = Object.entries(alert.labels).map(([k, v]) => `${k}=${v}`);
  if (labels.length > 0) lines.push(`labels: ${labels.join(', ')}`);
  return lines.join('\n');
}

/** POSTs `body` as JSON; any answer but 2xx is an error (the receiver did not take it). */
export async function postJson(url: string, body: unknown, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
  });
  // Read the body so the connection can be reused, but keep only a little of it for the error.
  const text = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${redactUrl(url)}: ${text.slice(0, 200)}`);
}

/** A URL for logs: Slack webhook URLs carry their secret in the path, so only the origin is shown. */
export function redactUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
