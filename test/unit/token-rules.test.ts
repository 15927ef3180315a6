// Pure rules of the token endpoint, with the vectors the RFCs and OIDC Core publish.

import { describe, expect, it } from "vitest";
import { parseBasicCredentials, presentedCredentials } from "../../server/oauth/client-auth.ts";
import { s256Challenge, verifyS256 } from "../../server/oauth/pkce.ts";
import { grantedAudience } from "../../server/oauth/resources.ts";
import { accessTokenHash } from "../../server/tokens/id-token.ts";

const basic = (raw: string) => `Basic ${Buffer.from(raw, "utf8").toString("base64")}`;

describe("PKCE S256 (RFC 7636 Appendix B)", () => {
  const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

  it("derives the published challenge from the published verifier", () => {
    expect(s256Challenge(verifier)).toBe(challenge);
    expect(verifyS256(verifier, challenge)).toBe(true);
  });

  it.each([
    ["a different verifier", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl"],
    ["a verifier shorter than 43 characters", verifier.slice(0, 42)],
    ["a verifier with a character outside the unreserved set", `${verifier.slice(0, 42)}=`],
    ["the challenge itself (plain)", challenge],
  ])("rejects %s", (_, candidate) => {
    expect(verifyS256(candidate, challenge)).toBe(false);
  });
});

describe("at_hash (OIDC Core §3.1.3.6)", () => {
  it("is the left half of the SHA-256 of the access token (OIDC Core Appendix A.3 example)", () => {
    expect(accessTokenHash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y")).toBe(
      "77QmUPtjPfzWtF2AnpK9RQ",
    );
  });
});

describe("client_secret_basic credentials (RFC 6749 §2.3.1)", () => {
  it.each([
    ["plain values", "s6BhdRkqt3:7Fjfp0ZBr1KtDRbnfVdmIw", "s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw"],
    ["a form-encoded colon and space", "my%3Aclient:se+cr%2Bet", "my:client", "se cr+et"],
    ["a form-encoded percent and slash", "id%25:a%2Fb%3D%3D", "id%", "a/b=="],
    ["UTF-8 percent-encoding", "%C3%A9t%C3%A9:p%C3%A4ss", "été", "päss"],
    ["a colon in the secret", "client:a:b", "client", "a:b"],
    ["an empty secret", "client:", "client", ""],
  ])("decodes %s", (_, raw, clientId, secret) => {
    expect(parseBasicCredentials(basic(raw))).toEqual({ clientId, secret });
  });

  it("accepts the scheme name in any case", () => {
    expect(parseBasicCredentials(`bAsIc ${Buffer.from("a:b").toString("base64")}`)).toEqual({
      clientId: "a",
      secret: "b",
    });
  });

  it("returns null for another scheme", () => {
    expect(parseBasicCredentials("Bearer abc")).toBeNull();
  });

  it.each([
    ["no separator", basic("client")],
    ["an empty client id", basic(":secret")],
    ["invalid base64", "Basic !!!!"],
    ["truncated base64", "Basic YWJj="],
    ["a malformed percent-encoding", basic("client:%E0%A4%A")],
    ["no credentials", "Basic "],
  ])("refuses %s as invalid_client with a Basic challenge", (_, header) => {
    expect(() => parseBasicCredentials(header)).toThrow(
      expect.objectContaining({
        error: "invalid_client",
        status: 401,
        headers: { "WWW-Authenticate": expect.stringMatching(/^Basic realm=/) },
      }),
    );
  });
});

describe("the client authentication method of a request", () => {
  const header = basic("client:secret");

  it.each([
    [
      "Basic",
      header,
      {},
      { method: "client_secret_basic", clientId: "client", secret: "secret", assertion: null },
    ],
    [
      "Basic with the same client_id in the body",
      header,
      { client_id: "client" },
      { method: "client_secret_basic", clientId: "client", secret: "secret", assertion: null },
    ],
    [
      "client_secret_post",
      undefined,
      { client_id: "client", client_secret: "secret" },
      { method: "client_secret_post", clientId: "client", secret: "secret", assertion: null },
    ],
    [
      "none",
      undefined,
      { client_id: "client" },
      { method: "none", clientId: "client", secret: null, assertion: null },
    ],
  ])("recognises %s", (_, authorization, params, expected) => {
    expect(presentedCredentials(authorization, params)).toEqual(expected);
  });

  it.each([
    ["Basic and client_secret_post", header, { client_id: "client", client_secret: "secret" }],
    [
      "Basic and a client assertion",
      header,
      { client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" },
    ],
    ["Basic naming another client_id", header, { client_id: "other" }],
  ])("refuses %s as invalid_request", (_, authorization, params) => {
    expect(() => presentedCredentials(authorization, params)).toThrow(
      expect.objectContaining({ error: "invalid_request", status: 400 }),
    );
  });

  it.each([
    ["no client at all", undefined, {}],
    ["a Bearer header", "Bearer abc", { client_id: "client" }],
    [
      "a malformed client assertion",
      undefined,
      {
        client_id: "client",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: "a.b.c",
      },
    ],
    ["an oversized client_id", undefined, { client_id: "x".repeat(600) }],
  ])("refuses %s as invalid_client", (_, authorization, params) => {
    expect(() => presentedCredentials(authorization, params)).toThrow(
      expect.objectContaining({ error: "invalid_client", status: 401 }),
    );
  });
});

describe("resource indicators at the token endpoint (RFC 8707 §2.2)", () => {
  const api = "https://api.example.com/";
  const other = "https://other.example.com/";

  it("uses the requested subset of the authorized resources as the audience", () => {
    expect(grantedAudience([api], [api, other], "https://id.example.com")).toEqual([api]);
  });

  it("falls back to the authorized resources, then to the default audience", () => {
    expect(grantedAudience([], [api, other], "https://id.example.com")).toEqual([api, other]);
    expect(grantedAudience([], [], "https://id.example.com")).toEqual(["https://id.example.com"]);
  });

  it.each([
    ["a resource that was not authorized", [other], [api]],
    ["any resource when none was authorized", [api], []],
    ["a relative URI", ["/api"], []],
    ["a URI with a fragment", [`${api}#x`], [`${api}#x`]],
  ])("refuses %s as invalid_target", (_, requested, authorized) => {
    expect(() => grantedAudience(requested, authorized, "https://id.example.com")).toThrow(
      expect.objectContaining({ error: "invalid_target", status: 400 }),
    );
  });
});
