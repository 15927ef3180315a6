// Email normalisation (one account per address, whatever its spelling) and the password
// policy (8 to 256 characters, argon2id with OWASP's parameters).

import { describe, expect, it } from "vitest";
import {
  checkPasswordPolicy,
  hashPassword,
  verifyPassword,
} from "../../server/accounts/passwords.ts";
import { normalizeEmail } from "../../server/accounts/users.ts";

describe("email normalisation", () => {
  it.each([
    ["ann@example.com", "ann@example.com"],
    ["  Ann.Lee@Example.COM ", "ann.lee@example.com"],
    ["first+tag@sub.example.co.uk", "first+tag@sub.example.co.uk"],
    ["o'neil@example.ie", "o'neil@example.ie"],
    ["user@xn--mnchen-3ya.de", "user@münchen.de"],
    ["user@MÜNCHEN.de", "user@münchen.de"],
    ["josé@example.com", "josé@example.com"],
  ])("%j → %j", (input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
  });

  it.each([
    [""],
    ["ann"],
    ["@example.com"],
    ["ann@"],
    ["ann@localhost"],
    ["ann@@example.com"],
    ["a@b@example.com"],
    ["ann lee@example.com"],
    [".ann@example.com"],
    ["ann.@example.com"],
    ["ann..lee@example.com"],
    ['"ann"@example.com'],
    ["ann@-example.com"],
    ["ann@example..com"],
    ["ann@example.123"],
    ["ann@exa_mple.com"],
    [`${"a".repeat(65)}@example.com`],
    [`ann@${"a".repeat(250)}.com`],
  ])("rejects %j", (input) => {
    expect(() => normalizeEmail(input)).toThrow("is not a valid email address");
  });
});

describe("password policy", () => {
  it("needs 8 to 256 characters, counted as characters rather than bytes", () => {
    expect(() => checkPasswordPolicy("1234567")).toThrow("at least 8 characters");
    expect(() => checkPasswordPolicy("9d2k-xq7")).not.toThrow();
    expect(() => checkPasswordPolicy("🔑".repeat(8))).not.toThrow();
    expect(() => checkPasswordPolicy("x".repeat(256))).not.toThrow();
    expect(() => checkPasswordPolicy("x".repeat(257))).toThrow("at most 256 characters");
  });

  it.each(["password", "PASSWORD", "Password1", "iloveyou", "qwerty123", "letmein!", "12345678"])(
    "refuses the common password %s, whatever its case",
    (password) => {
      expect(() => checkPasswordPolicy(password)).toThrow(
        "This password is one of the most commonly used ones and easy to guess; choose another.",
      );
    },
  );

  it("accepts an uncommon password and a long passphrase", () => {
    expect(() => checkPasswordPolicy("correct horse battery staple")).not.toThrow();
    expect(() => checkPasswordPolicy("password-for-latchkey-7")).not.toThrow();
  });

  it("hashes with argon2id, m=19456 KiB, t=2, p=1, and verifies", async () => {
    const hash = await hashPassword("correct horse");
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await verifyPassword(hash, "correct horse")).toBe(true);
    expect(await verifyPassword(hash, "correct horsf")).toBe(false);
    expect(await verifyPassword("not a hash", "correct horse")).toBe(false);
  });

  it("treats canonically equivalent spellings as the same password (NFKC)", async () => {
    const hash = await hashPassword("caf\u00e9-password");
    expect(await verifyPassword(hash, "cafe\u0301-password")).toBe(true);
  });
});
