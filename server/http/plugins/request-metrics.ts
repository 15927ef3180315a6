// Times every response into the latency histogram. The route label is the route's pattern
// (e.g. /interaction/:id/login), never the requested path, so no user input becomes a label;
// requests that match no route share the label "unmatched".

import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Metrics } from "../../observability/metrics.ts";

async function requestMetrics(
  app: FastifyInstance,
  { metrics }: { metrics: Metrics },
): Promise<void> {
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.httpDuration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
}

export default fp(requestMetrics, { name: "request-metrics" });
