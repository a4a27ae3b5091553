/**
 * What the node's runtime tells the outside about itself while it runs: a sink for the Raft
 * loop's counters and timings (implemented by ops/metrics, which the cluster layer may not
 * import), and the W3C `traceparent` text that carries a span context inside a log entry, so the
 * leader's commit and apply spans join the trace of the node that took the write.
 *
 * Everything here is optional for the node: without a sink nothing is counted, without a tracer
 * no span object is ever made. A malformed traceparent (an entry from a buggy or hostile peer) is
 * ignored: the spans then start a trace of their own, the entry is applied the same.
 */
import { ROOT_CONTEXT, trace, TraceFlags, type Context, type SpanContext } from '@opentelemetry/api';

/** Counters and timings of one node's Raft loop; each call is cheap (one observe or increment). */
export interface RaftMetricsSink {
  /** This node learnt of a new leader (not counted: losing the leader). */
  leaderChanged(): void;
  /** A write this node proposed was committed and applied here. */
  proposalCommitted(commitSeconds: number): void;
  /** A write this node proposed failed: refused, timed out, leader changed, node stopping. */
  proposalFailed(): void;
  /** One Ready's entries were appended to the local log and made durable. */
  appendDuration(seconds: number): void;
  /** One fdatasync of the write-ahead log. */
  fsyncDuration(seconds: number): void;
  snapshotSent(): void;
  snapshotReceived(): void;
}

const TRACE_PARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** `00-<trace id>-<span id>-<flags>` (W3C Trace Context, version 00). */
export function formatTraceParent(spanContext: SpanContext): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-${spanContext.traceFlags.toString(16).padStart(2, '0')}`;
}

/** A context whose parent is the remote span named by `traceParent`; undefined if it is not one. */
export function contextFromTraceParent(traceParent: string | undefined): Context | undefined {
  if (traceParent === undefined) return undefined;
  const match = TRACE_PARENT.exec(traceParent);
  if (!match || /^0+$/.test(match[1]) || /^0+$/.test(match[2])) return undefined;
  const flags = Number.parseInt(match[3], 16) & TraceFlags.SAMPLED;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: match[1], spanId: match[2], traceFlags: flags, isRemote: true });
}
