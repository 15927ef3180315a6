// The request histogram prints on /metrics exactly what prom-client's own Histogram prints
// for the same observations: buckets (a value equal to a bound counts in that bucket, one
// above every bound only in +Inf), sum and count per label set, in the same order.

import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { RequestHistogram } from "../../server/observability/request-histogram.ts";

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const OPTIONS = { name: "latchkey_http_request_duration_seconds", help: "Request duration." };

describe("RequestHistogram", () => {
  it("prints what prom-client's Histogram prints for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const histogram = new RequestHistogram({ ...OPTIONS, buckets: BUCKETS, registers: [ours] });
    const reference = new Histogram({
      ...OPTIONS,
      labelNames: ["method", "route", "status_code"],
      buckets: BUCKETS,
      registers: [theirs],
    });
    const observations: Array<[string, string, string, number]> = [
      ["GET", "/oauth/jwks", "200", 0.0004],
      ["GET", "/oauth/jwks", "200", 0.005],
      ["POST", "/oauth/token", "200", 0.012],
      ["POST", "/oauth/token", "400", 0.3],
      ["GET", "/oauth/jwks", "304", 7.5],
      ["GET", "unmatched", "404", 1],
      ["POST", "/oauth/token", "200", 2.4999],
    ];
    for (const [method, route, status, seconds] of observations) {
      const labels = { method, route, status_code: status };
      histogram.observe(labels, seconds);
      reference.observe(labels, seconds);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain(
      'latchkey_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/oauth/jwks",status_code="200"} 2',
    );
  });

  it("starts empty again after a reset and ignores values that are not finite", async () => {
    const registry = new Registry();
    const histogram = new RequestHistogram({ ...OPTIONS, buckets: BUCKETS, registers: [registry] });
    histogram.observe({ method: "GET", route: "/x", status_code: "200" }, Number.NaN);
    expect(await registry.metrics()).not.toContain("_count");
    histogram.observe({ method: "GET", route: "/x", status_code: "200" }, 0.2);
    expect(await registry.metrics()).toContain("_count{");
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain("_count");
  });
});
