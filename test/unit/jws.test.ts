// Verification of our own RS256 tokens with node:crypto (server/keys/jws.ts): what it accepts
// and each thing it refuses, with tokens made by jose so that the two implementations agree.

import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createRs256Verifier, JwsError, signRs256, verifyRs256 } from "../../server/keys/jws.ts";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ISSUER = "https://id.example.com";
const NOW = 1_900_000_000;
const expectations = { typ: "at+jwt", issuer: ISSUER, now: NOW, clockTolerance: 30 };
const keyFor = (kid: string): KeyObject | undefined => (kid === "k1" ? publicKey : undefined);

function make(
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  key: KeyObject = privateKey,
): Promise<string> {
  return new SignJWT({ iss: ISSUER, sub: "u1", iat: NOW, exp: NOW + 300, ...claims })
    .setProtectedHeader({ alg: "RS256", kid: "k1", typ: "at+jwt", ...header })
    .sign(key);
}

const refused = (token: string, reason: RegExp) =>
  expect(() => verifyRs256(token, keyFor, expectations)).toThrow(reason);

describe("verifyRs256", () => {
  it("accepts a token jose signed, and one signRs256 signed", async () => {
    expect(verifyRs256(await make(), keyFor, expectations)).toMatchObject({ sub: "u1" });
    const ours = await signRs256(
      { alg: "RS256", kid: "k1", typ: "at+jwt" },
      { iss: ISSUER, sub: "u2", exp: NOW + 1 },
      privateKey,
    );
    expect(verifyRs256(ours, keyFor, expectations).sub).toBe("u2");
  });

  it("takes typ in any case and with the application/ prefix", async () => {
    for (const typ of ["AT+JWT", "application/at+jwt"]) {
      expect(verifyRs256(await make({}, { typ }), keyFor, expectations).sub).toBe("u1");
    }
  });

  it("tolerates the clock skew at exp and nbf, and no more", async () => {
    expect(verifyRs256(await make({ exp: NOW - 29 }), keyFor, expectations).sub).toBe("u1");
    refused(await make({ exp: NOW - 30 }), /expired/);
    expect(verifyRs256(await make({ nbf: NOW + 30 }), keyFor, expectations).sub).toBe("u1");
    refused(await make({ nbf: NOW + 31 }), /not yet valid/);
  });

  it("refuses each broken part", async () => {
    const good = await make();
    const [h, p, s] = good.split(".") as [string, string, string];
    const tamperedPayload = Buffer.from(
      JSON.stringify({ iss: ISSUER, sub: "admin", exp: NOW + 300 }),
    ).toString("base64url");
    const cases: Array<[string, RegExp]> = [
      [`${h}.${p}`, /compact/],
      [`${h}.${p}.${s}.x`, /compact/],
      [`${h}.${p}.${s}=`, /compact/],
      [`e30.${p}.${s}`, /alg/],
      [`${h}.${tamperedPayload}.${s}`, /signature/],
      [`${h}.${p}.${s.slice(0, -4)}AAAA`, /signature/],
      [`bm90IGpzb24.${p}.${s}`, /header is not/],
      [`${Buffer.from("[1]").toString("base64url")}.${p}.${s}`, /header is not a JSON object/],
    ];
    for (const [token, reason] of cases) refused(token, reason);
    const withHeader = (header: Record<string, unknown>) =>
      `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${p}.${s}`;
    refused(withHeader({ alg: "PS256", kid: "k1", typ: "at+jwt" }), /alg PS256/);
    refused(withHeader({ alg: "none", kid: "k1", typ: "at+jwt" }), /alg none/);
    refused(withHeader({ alg: "RS256", kid: "k1", typ: "at+jwt", crit: ["x"] }), /crit/);
    refused(await make({}, { typ: "JWT" }), /typ/);
    refused(await make({}, { kid: "k2" }), /kid/);
    refused(await make({}, {}, other.privateKey), /signature/);
    refused(await make({ iss: "https://evil.example" }), /iss/);
    refused(await make({ exp: undefined }), /exp is missing/);
    refused(await make({ iat: "yesterday" }), /iat/);
  });

  it("throws JwsError, which callers turn into invalid_token", async () => {
    expect(() => verifyRs256("x.y.z", keyFor, expectations)).toThrow(JwsError);
  });
});

describe("createRs256Verifier", () => {
  it("verifies a token once and then recognises it byte for byte", async () => {
    const verifyCached = createRs256Verifier();
    const token = await make();
    expect(verifyCached(token, keyFor, expectations).sub).toBe("u1");
    // The same kid now maps to another key: a fresh verification would fail, the remembered
    // token does not need one.
    const swapped = (kid: string) => (kid === "k1" ? other.publicKey : undefined);
    expect(verifyCached(token, swapped, expectations).sub).toBe("u1");
    expect(() => verifyRs256(token, swapped, expectations)).toThrow(/signature/);
    // One byte different is another token, verified afresh.
    const [h, p, s] = token.split(".") as [string, string, string];
    const altered = `${h}.${p}.${s.startsWith("A") ? `B${s.slice(1)}` : `A${s.slice(1)}`}`;
    expect(() => verifyCached(altered, keyFor, expectations)).toThrow(/signature/);
  });

  it("checks the key's publication and the times on every call", async () => {
    const verifyCached = createRs256Verifier();
    const token = await make({ exp: NOW + 60 });
    verifyCached(token, keyFor, expectations);
    expect(() => verifyCached(token, () => undefined, expectations)).toThrow(/no published key/);
    expect(() => verifyCached(token, keyFor, { ...expectations, now: NOW + 91 })).toThrow(
      /expired/,
    );
    expect(() => verifyCached(token, keyFor, { ...expectations, typ: "JWT" })).toThrow(/typ/);
  });
});
