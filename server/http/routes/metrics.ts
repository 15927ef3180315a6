// GET /metrics: the Prometheus text exposition format. Not advertised anywhere; when
// METRICS_PORT is set, main.ts serves it on that port instead and this route is not registered.

import type { FastifyInstance } from "fastify";
import type { Metrics } from "../../observability/metrics.ts";

export default async function metricsRoutes(
  app: FastifyInstance,
  { metrics }: { metrics: Metrics },
): Promise<void> {
  app.get("/metrics", { logLevel: "warn" }, async (_request, reply) => {
    reply.header("cache-control", "no-store").type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
