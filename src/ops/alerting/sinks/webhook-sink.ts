/**
 * Generic webhook: POSTs each notification as JSON,
 *   {"status":"firing"|"resolved","node":..., "at":..., "durationSeconds"?:..., "alert":{...GET /alerts shape}}
 * with optional extra headers (e.g. an Authorization the receiver checks).
 */
import type { AlertNotification } from '../alert-types.ts';
import { postJson, redactUrl, type AlertSink } from './alert-sink.ts';

export interface WebhookSinkOptions {
  url: string;
  headers?: Record<string, string>;
  timeoutMs: number;
}

export class WebhookSink implements AlertSink {
  readonly name: string;

  constructor(private readonly options: WebhookSinkOptions) {
    this.name = `webhook ${redactUrl(options.url)}`;
  }

  async deliver(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    await postJson(this.options.url, notification, this.options.headers ?? {}, this.options.timeoutMs, signal);
  }
}
