// POST /oauth/register refusing a request (RFC 7591 §3.2.2): every validation error with its
// exact code, and malformed requests. None of them leaves a client behind.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  expectRegistrationError,
  type Json,
  publicJwks,
  register,
} from "../helpers/registration.ts";

const WEB = { redirect_uris: ["https://rp.example.com/callback"] };

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ REGISTRATION: "open" });
});
afterAll(async () => {
  await t?.close();
});

async function clientCount(): Promise<number> {
  const row = await t.app.deps.db
    .selectFrom("clients")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe("refusing metadata", () => {
  const cases: Array<[string, Json, string]> = [
    ["no redirect URI for the code grant", {}, "invalid_redirect_uri"],
    [
      "redirect_uris that is not a list",
      { redirect_uris: "https://a.example/cb" },
      "invalid_redirect_uri",
    ],
    [
      "an http redirect URI",
      { redirect_uris: ["http://rp.example.com/cb"] },
      "invalid_redirect_uri",
    ],
    [
      "a redirect URI with a fragment",
      { redirect_uris: ["https://rp.example.com/cb#x"] },
      "invalid_redirect_uri",
    ],
    ["a relative redirect URI", { redirect_uris: ["/cb"] }, "invalid_redirect_uri"],
    [
      "redirect URIs without the code grant",
      { ...WEB, grant_types: ["client_credentials"] },
      "invalid_redirect_uri",
    ],
    ["the implicit grant", { ...WEB, grant_types: ["implicit"] }, "invalid_client_metadata"],
    ["the password grant", { ...WEB, grant_types: ["password"] }, "invalid_client_metadata"],
    ["response type token", { ...WEB, response_types: ["token"] }, "invalid_client_metadata"],
    [
      "response type code without its grant",
      { grant_types: ["client_credentials"], response_types: ["code"] },
      "invalid_client_metadata",
    ],
    [
      "refresh_token without authorization_code",
      { grant_types: ["refresh_token", "client_credentials"] },
      "invalid_client_metadata",
    ],
    [
      "a public client_credentials client",
      { grant_types: ["client_credentials"], token_endpoint_auth_method: "none" },
      "invalid_client_metadata",
    ],
    [
      "an unknown auth method",
      { ...WEB, token_endpoint_auth_method: "client_secret_jwt" },
      "invalid_client_metadata",
    ],
    [
      "private_key_jwt without keys",
      { ...WEB, token_endpoint_auth_method: "private_key_jwt" },
      "invalid_client_metadata",
    ],
    [
      "private_key_jwt with both jwks and jwks_uri",
      {
        ...WEB,
        token_endpoint_auth_method: "private_key_jwt",
        jwks: publicJwks(),
        jwks_uri: "https://rp.example.com/jwks",
      },
      "invalid_client_metadata",
    ],
    [
      "an http jwks_uri",
      { ...WEB, token_endpoint_auth_method: "private_key_jwt", jwks_uri: "http://127.0.0.1/jwks" },
      "invalid_client_metadata",
    ],
    [
      "a private key in jwks",
      {
        ...WEB,
        token_endpoint_auth_method: "private_key_jwt",
        jwks: { keys: [{ ...publicJwks().keys[0], d: "AQAB" }] },
      },
      "invalid_client_metadata",
    ],
    ["jwks without private_key_jwt", { ...WEB, jwks: publicJwks() }, "invalid_client_metadata"],
    [
      "an http logo_uri",
      { ...WEB, logo_uri: "http://rp.example.com/logo.png" },
      "invalid_client_metadata",
    ],
    [
      "a policy_uri that is no URL",
      { ...WEB, policy_uri: "privacy policy" },
      "invalid_client_metadata",
    ],
    [
      "a javascript: tos_uri",
      { ...WEB, tos_uri: "javascript:alert(1)" },
      "invalid_client_metadata",
    ],
    ["a relative client_uri", { ...WEB, client_uri: "/home" }, "invalid_client_metadata"],
    ["a malformed scope", { ...WEB, scope: 'openid "profile"' }, "invalid_client_metadata"],
    [
      "a scope registration does not allow",
      { ...WEB, scope: "openid api:admin" },
      "invalid_client_metadata",
    ],
    [
      "an http post-logout URI",
      { ...WEB, post_logout_redirect_uris: ["http://rp.example.com/bye"] },
      "invalid_client_metadata",
    ],
    [
      "ID tokens signed with HS256",
      { ...WEB, id_token_signed_response_alg: "HS256" },
      "invalid_client_metadata",
    ],
    [
      "unsigned ID tokens",
      { ...WEB, id_token_signed_response_alg: "none" },
      "invalid_client_metadata",
    ],
    [
      "contacts that are not strings",
      { ...WEB, contacts: [{ email: "a@b.c" }] },
      "invalid_client_metadata",
    ],
    [
      "a name of 201 characters",
      { ...WEB, client_name: "n".repeat(201) },
      "invalid_client_metadata",
    ],
  ];

  it.each(cases)("refuses %s", async (_, body, error) => {
    const before = await clientCount();
    expectRegistrationError(await register(t.app, body), error);
    expect(await clientCount()).toBe(before);
  });

  it("says which scope it refused and which ones are allowed", async () => {
    const description = expectRegistrationError(
      await register(t.app, { ...WEB, scope: "openid api:admin" }),
      "invalid_client_metadata",
    );
    expect(description).toBe(
      'The scope "api:admin" cannot be registered; registration allows: openid profile email offline_access.',
    );
  });
});

describe("refusing malformed requests", () => {
  it("answers a form body with invalid_request before reading it", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/oauth/register",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: "redirect_uris=https%3A%2F%2Frp.example.com%2Fcb",
    });
    expect(expectRegistrationError(res, "invalid_request")).toBe(
      "The request body must be application/json.",
    );
  });

  it.each([
    ["malformed JSON", "{"],
    ["an empty body", ""],
    ["a JSON array", "[]"],
    ["a JSON string", '"metadata"'],
  ])("answers %s with invalid_request", async (_, payload) => {
    expectRegistrationError(await register(t.app, payload), "invalid_request");
  });

  it("answers an oversized body with 413", async () => {
    const res = await register(t.app, { ...WEB, client_name: "x".repeat(70_000) });
    expectRegistrationError(res, "invalid_request", 413);
  });
});
