// Pure rules of refresh and client credentials: scope narrowing (RFC 6749 §6), the client
// credentials scope (§4.4.2, §3.3), the life of a refresh family and token, and the sealing of
// a successor for the reuse grace period.

import { describe, expect, it } from "vitest";
import {
  clientCredentialsScope,
  narrowScope,
  parseScopeParameter,
} from "../../server/oauth/token-scope.ts";
import type { RefreshFamily } from "../../server/store/db/refresh-families.ts";
import { generateOpaqueToken } from "../../server/tokens/opaque.ts";
import {
  familyState,
  isRefreshTokenActive,
  openSuccessor,
  sealSuccessor,
} from "../../server/tokens/refresh-tokens.ts";

const scopeError = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { error?: string }).error;
  }
  return null;
};

describe("the scope parameter (RFC 6749 §3.3)", () => {
  it.each([
    [undefined, null],
    ["openid", ["openid"]],
    ["openid  profile", ["openid", "profile"]],
    ["email email openid", ["email", "openid"]],
    ["api:read urn:x-api:write", ["api:read", "urn:x-api:write"]],
  ])("parses %j as %j", (value, expected) => {
    expect(parseScopeParameter(value)).toEqual(expected);
  });

  it.each([
    ["only spaces", "   "],
    ["a double quote", 'a"b'],
    ["a backslash", "a\\b"],
    ["a non-ASCII character", "scopé"],
    ["more than 1000 characters", "a".repeat(1001)],
  ])("rejects %s as invalid_scope", (_, value) => {
    expect(scopeError(() => parseScopeParameter(value))).toBe("invalid_scope");
  });
});

describe("narrowing the scope of a refresh (RFC 6749 §6)", () => {
  const granted = "openid profile email";

  it.each([
    ["no scope parameter: the grant's scope", undefined, granted],
    ["the same scope", "openid profile email", granted],
    ["a subset, in the grant's order", "email openid", "openid email"],
    ["one scope", "profile", "profile"],
    ["a subset with duplicates", "email email", "email"],
  ])("allows %s", (_, requested, expected) => {
    expect(narrowScope(requested, granted)).toBe(expected);
  });

  it.each([
    ["a scope beyond the grant", "openid offline_access"],
    ["an unrelated scope", "admin"],
    ["a scope that differs in case (scopes are case-sensitive)", "OpenID"],
  ])("rejects %s as invalid_scope", (_, requested) => {
    expect(scopeError(() => narrowScope(requested, granted))).toBe("invalid_scope");
  });
});

describe("the client credentials scope (RFC 6749 §4.4.2)", () => {
  const registered = "openid api:read api:write offline_access";

  it.each([
    [
      "every registered scope a machine can hold, without a scope parameter",
      undefined,
      registered,
      "api:read api:write",
    ],
    ["a registered scope", "api:write", registered, "api:write"],
    [
      "registered scopes in the order asked",
      "api:write api:read",
      registered,
      "api:write api:read",
    ],
    ["no scope to a client registered for none", undefined, "", ""],
  ])("grants %s", (_, requested, client, expected) => {
    expect(clientCredentialsScope(requested, client)).toBe(expected);
  });

  it.each([
    ["a scope the client is not registered for", "api:admin"],
    ["openid, even when registered", "openid"],
    ["offline_access, even when registered", "api:read offline_access"],
  ])("rejects %s as invalid_scope", (_, requested) => {
    expect(scopeError(() => clientCredentialsScope(requested, registered))).toBe("invalid_scope");
  });
});

describe("the life of a refresh family", () => {
  const config = { refreshTokenIdleTtl: 60 };
  const t0 = new Date("2027-01-01T00:00:00Z");
  const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
  const family: RefreshFamily = {
    id: "f1",
    clientId: "c1",
    userId: "u1",
    scope: "openid",
    resources: [],
    amr: ["pwd"],
    authTime: t0,
    sessionId: null,
    createdAt: t0,
    lastUsedAt: at(100),
    expiresAt: at(300),
    revokedAt: null,
    revokedReason: null,
  };

  it.each([
    ["active while used within the idle lifetime", family, at(159), "active"],
    ["idle once unused for the idle lifetime", family, at(160), "idle"],
    [
      "expired at its absolute lifetime, however recently used",
      { ...family, lastUsedAt: at(299) },
      at(300),
      "expired",
    ],
    ["revoked, whatever its times", { ...family, revokedAt: at(50) }, at(101), "revoked"],
  ])("is %s", (_, subject, now, state) => {
    expect(familyState(subject, now, config)).toBe(state);
  });

  it("counts a token as active only while it is its family's live token", () => {
    const live = { rotatedAt: null, family };
    expect(isRefreshTokenActive(live, at(120), config)).toBe(true);
    expect(isRefreshTokenActive({ ...live, rotatedAt: at(110) }, at(111), config)).toBe(false);
    expect(isRefreshTokenActive(live, at(200), config)).toBe(false);
  });
});

describe("the sealed successor of the reuse grace period", () => {
  it("opens only with the rotated token it was sealed under", () => {
    const rotated = generateOpaqueToken();
    const successor = generateOpaqueToken();
    const sealed = sealSuccessor(rotated, successor);
    expect(sealed).not.toContain(successor);
    expect(openSuccessor(rotated, sealed)).toBe(successor);
    expect(openSuccessor(generateOpaqueToken(), sealed)).toBeNull();
  });

  it("refuses a seal that was altered or truncated", () => {
    const rotated = generateOpaqueToken();
    const sealed = Buffer.from(sealSuccessor(rotated, generateOpaqueToken()), "base64url");
    const altered = Buffer.from(sealed);
    altered[14] = (altered[14] ?? 0) ^ 1;
    expect(openSuccessor(rotated, altered.toString("base64url"))).toBeNull();
    expect(openSuccessor(rotated, sealed.subarray(0, 20).toString("base64url"))).toBeNull();
  });
});
