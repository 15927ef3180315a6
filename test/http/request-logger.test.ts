// The per-request logger made on first use: what it writes carries the request id and the
// parent's bindings exactly as pino's own child would, levels the logger has turned off
// write nothing, Fastify's request and response lines still appear at info, and a route
// with a log level of its own gets that level.

import { Writable } from "node:stream";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { lazyChildLogger } from "../../server/http/request-logger.ts";

let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

function build(level: string): { app: FastifyInstance; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const server = Fastify({
    logger: { level, stream, base: { service: "latchkey-test" } },
    childLoggerFactory: lazyChildLogger,
    genReqId: () => "req-1",
  });
  server.get("/quiet", async (request) => {
    request.log.debug({ detail: "hidden" }, "debug line");
    request.log.info({ detail: "seen at info" }, "info line");
    request.log.warn({ detail: "always" }, "warn line");
    return { ok: true };
  });
  server.get("/chatty", { logLevel: "debug" }, async (request) => {
    request.log.debug({ detail: "route level" }, "debug line");
    return { ok: true };
  });
  app = server;
  return { app: server, lines };
}

describe("lazyChildLogger", () => {
  it("at warn writes only the warning, with the request id and the base bindings", async () => {
    const { app, lines } = build("warn");
    expect((await app.inject({ method: "GET", url: "/quiet" })).statusCode).toBe(200);
    expect(lines.map((line) => line.msg)).toEqual(["warn line"]);
    expect(lines[0]).toMatchObject({ reqId: "req-1", service: "latchkey-test", level: 40 });
    expect(lines[0]?.detail).toBe("always");
  });

  it("at info writes Fastify's request lines and the route's info line, all with the id", async () => {
    const { app, lines } = build("info");
    await app.inject({ method: "GET", url: "/quiet" });
    expect(lines.map((line) => line.msg)).toEqual([
      "incoming request",
      "info line",
      "warn line",
      "request completed",
    ]);
    for (const line of lines) expect(line.reqId).toBe("req-1");
  });

  it("gives a route with a log level of its own that level", async () => {
    const { app, lines } = build("warn");
    await app.inject({ method: "GET", url: "/chatty" });
    expect(lines.map((line) => line.msg)).toContain("debug line");
  });
});
