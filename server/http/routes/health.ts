// Liveness and readiness for load balancers and orchestrators. /healthz says only that the
// process answers; /readyz checks that the database and the store can be reached.

import type { FastifyInstance } from "fastify";
import type { Deps } from "../../deps.ts";
import { pingDatabase } from "../../store/db/index.ts";

const CHECK_TIMEOUT_MS = 2000;

function withTimeout(check: Promise<void>): Promise<"ok" | "unavailable"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"unavailable">((resolve) => {
    timer = setTimeout(() => resolve("unavailable"), CHECK_TIMEOUT_MS);
  });
  return Promise.race([
    check.then(
      () => "ok" as const,
      () => "unavailable" as const,
    ),
    timeout,
  ]).finally(() => clearTimeout(timer));
}

export default async function healthRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  app.get("/healthz", { logLevel: "warn" }, async (_request, reply) => {
    reply.header("cache-control", "no-store");
    return { status: "ok" };
  });

  app.get("/readyz", { logLevel: "warn" }, async (request, reply) => {
    const [database, store] = await Promise.all([
      withTimeout(pingDatabase(deps.db)),
      withTimeout(deps.kv.ping()),
    ]);
    const ready = database === "ok" && store === "ok";
    if (!ready) request.log.warn({ database, store }, "not ready");
    reply.code(ready ? 200 : 503).header("cache-control", "no-store");
    return { status: ready ? "ok" : "unavailable", checks: { database, store } };
  });
}
