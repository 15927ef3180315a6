import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helpers/app.ts";

describe("health, readiness and errors", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it("answers liveness", async () => {
    const res = await t.app.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
    expect(res.headers["x-request-id"]).toMatch(/^[\w-]+$/);
  });

  it("echoes a well-formed X-Request-Id and replaces a malformed one", async () => {
    const good = await t.app.inject({ url: "/healthz", headers: { "x-request-id": "abc-123" } });
    expect(good.headers["x-request-id"]).toBe("abc-123");
    const bad = await t.app.inject({ url: "/healthz", headers: { "x-request-id": "a b\u00e9" } });
    expect(bad.headers["x-request-id"]).not.toBe("a b\u00e9");
  });

  it("is ready when Postgres and Redis answer", async () => {
    const res = await t.app.inject({ method: "GET", url: "/readyz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok", checks: { database: "ok", store: "ok" } });
  });

  it("answers an unknown path with a JSON 404", async () => {
    const res = await t.app.inject({ method: "GET", url: "/nope?code=secret" });
    expect(res.statusCode).toBe(404);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.json()).toEqual({
      error: "not_found",
      error_description: "No route for GET /nope.",
    });
  });
});

describe("readiness without a store", () => {
  it("answers 503 when Redis cannot be reached", async () => {
    const t = await buildTestApp();
    try {
      await t.app.deps.kv.close();
      const res = await t.app.inject({ method: "GET", url: "/readyz" });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({
        status: "unavailable",
        checks: { database: "ok", store: "unavailable" },
      });
    } finally {
      await t.close();
    }
  });
});
