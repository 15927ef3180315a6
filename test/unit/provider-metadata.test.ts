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
    expect(buildProviderMetadata(config, () => true)).toEqual({
      issuer: "https://id.example.com/tenant",
      jwks_uri: "https://id.example.com/tenant/oauth/jwks",
    });
    expect(buildProviderMetadata(config, () => false)).toEqual({
      issuer: "https://id.example.com/tenant",
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
