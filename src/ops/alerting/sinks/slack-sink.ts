/**
 * Slack incoming webhook: POSTs `{"text": ...}` (Slack's documented minimal payload) with the
 * notification in a few lines; the first line (the title) is what shows in Slack's previews.
 */
import type { AlertNotification } from '../alert-types.ts';
import { notificationText, postJson, redactUrl, type AlertSink } from './alert-sink.ts';

export class SlackSink implements AlertSink {
  readonly name: string;

  constructor(private readonly options: { url: string; timeoutMs: number }) {
    this.name = `slack ${redactUrl(options.url)}`;
  }

  async deliver(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    const icon = notification.status === 'resolved' ? ':white_check_mark:' : notification.alert.severity === 'critical' ? ':rotating_light:' : ':warning:';
    await postJson(this.options.url, { text: `${icon} ${notificationText(notification)}` }, {}, this.options.timeoutMs, signal);
  }
}
