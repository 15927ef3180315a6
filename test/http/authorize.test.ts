// The authorization endpoint's request rules (RFC 6749 §4.1, OIDC Core §3.1.2, RFC 7636,
// RFC 8707, RFC 9207): which failures show an error page and which go back to the client.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  authorizeQuery,
  Browser,
  CHALLENGE,
  inputValue,
  location,
  makeClient,
  type Query,
  REDIRECT_URI,
} from "../helpers/authorize-flow.ts";

let t: TestApp;
let confidential: string;
let publicClient: string;
let narrow: string;
let pkceOptional: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
  confidential = await makeClient(t.app, { name: "Confidential" });
  publicClient = await makeClient(t.app, { name: "Public", authMethod: "none" });
  narrow = await makeClient(t.app, { name: "Narrow", scope: "openid profile api:read" });
  pkceOptional = await buildTestApp({ PKCE_REQUIRED: "off" });
});

afterAll(async () => {
  await t?.close();
  await pkceOptional?.close();
});

const get = (url: string, app = t) => app.app.inject({ method: "GET", url });

function expectErrorPage(response: Awaited<ReturnType<typeof get>>, text: string) {
  expect(response.statusCode).toBe(400);
  expect(response.headers.location).toBeUndefined();
  expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
  expect(response.headers["cache-control"]).toBe("no-store");
  expect(response.body).toContain(text);
}

describe("an untrusted client or redirect URI gets an error page, never a redirect", () => {
  it("shows a page for an unknown client", async () => {
    expectErrorPage(await get(authorizeQuery("no-such-client")), "The client is not registered.");
  });

  it("shows a page for a missing client_id", async () => {
    expectErrorPage(
      await get(authorizeQuery(confidential, { client_id: undefined })),
      "client_id is missing.",
    );
  });

  it("shows a page for a repeated client_id", async () => {
    expectErrorPage(
      await get(authorizeQuery(confidential, { client_id: [confidential, confidential] })),
      "client_id is repeated.",
    );
  });

  it.each([
    ["an unregistered redirect URI", "https://evil.example.com/callback"],
    ["a redirect URI with another path", "https://rp.example.com/callback/other"],
    ["a redirect URI with a trailing slash", `${REDIRECT_URI}/`],
    ["a redirect URI with an extra query", `${REDIRECT_URI}?x=1`],
    ["a redirect URI in other case", REDIRECT_URI.toUpperCase()],
  ])("shows a page for %s (exact match only)", async (_, redirectUri) => {
    expectErrorPage(
      await get(authorizeQuery(confidential, { redirect_uri: redirectUri })),
      "redirect_uri is not registered for this client.",
    );
  });

  it("shows a page for a missing redirect_uri, even when only one is registered", async () => {
    expectErrorPage(
      await get(authorizeQuery(confidential, { redirect_uri: undefined })),
      "redirect_uri is missing.",
    );
  });

  it("shows a page for a repeated redirect_uri", async () => {
    expectErrorPage(
      await get(authorizeQuery(confidential, { redirect_uri: [REDIRECT_URI, REDIRECT_URI] })),
      "redirect_uri is repeated.",
    );
  });

  it("shows a page for a bad client even when everything else is wrong too", async () => {
    expectErrorPage(
      await get(authorizeQuery("no-such-client", { response_type: "token", request: "x" })),
      "The client is not registered.",
    );
  });
});

function expectErrorRedirect(
  response: Awaited<ReturnType<typeof get>>,
  error: string,
  state: string | null = "state-123",
  status = 302,
) {
  expect(response.statusCode).toBe(status);
  const url = location(response);
  expect(`${url.origin}${url.pathname}`).toBe(REDIRECT_URI);
  expect(url.searchParams.get("error")).toBe(error);
  expect(url.searchParams.get("error_description")).toBeTruthy();
  expect(url.searchParams.get("state")).toBe(state);
  expect(url.searchParams.get("iss")).toBe(t.config.issuer);
  expect(url.searchParams.has("code")).toBe(false);
  return url;
}

