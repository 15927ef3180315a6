import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helpers/app.ts";

describe("GET /oauth/jwks", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ JWKS_MAX_AGE: "7m" });
  });
  afterAll(async () => {
    await t.close();
  });

  it("serves the public signing keys with their kid, alg and use, and nothing private", async () => {
    const res = await t.app.inject({ method: "GET", url: "/oauth/jwks" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    const { keys } = res.json() as { keys: Array<Record<string, unknown>> };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual({
      kty: "RSA",
      use: "sig",
      alg: "RS256",
      kid: t.app.deps.keys.signingKey().kid,
      n: expect.stringMatching(/^[\w-]{342}$/),
      e: "AQAB",
    });
    for (const member of ["d", "p", "q", "dp", "dq", "qi"])
      expect(keys[0]).not.toHaveProperty(member);
  });

  it("lets resource servers cache it for JWKS_MAX_AGE, with a strong ETag", async () => {
    const res = await t.app.inject({ method: "GET", url: "/oauth/jwks" });
    expect(res.headers["cache-control"]).toBe("public, max-age=420");
    expect(res.headers.etag).toMatch(/^"[\w-]{43}"$/);
    const again = await t.app.inject({ method: "GET", url: "/oauth/jwks" });
    expect(again.headers.etag).toBe(res.headers.etag);
  });

  it.each([
    ["the ETag", (etag: string) => etag],
    ["the ETag with a W/ prefix", (etag: string) => `W/${etag}`],
    ["a list holding the ETag", (etag: string) => `"other", ${etag} ,"more"`],
    ["*", () => "*"],
  ])("answers 304 with no body to If-None-Match: %s", async (_name, header) => {
    const { etag } = t.app.deps.keys.jwks();
    const res = await t.app.inject({
      method: "GET",
      url: "/oauth/jwks",
      headers: { "if-none-match": header(etag) },
    });
    expect(res.statusCode).toBe(304);
    expect(res.body).toBe("");
    expect(res.headers.etag).toBe(etag);
    expect(res.headers["cache-control"]).toBe("public, max-age=420");
  });

  it.each([['"stale"'], ['W/"stale", "older"'], [""]])(
    "answers 200 with the keys to a non-matching If-None-Match: %s",
    async (header) => {
      const res = await t.app.inject({
        method: "GET",
        url: "/oauth/jwks",
        headers: { "if-none-match": header },
      });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(t.app.deps.keys.jwks().body);
    },
  );

  it("answers HEAD with the headers of GET and no body", async () => {
    const res = await t.app.inject({ method: "HEAD", url: "/oauth/jwks" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("");
    expect(res.headers.etag).toBe(t.app.deps.keys.jwks().etag);
    expect(res.headers["cache-control"]).toBe("public, max-age=420");
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
  });
});
