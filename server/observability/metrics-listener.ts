// The separate /metrics listener used when METRICS_PORT is set: a bare node:http server, so
// the metrics port answers nothing but GET /metrics.

import { createServer, type Server } from "node:http";
import type { Metrics } from "./metrics.ts";

export function startMetricsListener(
  metrics: Metrics,
  options: { port: number; host: string },
): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0];
    if (request.method !== "GET" || path !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
      return;
    }
    metrics.registry.metrics().then(
      (body) => {
        response
          .writeHead(200, {
            "content-type": metrics.registry.contentType,
            "cache-control": "no-store",
          })
          .end(body);
      },
      () => response.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
