// Client secrets: server-made, 256 bits, stored as SHA-256 digests and compared in constant
// time (RFC 9700 §2.5 and our house rules).

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  digestClientSecret,
  generateClientSecret,
  verifyClientSecret,
} from "../../server/oauth/clients.ts";

describe("client secrets", () => {
  it("are 32 random bytes in base64url, different every time", () => {
    const a = generateClientSecret();
    const b = generateClientSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, "base64url")).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it("are stored as their SHA-256 digest", () => {
    const secret = generateClientSecret();
    expect(digestClientSecret(secret)).toBe(
      createHash("sha256").update(secret).digest("base64url"),
    );
    expect(digestClientSecret(secret)).not.toContain(secret);
  });

  it("verify only the exact secret", () => {
    const secret = generateClientSecret();
    const client = { secretDigest: digestClientSecret(secret) };
    expect(verifyClientSecret(client, secret)).toBe(true);
    expect(verifyClientSecret(client, `${secret} `)).toBe(false);
    expect(verifyClientSecret(client, secret.slice(0, -1))).toBe(false);
    expect(verifyClientSecret(client, "")).toBe(false);
    expect(verifyClientSecret(client, digestClientSecret(secret))).toBe(false);
  });

  it("never verify for a client without a secret or with a damaged digest", () => {
    expect(verifyClientSecret({ secretDigest: null }, "")).toBe(false);
    expect(verifyClientSecret({ secretDigest: null }, "anything")).toBe(false);
    expect(verifyClientSecret({ secretDigest: "short" }, "anything")).toBe(false);
  });
});
