// The jwks_uri fetcher against a real local HTTP server: what it refuses, how long it waits,
// and how its cache lifetime follows Cache-Control within bounds.

import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createClientJwksSource,
  JWKS_FETCH_LIMITS,
  JwksFetchError,
} from "../../server/oauth/client-jwks-fetch.ts";
import { makeClientKey } from "../helpers/client-assertions.ts";
import { manualClock } from "../helpers/refresh-fixtures.ts";

describe("fetching a client's jwks_uri", () => {
  const routes = new Map<string, (res: ServerResponse) => void>();
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = req.url ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes.get(path);
    if (route) route(res);
    else res.writeHead(404).end();
  });
  let base: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const key = await makeClientKey("ES256", "k1");
    const json =
      (body: unknown, headers: Record<string, string> = {}) =>
      (res: ServerResponse) => {
        res.writeHead(200, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(body));
      };
    routes.set("/good", json({ keys: [key.publicJwk] }, { "cache-control": "max-age=100000" }));
    routes.set("/short", json({ keys: [key.publicJwk] }, { "cache-control": "max-age=1" }));
    routes.set("/private", json({ keys: [{ ...key.publicJwk, d: "c2VjcmV0" }] }));
    routes.set("/symmetric", json({ keys: [{ kty: "oct", k: "c2VjcmV0" }] }));
    routes.set("/not-json", (res) => res.writeHead(200).end("<html></html>"));
    routes.set("/slow", (res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"keys": [');
    });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it.each([
    ["private key material", "/private"],
    ["a symmetric key", "/symmetric"],
    ["a body that is not JSON", "/not-json"],
  ])("refuses a key set with %s", async (_, path) => {
    const source = createClientJwksSource(() => new Date());
    await expect(source.get(`${base}${path}`)).rejects.toBeInstanceOf(JwksFetchError);
  });

  it("refuses plain http to a host that is not loopback without connecting", async () => {
    const source = createClientJwksSource(() => new Date());
    await expect(source.get("http://jwks.example.com/keys")).rejects.toThrow(/must use https/);
  });

  it("gives up on a server that stops sending once the deadline passes", async () => {
    const source = createClientJwksSource(() => new Date(), {
      ...JWKS_FETCH_LIMITS,
      timeoutMs: 200,
    });
    const started = Date.now();
    await expect(source.get(`${base}/slow`)).rejects.toBeInstanceOf(JwksFetchError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("caches for max-age, but never longer than an hour nor shorter than a minute", async () => {
    const clock = manualClock();
    const source = createClientJwksSource(clock.now);
    await source.get(`${base}/good`);
    await source.get(`${base}/short`);
    clock.advance(30);
    await source.get(`${base}/good`);
    await source.get(`${base}/short`);
    expect([hits.get("/good"), hits.get("/short")]).toEqual([1, 1]);
    clock.advance(31);
    await source.get(`${base}/short`);
    expect(hits.get("/short")).toBe(2);
    clock.advance(3600);
    await source.get(`${base}/good`);
    expect(hits.get("/good")).toBe(2);
  });

  it("shares one fetch between concurrent callers and refetches when asked", async () => {
    const source = createClientJwksSource(() => new Date());
    const before = hits.get("/good") ?? 0;
    await Promise.all([source.get(`${base}/good`), source.get(`${base}/good`)]);
    expect(hits.get("/good")).toBe(before + 1);
    await source.get(`${base}/good`, { refresh: true });
    expect(hits.get("/good")).toBe(before + 2);
  });
});
