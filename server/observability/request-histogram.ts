// The request-duration histogram, observed once per HTTP response. prom-client's Histogram
// validates the label names, sorts and joins them into a hash and allocates a closure on every
// observe(); on the cheapest endpoints that was a tenth of the request (npm run bench, JWKS).
// Here one observation is a Map lookup by the joined label values and a bucket increment. It
// registers with prom-client's Registry as a metric of its own, whose get() returns the same
// values a prom-client Histogram would, so /metrics prints exactly the same text
// (test/unit/request-histogram.test.ts compares the two).

import type { MetricObjectWithValues, MetricValueWithName, Registry } from "prom-client";

export type RequestLabels = { method: string; route: string; status_code: string };

interface Series {
  labels: RequestLabels;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  counts: Float64Array;
  sum: number;
  count: number;
}

export class RequestHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram" as const;
  readonly aggregator = "sum" as const;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, Series>();

  constructor(options: { name: string; help: string; buckets: number[]; registers: Registry[] }) {
    this.name = options.name;
    this.help = options.help;
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  observe(labels: RequestLabels, seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    const key = `${labels.method} ${labels.status_code} ${labels.route}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = {
        labels: { method: labels.method, route: labels.route, status_code: labels.status_code },
        counts: new Float64Array(this.#bounds.length + 1),
        sum: 0,
        count: 0,
      };
      this.#series.set(key, series);
    }
    let bucket = 0;
    while (bucket < this.#bounds.length && seconds > (this.#bounds[bucket] as number)) bucket++;
    series.counts[bucket] = (series.counts[bucket] as number) + 1;
    series.sum += seconds;
    series.count++;
  }

  async get(): Promise<Omit<MetricObjectWithValues<MetricValueWithName<string>>, "collect">> {
    const values: MetricValueWithName<string>[] = [];
    for (const series of this.#series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += series.counts[i] as number;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le: bound, ...series.labels },
          value: cumulative,
        });
      });
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { le: "+Inf", ...series.labels },
        value: series.count,
      });
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type as never,
      values,
      aggregator: this.aggregator,
    };
  }

  reset(): void {
    this.#series.clear();
  }
}
