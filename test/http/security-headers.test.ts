// Security headers on every response, the pages' policies, the stylesheet's caching, and the
// authorization endpoint's discovery metadata.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import { authorizeQuery, Browser, location, makeClient } from "../helpers/authorize-flow.ts";

const DEFAULT_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

let t: TestApp;
let secure: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
  secure = await buildTestApp({ ISSUER: "https://id.example.com" });
});
afterAll(async () => {
  await t?.close();
  await secure?.close();
});

function expectBaseline(headers: Record<string, unknown>) {
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("no-referrer");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["content-security-policy"]).toMatch(/frame-ancestors 'none'/);
  expect(headers["content-security-policy"]).not.toMatch(/unsafe-inline|unsafe-eval/);
}

describe("security headers", () => {
  it.each([
    "/healthz",
    "/.well-known/openid-configuration",
    "/oauth/jwks",
    "/no/such/path",
    "/oauth/authorize?client_id=unknown",
  ])("are on %s, with the default policy", async (url) => {
    const response = await t.app.inject({ method: "GET", url });
    expectBaseline(response.headers);
    expect(response.headers["content-security-policy"]).toBe(DEFAULT_CSP);
    expect(response.headers["strict-transport-security"]).toBeUndefined();
  });

  it("are on the login page, whose form may lead back to the client", async () => {
    const clientId = await makeClient(t.app);
    const browser = new Browser(t.app);
    const page = await browser.get(location(await browser.get(authorizeQuery(clientId))).href);
    expect(page.statusCode).toBe(200);
    expectBaseline(page.headers);
    expect(page.headers["cache-control"]).toBe("no-store");
    expect(page.headers["content-security-policy"]).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self' https://rp.example.com; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(page.body).not.toMatch(/\sstyle=|<style|<script/i);
    expect(page.body).toMatch(
      /<link rel="stylesheet" href="\/assets\/style\.css\?v&#x3D;[\w-]{16}">/,
    );
  });

  it("include HSTS when the issuer is https", async () => {
    const response = await secure.app.inject({ method: "GET", url: "/healthz" });
    expectBaseline(response.headers);
    expect(response.headers["strict-transport-security"]).toBe("max-age=31536000");
  });
});

describe("the stylesheet", () => {
  it("is served from a fixed path and cached for a year", async () => {
    const response = await t.app.inject({ method: "GET", url: "/assets/style.css?v=anything" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect(response.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(response.body).toContain(".card");
  });
});

describe("discovery of the authorization endpoint", () => {
  it("advertises what the endpoint does", async () => {
    const response = await secure.app.inject({
      method: "GET",
      url: "/.well-known/openid-configuration",
    });
    expect(response.json()).toMatchObject({
      authorization_endpoint: "https://id.example.com/oauth/authorize",
      response_types_supported: ["code"],
      response_modes_supported: ["query", "form_post"],
      code_challenge_methods_supported: ["S256"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      prompt_values_supported: ["none", "login", "consent", "select_account"],
      subject_types_supported: ["public"],
      authorization_response_iss_parameter_supported: true,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      claims_parameter_supported: false,
    });
  });
});
