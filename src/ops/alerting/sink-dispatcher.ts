/**
 * Hands notifications to the sinks without ever making the alert engine wait: `notify` queues
 * and returns. Each sink has its own queue, delivered in order (a resolve never overtakes its
 * firing), so a dead mail server does not delay the webhook.
 *
 * Faults tolerated: a failing delivery is retried with exponential backoff (doubling from
 * `initialBackoffMs`, capped at `maxBackoffMs`) up to `maxAttempts`, then dropped and logged; a
 * queue longer than `maxQueued` drops its oldest notification (logged): an outage of one sink
 * costs bounded memory. `close()` aborts what is in flight and waiting.
 */
import type { AlertNotification } from './alert-types.ts';
import type { AlertLogFn } from './alert-engine.ts';
import type { AlertSink } from './sinks/alert-sink.ts';

export interface RetryPolicy {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  maxQueued: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, initialBackoffMs: 1_000, maxBackoffMs: 30_000, maxQueued: 100 };

interface SinkQueue {
  sink: AlertSink;
  pending: AlertNotification[];
  /** The delivery loop, while it runs. */
  draining: Promise<void> | undefined;
}

export class SinkDispatcher {
  private readonly queues: SinkQueue[];
  private readonly abort = new AbortController();

  constructor(
    sinks: readonly AlertSink[],
    private readonly log: AlertLogFn,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  ) {
    this.queues = sinks.map((sink) => ({ sink, pending: [], draining: undefined }));
  }

  /** Queues `notification` for every sink; returns at once. */
  notify(notification: AlertNotification): void {
    if (this.abort.signal.aborted) return;
    for (const queue of this.queues) {
      if (queue.sink.accepts && !queue.sink.accepts(notification)) continue;
      queue.pending.push(notification);
      if (queue.pending.length > this.policy.maxQueued) {
        const dropped = queue.pending.shift()!;
        this.log('warn', 'alert sink queue full: oldest notification dropped', { sink: queue.sink.name, alert: dropped.alert.id, status: dropped.status });
      }
      queue.draining ??= this.drain(queue).finally(() => (queue.draining = undefined));
    }
  }

  /** Resolves once every queue is empty (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.queues.some((q) => q.draining)) await Promise.all(this.queues.map((q) => q.draining));
  }

  /** Stops: in-flight deliveries and backoff waits are aborted, queued notifications dropped. */
  async close(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.queues.map((q) => q.draining));
  }

  private async drain(queue: SinkQueue): Promise<void> {
    const signal = this.abort.signal;
    while (queue.pending.length > 0 && !signal.aborted) {
      const notification = queue.pending.shift()!;
      for (let attempt = 1; !signal.aborted; attempt++) {
        try {
          await queue.sink.deliver(notification, signal);
          break;
        } catch (error) {
          if (signal.aborted) return;
          const fields = { sink: queue.sink.name, alert: notification.alert.id, status: notification.status, attempt, err: (error as Error).message };
          if (attempt >= this.policy.maxAttempts) {
            this.log('error', 'alert notification not delivered; giving up', fields);
            break;
          }
          this.log('warn', 'alert notification delivery failed; retrying', fields);
          await sleep(Math.min(this.policy.initialBackoffMs * 2 ** (attempt - 1), this.policy.maxBackoffMs), signal);
        }
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
