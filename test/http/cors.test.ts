// CORS: the JWKS and discovery documents for any origin; token, userinfo and revocation for
// the origins of registered redirect URIs and CORS_ORIGINS; introspection only with
// CORS_INTROSPECTION; never with credentials; nothing on the other endpoints.

import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import { makeClient } from "../helpers/authorize-flow.ts";

const APP_ORIGIN = "https://rp.example.com";
const OTHER_ORIGIN = "https://evil.example.net";
let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
  await makeClient(t.app);
});

afterAll(async () => {
  await t?.close();
});

function preflight(app: TestApp, url: string, origin: string, method = "POST") {
  return app.app.inject({
    method: "OPTIONS",
    url,
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": "authorization, content-type",
    },
  });
}

function post(app: TestApp, url: string, origin?: string) {
  return app.app.inject({
    method: "POST",
    url,
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(origin ? { origin } : {}),
    },
    payload: "token=abc&grant_type=authorization_code",
  });
}

function expectNoCors(response: LightMyRequestResponse) {
  expect(response.headers["access-control-allow-origin"]).toBeUndefined();
  expect(response.headers["access-control-allow-methods"]).toBeUndefined();
  expect(response.headers["access-control-allow-credentials"]).toBeUndefined();
}

describe("the public documents", () => {
  it.each([
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
    "/oauth/jwks",
  ])("%s allows any origin, without credentials", async (url) => {
    for (const headers of [{ origin: OTHER_ORIGIN }, {}]) {
      const response = await t.app.inject({ method: "GET", url, headers });
      expect(response.statusCode).toBe(200);
      expect(response.headers["access-control-allow-origin"]).toBe("*");
      expect(response.headers["access-control-allow-credentials"]).toBeUndefined();
      expect(response.headers.vary ?? "").not.toMatch(/origin/i);
    }
    const answer = await preflight(t, url, OTHER_ORIGIN, "GET");
    expect(answer.statusCode).toBe(204);
    expect(answer.headers).toMatchObject({
      "access-control-allow-origin": "*",
      "access-control-allow-methods": "GET",
      "access-control-allow-headers": "authorization, content-type",
      "access-control-max-age": "600",
    });
    expect(answer.headers["access-control-allow-credentials"]).toBeUndefined();
  });
});

describe.each([
  ["/oauth/token", "POST"],
  ["/oauth/revoke", "POST"],
  ["/oauth/userinfo", "GET, POST"],
])("%s", (url, methods) => {
  it("answers a preflight from the origin of a registered redirect URI", async () => {
    const response = await preflight(t, url, APP_ORIGIN);
    expect(response.statusCode).toBe(204);
    expect(response.headers).toMatchObject({
      "access-control-allow-origin": APP_ORIGIN,
      "access-control-allow-methods": methods,
      "access-control-allow-headers": "authorization, content-type",
      "access-control-max-age": "600",
      vary: "Origin",
    });
    expect(response.headers["access-control-allow-credentials"]).toBeUndefined();
  });

  it("lets that origin read the answer, errors included", async () => {
    const response = await post(t, url, APP_ORIGIN);
    expect(response.headers["access-control-allow-origin"]).toBe(APP_ORIGIN);
    expect(response.headers["access-control-expose-headers"]).toBe("www-authenticate");
    expect(response.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(response.headers.vary).toMatch(/\bOrigin\b/);
  });

  it("gives another origin nothing, and says the answer varies with Origin", async () => {
    const answer = await preflight(t, url, OTHER_ORIGIN);
    expect(answer.statusCode).toBe(204);
    expectNoCors(answer);
    expect(answer.headers.vary).toBe("Origin");
    const response = await post(t, url, OTHER_ORIGIN);
    expectNoCors(response);
    expect(response.headers.vary).toMatch(/\bOrigin\b/);
    expectNoCors(await post(t, url, "null"));
    expectNoCors(await post(t, url, `${APP_ORIGIN}.evil.example`));
  });

  it("does not allow a method the endpoint does not take", async () => {
    expectNoCors(await preflight(t, url, APP_ORIGIN, "DELETE"));
  });
});

describe("endpoints browser apps do not call", () => {
  it.each(["/oauth/introspect", "/oauth/authorize", "/oauth/register", "/health"])(
    "%s sends no CORS headers and answers no preflight",
    async (url) => {
      const answer = await preflight(t, url, APP_ORIGIN);
      expect(answer.statusCode).toBe(404);
      expectNoCors(answer);
      expectNoCors(await t.app.inject({ method: "GET", url, headers: { origin: APP_ORIGIN } }));
      expectNoCors(await post(t, url, APP_ORIGIN));
    },
  );
});

describe("with CORS_ORIGINS and CORS_INTROSPECTION", () => {
  let listed: TestApp;
  let everyone: TestApp;
  beforeAll(async () => {
    listed = await buildTestApp({
      CORS_ORIGINS: "https://spa.example.org, http://localhost:5173",
      CORS_INTROSPECTION: "on",
    });
    everyone = await buildTestApp({ CORS_ORIGINS: "*" });
  });
  afterAll(async () => {
    await listed?.close();
    await everyone?.close();
  });

  it("allows the listed origins, and introspection", async () => {
    for (const url of ["/oauth/token", "/oauth/introspect"]) {
      for (const origin of ["https://spa.example.org", "http://localhost:5173"]) {
        const answer = await preflight(listed, url, origin);
        expect(answer.headers["access-control-allow-origin"]).toBe(origin);
        expect((await post(listed, url, origin)).headers["access-control-allow-origin"]).toBe(
          origin,
        );
      }
      expectNoCors(await post(listed, url, OTHER_ORIGIN));
    }
  });

  it("answers * to every origin for CORS_ORIGINS=*, with no Vary", async () => {
    const response = await post(everyone, "/oauth/token", OTHER_ORIGIN);
    expect(response.headers["access-control-allow-origin"]).toBe("*");
    expect(response.headers.vary ?? "").not.toMatch(/origin/i);
    expect(response.headers["access-control-allow-credentials"]).toBeUndefined();
    expect((await preflight(everyone, "/oauth/introspect", OTHER_ORIGIN)).statusCode).toBe(404);
  });
});
