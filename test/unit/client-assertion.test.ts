// The pure rules of private_key_jwt (RFC 7523 §3, RFC 7521 §4.2) and of jwks_uri fetching.

import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import {
  ASSERTION_MAX_LIFETIME,
  checkAssertionClaims,
  JWT_BEARER_ASSERTION,
  readClientAssertion,
} from "../../server/oauth/client-assertion.ts";
import { assertionAudiences } from "../../server/oauth/client-auth.ts";
import { cacheMaxAge, jwksUriProblem } from "../../server/oauth/client-jwks-fetch.ts";

const NOW = 1_800_000_000;
const SKEW = 30;
const ISSUER = "https://id.example.com/tenant";
const AUDIENCES = assertionAudiences(ISSUER, "/oauth/introspect");

function jwt(header: object, payload: object): string {
  const encode = (value: object) => base64url.encode(JSON.stringify(value));
  return `${encode(header)}.${encode(payload)}.c2lnbmF0dXJl`;
}

const good = { iss: "c1", sub: "c1", aud: ISSUER, exp: NOW + 60, iat: NOW, jti: "j1" };

describe("the audiences a client assertion may name", () => {
  it("are the issuer, the token endpoint and the endpoint called", () => {
    expect(AUDIENCES).toEqual([ISSUER, `${ISSUER}/oauth/token`, `${ISSUER}/oauth/introspect`]);
    expect(assertionAudiences(ISSUER, "/oauth/token")).toEqual([ISSUER, `${ISSUER}/oauth/token`]);
  });
});

describe("the claims of a client assertion (RFC 7523 §3)", () => {
  const rules = { now: NOW, clockSkew: SKEW, audiences: AUDIENCES };

  it.each<[string, Record<string, unknown>]>([
    ["aud as the issuer", {}],
    ["aud as the token endpoint", { aud: `${ISSUER}/oauth/token` }],
    ["aud as an array naming the endpoint called", { aud: ["x", `${ISSUER}/oauth/introspect`] }],
    ["exp just inside the clock skew", { exp: NOW - SKEW + 1 }],
    ["exp at the end of the window", { exp: NOW + ASSERTION_MAX_LIFETIME + SKEW }],
    ["nbf within the clock skew", { nbf: NOW + SKEW }],
    ["iat within the clock skew", { iat: NOW + SKEW }],
    ["no iat and no nbf", { iat: undefined }],
  ])("accepts %s", (_, change) => {
    expect(checkAssertionClaims({ ...good, ...change }, rules)).toEqual({
      jti: "j1",
      exp: (change.exp as number | undefined) ?? good.exp,
    });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ["no aud", { aud: undefined }, /aud/],
    ["a foreign aud", { aud: "https://other.example" }, /aud/],
    ["the issuer with a trailing slash", { aud: `${ISSUER}/` }, /aud/],
    ["no exp", { exp: undefined }, /exp/],
    ["a string exp", { exp: String(NOW + 60) }, /exp/],
    ["exp in the past beyond the skew", { exp: NOW - SKEW }, /expired/],
    ["exp too far ahead", { exp: NOW + ASSERTION_MAX_LIFETIME + SKEW + 1 }, /within/],
    ["nbf in the future", { nbf: NOW + SKEW + 1 }, /not valid yet/],
    ["iat in the future", { iat: NOW + SKEW + 1 }, /future/],
    ["no jti", { jti: undefined }, /jti/],
    ["an empty jti", { jti: "" }, /jti/],
    ["an oversized jti", { jti: "j".repeat(257) }, /jti/],
  ])("refuses %s as invalid_client", (_, change, description) => {
    expect(() => checkAssertionClaims({ ...good, ...change }, rules)).toThrow(
      expect.objectContaining({
        error: "invalid_client",
        status: 401,
        description: expect.stringMatching(description),
      }),
    );
  });
});

describe("reading a client assertion from the request (RFC 7521 §4.2)", () => {
  const params = (assertion: string, extra: Record<string, string> = {}) => ({
    client_assertion_type: JWT_BEARER_ASSERTION,
    client_assertion: assertion,
    ...extra,
  });

  it.each(["RS256", "PS256", "ES256", "EdDSA"])("names the client of an %s assertion", (alg) => {
    const assertion = jwt({ alg }, good);
    expect(readClientAssertion(params(assertion))).toEqual({ assertion, clientId: "c1" });
    expect(readClientAssertion(params(assertion, { client_id: "c1" })).clientId).toBe("c1");
  });

  it.each<[string, Record<string, string>]>([
    ["no client_assertion", { client_assertion_type: JWT_BEARER_ASSERTION }],
    ["no client_assertion_type", { client_assertion: jwt({ alg: "RS256" }, good) }],
  ])("refuses %s as invalid_request", (_, request) => {
    expect(() => readClientAssertion(request)).toThrow(
      expect.objectContaining({ error: "invalid_request", status: 400 }),
    );
  });

  it.each<[string, Record<string, string>]>([
    [
      "another assertion type",
      { ...params(jwt({ alg: "RS256" }, good)), client_assertion_type: "urn:example:saml" },
    ],
    ["alg none", params(jwt({ alg: "none" }, good))],
    ["alg HS256", params(jwt({ alg: "HS256" }, good))],
    ["alg RS512", params(jwt({ alg: "RS512" }, good))],
    ["a JWE", params("a.b.c.d.e")],
    ["two parts", params("a.b")],
    ["an undecodable JWT", params("a.b.c")],
    ["no iss", params(jwt({ alg: "RS256" }, { ...good, iss: undefined }))],
    ["sub differing from iss", params(jwt({ alg: "RS256" }, { ...good, sub: "c2" }))],
    ["a client_id naming another client", params(jwt({ alg: "RS256" }, good), { client_id: "c2" })],
    ["an oversized assertion", params("a".repeat(9000))],
  ])("refuses %s as invalid_client", (_, request) => {
    expect(() => readClientAssertion(request)).toThrow(
      expect.objectContaining({ error: "invalid_client", status: 401 }),
    );
  });
});

describe("jwks_uri rules", () => {
  it.each([
    ["https://rp.example.com/jwks", null],
    ["http://127.0.0.1:8080/jwks", null],
    ["http://localhost/jwks", null],
    ["http://[::1]/jwks", null],
    ["http://rp.example.com/jwks", "must use https"],
    ["ftp://rp.example.com/jwks", "must use https"],
    ["not a url", "is not a URL"],
  ])("%s → %s", (uri, problem) => {
    expect(jwksUriProblem(uri)).toBe(problem);
  });

  it.each<[string | undefined, number | null]>([
    [undefined, null],
    ["public", null],
    ["public, max-age=600", 600],
    ['max-age="120", must-revalidate', 120],
    ["no-store", 0],
    ["private, no-cache", 0],
  ])("reads Cache-Control %s as max-age %s", (header, expected) => {
    expect(cacheMaxAge(header)).toBe(expected);
  });
});
