// Process entry: loadConfig(process.env) → buildApp → listen, and a graceful close on
// SIGTERM/SIGINT: stop accepting, let in-flight requests finish (up to SHUTDOWN_TIMEOUT),
// then close the database, the store and the key timers.

import type { Server } from "node:http";
import type { FastifyInstance } from "fastify";
import { buildApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { startMetricsListener } from "./observability/metrics-listener.ts";
import { seedDemo } from "./operator/demo.ts";

function fail(message: string): never {
  process.stderr.write(`latchkey: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }

  let app: FastifyInstance;
  try {
    app = await buildApp(config);
  } catch (err) {
    fail(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
  }

  let metricsListener: Server | null = null;
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      app.log.warn({ signal }, "second signal, exiting now");
      process.exit(1);
    }
    closing = true;
    app.log.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      app.log.warn("shutdown timeout reached, closing remaining connections");
      app.server.closeAllConnections();
    }, config.shutdownTimeout * 1000);
    force.unref();
    metricsListener?.close();
    metricsListener?.closeAllConnections();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  const demo = config.demo ? await seedDemo(app.deps) : null;

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await app.close();
    fail(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }
  const address = app.server.address();
  const port = address && typeof address === "object" ? address.port : config.port;
  let metricsPort: number | null = null;
  if (config.metricsPort !== null) {
    try {
      const listener = await startMetricsListener(app.deps.metrics, {
        port: config.metricsPort,
        host: config.host,
      });
      metricsListener = listener;
      const bound = listener.address();
      metricsPort = bound && typeof bound === "object" ? bound.port : config.metricsPort;
    } catch (err) {
      await app.close();
      fail(`cannot listen on ${config.host}:${config.metricsPort}: ${(err as Error).message}`);
    }
  }
  app.log.info(
    {
      issuer: config.issuer,
      port,
      metricsPort,
      database: app.deps.dbKind,
      store: config.redisUrl ? "redis" : "memory",
    },
    "latchkey ready",
  );

  if (demo) {
    process.stdout.write(
      [
        "",
        `Latchkey is running. Issuer: ${config.issuer}`,
        `  Discovery:     ${config.issuer}/.well-known/openid-configuration`,
        "",
        "Demo client (development only; DEMO=off hides this):",
        `  client_id:     ${demo.clientId}`,
        `  client_secret: ${demo.clientSecret}`,
        `  redirect_uri:  ${demo.redirectUri}`,
        "Demo user:",
        `  email:         ${demo.email}`,
        `  password:      ${demo.password}`,
        "",
      ].join("\n"),
    );
  }
}

await main();
