// TOTP and HOTP against the test vectors of RFC 4226 Appendix D and RFC 6238 Appendix B,
// base32 against RFC 4648 §10, the ±1 step window, the otpauth URI, recovery codes and the
// sealing of secrets.

import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  generateRecoveryCodes,
  normalizeRecoveryCode,
  recoveryCodeDigest,
} from "../../server/accounts/recovery-codes.ts";
import {
  base32Decode,
  base32Encode,
  formatSecretForTyping,
  hotp,
  matchTotpStep,
  otpauthUri,
  totpCode,
  totpStep,
} from "../../server/accounts/totp.ts";
import { createSecretBox } from "../../server/keys/secret-box.ts";

const RFC_SECRET = Buffer.from("12345678901234567890", "ascii");

describe("HOTP (RFC 4226 Appendix D)", () => {
  it.each([
    [0, "755224"],
    [1, "287082"],
    [2, "359152"],
    [3, "969429"],
    [4, "338314"],
    [5, "254676"],
    [6, "287922"],
    [7, "162583"],
    [8, "399871"],
    [9, "520489"],
  ])("counter %i → %s", (counter, code) => {
    expect(hotp(RFC_SECRET, counter)).toBe(code);
  });
});

describe("TOTP with SHA-1 (RFC 6238 Appendix B)", () => {
  it.each([
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ])("T = %i s → %s (8 digits), and its last 6 digits with 6", (seconds, code) => {
    const at = new Date(seconds * 1000);
    expect(totpCode(RFC_SECRET, at, 8)).toBe(code);
    expect(totpCode(RFC_SECRET, at)).toBe(code.slice(2));
  });

  it("counts 30-second steps from the epoch", () => {
    expect(totpStep(new Date(0))).toBe(0);
    expect(totpStep(new Date(29_999))).toBe(0);
    expect(totpStep(new Date(30_000))).toBe(1);
    expect(totpStep(new Date(59_000))).toBe(1);
  });
});

describe("matching a typed code", () => {
  const at = new Date(1_700_000_000_000);
  const step = totpStep(at);
  const codeAt = (offset: number) => hotp(RFC_SECRET, step + offset);

  it("accepts the current step and one either side, and says which", () => {
    expect(matchTotpStep(RFC_SECRET, codeAt(0), at)).toBe(step);
    expect(matchTotpStep(RFC_SECRET, codeAt(-1), at)).toBe(step - 1);
    expect(matchTotpStep(RFC_SECRET, codeAt(1), at)).toBe(step + 1);
  });

  it("refuses codes two steps away, wrong codes and anything not six digits", () => {
    for (const offset of [-2, 2]) {
      const code = codeAt(offset);
      if ([-1, 0, 1].some((near) => codeAt(near) === code)) continue;
      expect(matchTotpStep(RFC_SECRET, code, at)).toBeNull();
    }
    for (const input of ["", "12345", "1234567", "abcdef", "12 34 5x", `${codeAt(0)}0`]) {
      expect(matchTotpStep(RFC_SECRET, input, at)).toBeNull();
    }
  });

  it("ignores the spaces apps show inside a code", () => {
    const code = codeAt(0);
    expect(matchTotpStep(RFC_SECRET, `${code.slice(0, 3)} ${code.slice(3)}`, at)).toBe(step);
  });
});

describe("base32 (RFC 4648 §10, without padding)", () => {
  it.each([
    ["", ""],
    ["f", "MY"],
    ["fo", "MZXQ"],
    ["foo", "MZXW6"],
    ["foob", "MZXW6YQ"],
    ["fooba", "MZXW6YTB"],
    ["foobar", "MZXW6YTBOI"],
  ])("%j ⇄ %j", (text, encoded) => {
    expect(base32Encode(Buffer.from(text))).toBe(encoded);
    expect(base32Decode(encoded).toString()).toBe(text);
    expect(base32Decode(`${encoded.toLowerCase()}====`).toString()).toBe(text);
  });

  it("round-trips random secrets and their typed form, and refuses other characters", () => {
    for (let i = 0; i < 50; i++) {
      const secret = randomBytes(20);
      expect(base32Decode(base32Encode(secret))).toEqual(secret);
      expect(base32Decode(formatSecretForTyping(secret))).toEqual(secret);
    }
    expect(() => base32Decode("MZXW1")).toThrow(/base32/);
  });
});

describe("the otpauth URI", () => {
  it("names the issuer and account and carries the parameters apps read", () => {
    const uri = new URL(otpauthUri("id.example.com", "ann+x@example.com", RFC_SECRET));
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe("/id.example.com:ann+x@example.com");
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: base32Encode(RFC_SECRET),
      issuer: "id.example.com",
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
  });
});

describe("recovery codes", () => {
  it("makes ten different 80-bit codes in four groups", () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes)
      expect(code).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
  });

  it("takes a code typed with any case, spaces or dashes, and nothing else", () => {
    expect(normalizeRecoveryCode(" ABCD efgh-2345 6723 ")).toBe("abcdefgh23456723");
    for (const input of ["", "abcd-efgh", "abcdefgh234567121", "abcd-efgh-2345-671!", "123456"]) {
      expect(normalizeRecoveryCode(input)).toBeNull();
    }
  });

  it("digests a code per user, the same for every spelling", () => {
    const [code = ""] = generateRecoveryCodes(1);
    const digest = recoveryCodeDigest("user-1", code);
    expect(recoveryCodeDigest("user-1", code.toUpperCase().replaceAll("-", " "))).toBe(digest);
    expect(recoveryCodeDigest("user-2", code)).not.toBe(digest);
    expect(digest).not.toContain(code.replaceAll("-", ""));
  });
});

describe("the secret box", () => {
  const kek = randomBytes(32);
  const box = createSecretBox(kek, "totp secrets");
  const secret = randomBytes(20);

  it("opens what it sealed, for the same context only", () => {
    const sealed = box.seal(secret, "user-1");
    expect(sealed).toMatch(/^v1\./);
    expect(box.open(sealed, "user-1")).toEqual(secret);
    expect(() => box.open(sealed, "user-2")).toThrow();
  });

  it("refuses an altered value, another purpose's key and another KEK", () => {
    const sealed = box.seal(secret, "user-1");
    const raw = Buffer.from(sealed.slice(3), "base64url");
    raw[raw.length - 20] = (raw[raw.length - 20] ?? 0) ^ 1;
    expect(() => box.open(`v1.${raw.toString("base64url")}`, "user-1")).toThrow();
    expect(() => createSecretBox(kek, "other").open(sealed, "user-1")).toThrow();
    expect(() => createSecretBox(randomBytes(32), "totp secrets").open(sealed, "user-1")).toThrow();
  });
});