describe("later errors go back to the client with error, error_description, state and iss", () => {
  const cases: Array<[string, Query, string]> = [
    ["a missing response_type", { response_type: undefined }, "invalid_request"],
    ["response_type=token", { response_type: "token" }, "unsupported_response_type"],
    [
      "response_type=code id_token",
      { response_type: "code id_token" },
      "unsupported_response_type",
    ],
    ["a repeated nonce", { nonce: ["a", "b"] }, "invalid_request"],
    ["a repeated scope", { scope: ["openid", "openid"] }, "invalid_request"],
    ["a repeated code_challenge", { code_challenge: [CHALLENGE, CHALLENGE] }, "invalid_request"],
    ["a repeated response_type", { response_type: ["code", "code"] }, "invalid_request"],
    ["a missing scope", { scope: undefined }, "invalid_scope"],
    ["an unknown scope", { scope: "openid admin" }, "invalid_scope"],
    [
      "a missing code_challenge (PKCE required by default)",
      { code_challenge: undefined, code_challenge_method: undefined },
      "invalid_request",
    ],
    ["code_challenge_method=plain", { code_challenge_method: "plain" }, "invalid_request"],
    [
      "a code_challenge without a method (plain by default)",
      { code_challenge_method: undefined },
      "invalid_request",
    ],
    [
      "a code_challenge_method without a challenge",
      { code_challenge: undefined },
      "invalid_request",
    ],
    ["a code_challenge that is no S256 value", { code_challenge: "short" }, "invalid_request"],
    ["a request object", { request: "eyJhbGciOiJub25lIn0.e30." }, "request_not_supported"],
    ["a request_uri", { request_uri: "urn:example:request" }, "request_uri_not_supported"],
    ["prompt=none with another value", { prompt: "none login" }, "invalid_request"],
    ["an unknown prompt value", { prompt: "sometimes" }, "invalid_request"],
    ["a negative max_age", { max_age: "-1" }, "invalid_request"],
    ["a max_age that is no number", { max_age: "soon" }, "invalid_request"],
    ["response_mode=fragment", { response_mode: "fragment" }, "invalid_request"],
    ["an unknown response_mode", { response_mode: "web_message" }, "invalid_request"],
    ["a relative resource", { resource: "/api" }, "invalid_target"],
    ["a resource with a fragment", { resource: "https://api.example.com/#x" }, "invalid_target"],
    [
      "an id_token_hint this server did not sign",
      { id_token_hint: "e30.e30.c2ln" },
      "invalid_request",
    ],
    ["a parameter of 5000 characters", { ui_locales: "x".repeat(5000) }, "invalid_request"],
  ];

  it.each(cases)("%s", async (_, changes, error) => {
    expectErrorRedirect(await get(authorizeQuery(confidential, changes)), error);
  });

  it("refuses a scope the client is not registered for", async () => {
    expectErrorRedirect(
      await get(authorizeQuery(narrow, { scope: "openid email" })),
      "invalid_scope",
    );
  });

  it("refuses a public client without PKCE, also when PKCE_REQUIRED is off", async () => {
    const app = pkceOptional.app;
    const client = await makeClient(app, { authMethod: "none" });
    const response = await app.inject({
      method: "GET",
      url: authorizeQuery(client, { code_challenge: undefined, code_challenge_method: undefined }),
    });
    expect(response.statusCode).toBe(302);
    expect(location(response).searchParams.get("error")).toBe("invalid_request");
    expect(location(response).searchParams.get("error_description")).toBe(
      "code_challenge is required (PKCE with S256).",
    );
  });

  it("lets a confidential client go without PKCE only when PKCE_REQUIRED is off", async () => {
    const app = pkceOptional.app;
    const client = await makeClient(app);
    const response = await app.inject({
      method: "GET",
      url: authorizeQuery(client, { code_challenge: undefined, code_challenge_method: undefined }),
    });
    expect(response.statusCode).toBe(302);
    expect(location(response).pathname).toMatch(/^\/interaction\/[\w-]{43}\/login$/);
  });

  it("refuses a public client without PKCE", async () => {
    const response = await get(
      authorizeQuery(publicClient, { code_challenge: undefined, code_challenge_method: undefined }),
    );
    expectErrorRedirect(response, "invalid_request");
  });

  it("sends no state back when state itself is repeated", async () => {
    expectErrorRedirect(
      await get(authorizeQuery(confidential, { state: ["a", "b"] })),
      "invalid_request",
      null,
    );
  });

  it("keeps a query the registered redirect URI already has", async () => {
    const uri = "https://rp.example.com/cb?tenant=7";
    const client = await makeClient(t.app, { redirectUris: [uri] });
    const response = await get(
      authorizeQuery(client, { redirect_uri: uri, response_type: "token" }),
    );
    const url = location(response);
    expect(url.searchParams.get("tenant")).toBe("7");
    expect(url.searchParams.get("error")).toBe("unsupported_response_type");
  });

  it("answers a POST with the same rules and a 303", async () => {
    const query = authorizeQuery(confidential, { response_type: "token" });
    const response = await t.app.inject({
      method: "POST",
      url: "/oauth/authorize",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: query.split("?")[1],
    });
    expectErrorRedirect(response, "unsupported_response_type", "state-123", 303);
  });

  it("refuses a parameter repeated in a POST body", async () => {
    const response = await t.app.inject({
      method: "POST",
      url: "/oauth/authorize",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: `${authorizeQuery(confidential).split("?")[1]}&scope=email`,
    });
    expectErrorRedirect(response, "invalid_request", "state-123", 303);
  });

  it("posts the error to the client in form_post mode", async () => {
    const response = await get(
      authorizeQuery(confidential, { response_mode: "form_post", response_type: "token" }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers.location).toBeUndefined();
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(response.body).toContain(`action="${REDIRECT_URI}"`);
    expect(inputValue(response.body, "error")).toBe("unsupported_response_type");
    expect(inputValue(response.body, "state")).toBe("state-123");
    expect(inputValue(response.body, "iss")).toBe(t.config.issuer);
    expect(response.headers["content-security-policy"]).toContain(
      "form-action 'self' https://rp.example.com;",
    );
  });
});

describe("a valid request", () => {
  it("sends a browser without a session to the login page", async () => {
    const response = await get(authorizeQuery(confidential));
    expect(response.statusCode).toBe(302);
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(location(response).pathname).toMatch(/^\/interaction\/[\w-]{43}\/login$/);
  });

  it("accepts and ignores parameters it does not know, and the OIDC extras", async () => {
    const response = await get(
      authorizeQuery(confidential, {
        foo: "bar",
        ui_locales: "de en",
        claims_locales: "de",
        acr_values: "urn:mace:incommon:iap:silver",
        display: "touch",
        claims: '{"id_token":{"email":null}}',
        resource: ["https://api.example.com/", "https://other.example.com/v1"],
      }),
    );
    expect(response.statusCode).toBe(302);
    expect(location(response).pathname).toMatch(/\/login$/);
  });

  it("prefills the login page with login_hint", async () => {
    const browser = new Browser(t.app);
    const start = await browser.get(
      authorizeQuery(confidential, { login_hint: "ada@example.com" }),
    );
    const page = await browser.get(location(start).href);
    expect(page.statusCode).toBe(200);
    expect(inputValue(page.body, "email")).toBe("ada@example.com");
  });

  it("shows a login page that meets the page contract", async () => {
    const browser = new Browser(t.app);
    const page = await browser.get(location(await browser.get(authorizeQuery(confidential))).href);
    const html = page.body;
    expect(html).toMatch(/<input[^>]*name="email"/);
    expect(html).toMatch(/<input[^>]*name="password"[^>]*type="password"/);
    expect(html).toMatch(/<label for="email">/);
    expect(html).toMatch(/<label for="password">/);
    expect(html.match(/type="submit"/g)).toHaveLength(1);
    expect(html).toContain("Confidential");
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  });
});

describe("an unknown interaction", () => {
  it("shows an expiry page", async () => {
    for (const path of ["/interaction/nope/login", `/interaction/${"a".repeat(43)}/consent`]) {
      const response = await get(path);
      expect(response.statusCode).toBe(404);
      expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(response.body).toContain("This sign-in request has expired");
    }
  });
});
