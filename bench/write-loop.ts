/**
 * The closed-loop write client of the cluster bench, the same code for both systems: C clients,
 * each sends one small POST, waits for the whole answer, and sends the next. Only 2xx counts as a
 * success; everything else is counted by kind. Keep-alive connections (one per client, see
 * http-client.ts), so connection setup is not measured.
 */
import type { HttpClient } from './http-client.ts';

/** Where one write goes and what it says. `seq` is unique within one system's run. */
export interface WriteRequest {
  origin: string;
  path: string;
  contentType: string;
  body: string;
}

export interface LoopResult {
  concurrency: number;
  seconds: number;
  ok: number;
  /** Every 2xx, warmup and tail included (to check afterwards that acknowledged writes are there). */
  acked: number;
  errors: Map<string, number>;
  /** Latency of every success completed inside the measured window, sorted ascending. */
  latenciesMs: Float64Array;
}

export function errorKind(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e.code ?? e.message ?? String(error);
}

/**
 * Runs `concurrency` clients in a closed loop for warmupMs + durationMs. A write counts (success,
 * error and latency alike) when it completes inside the measured window, i.e. after the warmup;
 * writes still in flight at the end are awaited but not counted.
 */
export async function closedLoop(options: {
  client: HttpClient;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** The request of client `worker`'s next write. */
  next(worker: number): WriteRequest;
}): Promise<LoopResult> {
  const { client, concurrency } = options;
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const measureTo = measureFrom + options.durationMs;
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  let ok = 0;
  let acked = 0;
  const countError = (kind: string) => errors.set(kind, (errors.get(kind) ?? 0) + 1);
  const worker = async (id: number) => {
    while (performance.now() < measureTo) {
      const req = options.next(id);
      const sent = performance.now();
      let outcome: string | undefined;
      try {
        const answer = await client.post(req.origin, req.path, req.contentType, req.body);
        if (answer.status < 200 || answer.status >= 300) outcome = `HTTP ${answer.status}`;
      } catch (error) {
        outcome = errorKind(error);
      }
      const done = performance.now();
      if (outcome === undefined) acked++;
      if (done < measureFrom || done > measureTo) continue;
      if (outcome === undefined) {
        ok++;
        latencies.push(done - sent);
      } else {
        countError(outcome);
        // A refused connection fails at once: do not spin.
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, id) => worker(id)));
  const sorted = Float64Array.from(latencies).sort();
  return { concurrency, seconds: options.durationMs / 1000, ok, acked, errors, latenciesMs: sorted };
}

/** Several runs of the same setting as one (writes and time added, latencies pooled). */
export function mergeResults(results: LoopResult[]): LoopResult {
  const errors = new Map<string, number>();
  for (const r of results) for (const [kind, count] of r.errors) errors.set(kind, (errors.get(kind) ?? 0) + count);
  const all = new Float64Array(results.reduce((n, r) => n + r.latenciesMs.length, 0));
  let at = 0;
  for (const r of results) {
    all.set(r.latenciesMs, at);
    at += r.latenciesMs.length;
  }
  return {
    concurrency: results[0].concurrency,
    seconds: results.reduce((s, r) => s + r.seconds, 0),
    ok: results.reduce((s, r) => s + r.ok, 0),
    acked: results.reduce((s, r) => s + r.acked, 0),
    errors,
    latenciesMs: all.sort(),
  };
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function formatErrors(errors: Map<string, number>): string {
  if (errors.size === 0) return '0';
  return [...errors].map(([kind, count]) => `${count} ${kind}`).join(', ');
}
