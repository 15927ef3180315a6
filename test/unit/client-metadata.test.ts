// Client registration rules: redirect URIs per RFC 6749 §3.1.2 and RFC 9700 §2.1 (absolute,
// no fragment, https except on loopback, matched exactly), and the consistency of grant
// types, auth method, scopes and keys.

import { describe, expect, it } from "vitest";
import {
  normalizeScope,
  redirectUriProblem,
  resolveClientMetadata,
} from "../../server/oauth/client-metadata.ts";

describe("redirect URI validation", () => {
  it.each([
    ["https://app.example.com/callback"],
    ["https://app.example.com/cb?tenant=a"],
    ["https://app.example.com:8443/cb"],
    ["http://localhost:8080/callback"],
    ["http://127.0.0.1:4000/cb"],
    ["http://127.9.8.7/cb"],
    ["http://[::1]:4000/cb"],
  ])("accepts %s", (uri) => {
    expect(redirectUriProblem(uri)).toBeNull();
  });

  it.each([
    ["/callback", "is not an absolute URI"],
    ["app.example.com/cb", "is not an absolute URI"],
    ["https://app.example.com/cb#frag", "must not contain a fragment"],
    ["https://app.example.com/cb#", "must not contain a fragment"],
    ["http://app.example.com/cb", "must use https (http is allowed only for loopback hosts)"],
    ["http://localhost.example.com/cb", "must use https (http is allowed only for loopback hosts)"],
    ["http://10.0.0.1/cb", "must use https (http is allowed only for loopback hosts)"],
    ["com.example.app:/callback", "must use https (http is allowed only for loopback hosts)"],
    ["javascript:alert(1)", "must use https (http is allowed only for loopback hosts)"],
    ["https://user:pw@app.example.com/cb", "must not contain credentials"],
    ["https://*.example.com/cb", "must not contain a wildcard"],
    [" https://app.example.com/cb", "contains whitespace or control characters"],
    ["https://app.example.com/c b", "contains whitespace or control characters"],
    ["https://app.example.com/cb\n", "contains whitespace or control characters"],
    [`https://app.example.com/${"a".repeat(2000)}`, "is longer than 2000 characters"],
  ])("rejects %j: it %s", (uri, problem) => {
    expect(redirectUriProblem(uri)).toBe(problem);
  });

  it("keeps redirect URIs exactly as given (no normalisation), without duplicates", () => {
    const metadata = resolveClientMetadata({
      name: "app",
      redirectUris: ["HTTPS://App.Example.com:443/cb/../x", "HTTPS://App.Example.com:443/cb/../x"],
    });
    expect(metadata.redirectUris).toEqual(["HTTPS://App.Example.com:443/cb/../x"]);
  });
});

describe("client metadata defaults and consistency", () => {
  it("gives a client with redirect URIs the code flow with refresh and OpenID scopes", () => {
    expect(
      resolveClientMetadata({ name: " Web ", redirectUris: ["https://a.example/cb"] }),
    ).toEqual({
      name: "Web",
      authMethod: "client_secret_basic",
      redirectUris: ["https://a.example/cb"],
      postLogoutRedirectUris: [],
      grantTypes: ["authorization_code", "refresh_token"],
      responseTypes: ["code"],
      scope: "openid profile email offline_access",
      skipConsent: false,
      jwksUri: null,
      jwks: null,
      clientUri: null,
      logoUri: null,
      policyUri: null,
      tosUri: null,
      contacts: [],
    });
  });

  it("gives a client without redirect URIs client_credentials and no scope", () => {
    const metadata = resolveClientMetadata({ name: "svc" });
    expect(metadata.grantTypes).toEqual(["client_credentials"]);
    expect(metadata.responseTypes).toEqual([]);
    expect(metadata.scope).toBe("");
  });

  it("leaves offline_access out of the default scope without the refresh_token grant", () => {
    const metadata = resolveClientMetadata({
      name: "spa",
      authMethod: "none",
      grantTypes: ["authorization_code"],
      redirectUris: ["http://127.0.0.1:5173/cb"],
    });
    expect(metadata.scope).toBe("openid profile email");
  });

  it.each([
    [{ grantTypes: ["authorization_code"] }, "needs at least one redirect URI"],
    [{ grantTypes: ["password"] }, 'Unknown grant type "password"'],
    [{ grantTypes: ["implicit"], redirectUris: ["https://a.example/cb"] }, "Unknown grant type"],
    [{ grantTypes: ["refresh_token", "client_credentials"] }, "needs the authorization_code"],
    [{ redirectUris: ["https://a.example/cb"], grantTypes: ["client_credentials"] }, "only with"],
    [{ postLogoutRedirectUris: ["https://a.example/bye"] }, "need the authorization_code"],
    [{ authMethod: "none", grantTypes: ["client_credentials"] }, "cannot use client_credentials"],
    [{ authMethod: "client_secret_jwt" }, 'Unknown auth method "client_secret_jwt"'],
    [{ authMethod: "private_key_jwt" }, "exactly one of a JWKS URI and a JWK Set"],
    [{ jwksUri: "https://a.example/jwks" }, "only with private_key_jwt"],
    [{ authMethod: "private_key_jwt", jwksUri: "http://a.example/jwks" }, "must use https"],
    [{ authMethod: "private_key_jwt", jwks: { keys: [] } }, "1 to 10 keys"],
    [{ authMethod: "private_key_jwt", jwks: [] }, '"keys" array'],
    [
      {
        authMethod: "private_key_jwt",
        jwks: { keys: [{ kty: "RSA", n: "x", e: "AQAB", d: "y" }] },
      },
      "public keys only",
    ],
    [{ authMethod: "private_key_jwt", jwks: { keys: [{ kty: "oct", k: "x" }] } }, "kty RSA, EC"],
    [{ scope: 'openid "quoted"' }, 'Invalid scope ""quoted""'],
    [{ name: "  " }, "client name must have 1 to 200"],
  ])("rejects %j", (input, message) => {
    expect(() => resolveClientMetadata({ name: "x", ...input })).toThrow(message);
  });

  it("accepts a private_key_jwt machine client with a public JWK Set", () => {
    const jwks = { keys: [{ kty: "EC", crv: "P-256", x: "a", y: "b" }] };
    const metadata = resolveClientMetadata({ name: "svc", authMethod: "private_key_jwt", jwks });
    expect(metadata).toMatchObject({ grantTypes: ["client_credentials"], jwks, jwksUri: null });
  });

  it("normalises scopes: single spaces, no duplicates, empty allowed", () => {
    expect(normalizeScope("  openid  profile openid ")).toBe("openid profile");
    expect(normalizeScope("")).toBe("");
    expect(() => normalizeScope("a\\b")).toThrow('Invalid scope "a\\b"');
  });
});
