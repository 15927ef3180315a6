import { describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.ts";
import {
  buildProviderMetadata,
  CONTRIBUTIONS,
  type MetadataContribution,
} from "../../server/oauth/provider-metadata.ts";

const config = loadConfig({ ISSUER: "https://id.example.com/tenant" }, "/tmp");

describe("provider metadata", () => {
  it("advertises the JWKS only while its route is registered", () => {
    expect(buildProviderMetadata(config, (_, path) => path === "/oauth/jwks")).toEqual({
      issuer: "https://id.example.com/tenant",
      jwks_uri: "https://id.example.com/tenant/oauth/jwks",
    });
    expect(buildProviderMetadata(config, () => false)).toEqual({
      issuer: "https://id.example.com/tenant",
    });
  });

  it("advertises the token endpoint with its grants and client authentication methods", () => {
    const document = buildProviderMetadata(
      config,
      (method, path) => method === "POST" && path === "/oauth/token",
    );
    expect(document).toMatchObject({
      token_endpoint: "https://id.example.com/tenant/oauth/token",
      grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
      token_endpoint_auth_methods_supported: [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
      ],
      // RFC 8414 §2: the algorithms private_key_jwt assertions may be signed with.
      token_endpoint_auth_signing_alg_values_supported: ["RS256", "PS256", "ES256", "EdDSA"],
      id_token_signing_alg_values_supported: ["RS256"],
      subject_types_supported: ["public"],
    });
    expect(document.claims_supported).toEqual(
      expect.arrayContaining(["sub", "at_hash", "name", "email", "email_verified"]),
    );
    expect(document).not.toHaveProperty("userinfo_endpoint");
  });

  it("advertises the UserInfo endpoint while its route is registered", () => {
    const document = buildProviderMetadata(
      config,
      (method, path) => method === "GET" && path === "/oauth/userinfo",
    );
    expect(document.userinfo_endpoint).toBe("https://id.example.com/tenant/oauth/userinfo");
  });

  it("advertises introspection and revocation with the client authentication each accepts", () => {
    const document = buildProviderMetadata(
      config,
      (method, path) =>
        method === "POST" && (path === "/oauth/introspect" || path === "/oauth/revoke"),
    );
    expect(document).toEqual({
      issuer: "https://id.example.com/tenant",
      introspection_endpoint: "https://id.example.com/tenant/oauth/introspect",
      // RFC 7662 §2.1: a public client cannot authenticate, so it cannot introspect.
      introspection_endpoint_auth_methods_supported: [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
      ],
      introspection_endpoint_auth_signing_alg_values_supported: [
        "RS256",
        "PS256",
        "ES256",
        "EdDSA",
      ],
      revocation_endpoint: "https://id.example.com/tenant/oauth/revoke",
      // RFC 7009 §2.1: a public client revokes its own tokens by naming itself.
      revocation_endpoint_auth_methods_supported: [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
      ],
      revocation_endpoint_auth_signing_alg_values_supported: ["RS256", "PS256", "ES256", "EdDSA"],
    });
  });

  it("asks for each contribution's exact method and path", () => {
    const asked: string[] = [];
    buildProviderMetadata(config, (method, path) => {
      asked.push(`${method} ${path}`);
      return false;
    });
    expect(asked).toEqual(CONTRIBUTIONS.map((c) => `${c.method} ${c.path}`));
  });

  it("merges lists contributed by several endpoints and refuses contradictions", () => {
    const contribution = (path: string, metadata: Record<string, string | string[]>) =>
      ({ method: "POST", path, metadata: () => metadata }) satisfies MetadataContribution;
    const merged = buildProviderMetadata(config, () => true, [
      contribution("/a", { grant_types_supported: ["authorization_code"], x: "same" }),
      contribution("/b", { grant_types_supported: ["refresh_token", "authorization_code"] }),
      contribution("/c", { x: "same" }),
    ]);
    expect(merged.grant_types_supported).toEqual(["authorization_code", "refresh_token"]);
    expect(merged.x).toBe("same");
    expect(() =>
      buildProviderMetadata(config, () => true, [
        contribution("/a", { x: "one" }),
        contribution("/b", { x: "two" }),
      ]),
    ).toThrow("conflicting provider metadata for x");
  });
});
