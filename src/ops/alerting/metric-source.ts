/**
 * Where alert rules read live metrics: the node's prom-client registry, by metric name (the
 * names of docs/observability.md).
 *
 * A metric that no registry holds is absent, not zero: a rule over it is inactive. Reading goes
 * through `metric.get()` of the named metrics only (not the whole registry), so an evaluation
 * costs a few small objects, not a full exposition.
 */
import type { Registry } from 'prom-client';

export interface MetricSample {
  /** The series name: the metric's name, or `_bucket` / `_sum` / `_count` of a histogram. */
  metricName: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: string;
  samples: MetricSample[];
}

export class MetricSource {
  constructor(private readonly registry: Registry) {}

  /** The current samples of the metric `name`, or undefined when the registry lacks it. */
  async read(name: string): Promise<MetricFamily | undefined> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return undefined;
    const data = await metric.get();
    return {
      name,
      type: String(data.type),
      samples: data.values.map((value) => ({
        metricName: (value as { metricName?: string }).metricName ?? name,
        labels: stringLabels(value.labels as Record<string, string | number | undefined>),
        value: value.value,
      })),
    };
  }
}

// prom-client hands `le` back as a number (and "+Inf" as a string); every label becomes a string
// so rules compare one kind of value.
function stringLabels(labels: Record<string, string | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) if (value !== undefined) out[key] = String(value);
  return out;
}

/** The sum of every series of a counter or gauge family (all label values). */
export function sumOf(family: MetricFamily): number {
  let total = 0;
  for (const sample of family.samples) total += sample.value;
  return total;
}
