/**
 * OpenTelemetry tracing for one node, on only when an OTLP/HTTP endpoint is configured: a tracer
 * whose spans are batched and POSTed as OTLP JSON to `<endpoint>/v1/traces`. Without an endpoint
 * nothing here is loaded or made, and the node runs without a tracer (no span objects at all).
 *
 * Faults: a collector that is down or slow loses spans (the batch processor drops what does not
 * fit its queue and the exporter gives up after its timeout); it never slows or fails a request.
 * The tracer is passed explicitly to the server and the cluster node; no global provider or
 * context manager is installed, so nothing else in the process is changed.
 */
import type { Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';

export interface TracingOptions {
  /** OTLP/HTTP base URL (`http://collector:4318`) or the full traces URL (`.../v1/traces`). */
  endpoint: string;
  nodeId: string;
  /** Longest a batch waits before it is sent. */
  scheduledDelayMs?: number;
}

export interface Tracing {
  tracer: Tracer;
  /** Sends what is buffered, then stops. */
  shutdown(): Promise<void>;
}

/** The URL spans are POSTed to: a base URL gets the standard `/v1/traces` path. */
export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.toString();
}

export function startTracing(options: TracingOptions): Tracing {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'oxirs-cluster', 'service.instance.id': options.nodeId }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(options.endpoint) }), { scheduledDelayMillis: options.scheduledDelayMs ?? 1000 })],
  });
  return {
    tracer: provider.getTracer('oxirs-cluster'),
    shutdown: () => provider.shutdown(),
  };
}
