import { createPublicKey, randomBytes } from "node:crypto";
import { calculateJwkThumbprint, compactVerify, importJWK, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
  decryptPrivateKey,
  encryptPrivateKey,
  type GeneratedKey,
  generateSigningKey,
  KeyDecryptionError,
  publicJwkFromStored,
} from "../../server/keys/crypto.ts";

describe("signing-key material", () => {
  let generated: GeneratedKey;
  const kek = randomBytes(32);
  beforeAll(async () => {
    generated = await generateSigningKey();
  });

  it("generates RSA-2048 keys whose kid is the RFC 7638 thumbprint", async () => {
    const { kid, publicJwk, privateKey } = generated;
    expect(privateKey.asymmetricKeyType).toBe("rsa");
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(Object.keys(publicJwk)).toEqual(["kty", "use", "alg", "kid", "n", "e"]);
    expect(publicJwk).toMatchObject({ kty: "RSA", use: "sig", alg: "RS256", kid, e: "AQAB" });
    const { n, e } = publicJwk;
    expect(kid).toBe(await calculateJwkThumbprint({ kty: "RSA", n, e }, "sha256"));
  });

  it("seals a private key that decrypts to the same key", async () => {
    const sealed = encryptPrivateKey(generated.privateKey, kek, generated.kid);
    expect(sealed).toMatch(/^v1\.[\w-]+$/);
    const opened = decryptPrivateKey(sealed, kek, generated.kid);
    const jwt = await new SignJWT({ sub: "x" })
      .setProtectedHeader({ alg: "RS256", kid: generated.kid })
      .sign(opened);
    const verified = await compactVerify(jwt, await importJWK(generated.publicJwk, "RS256"));
    expect(verified.protectedHeader.kid).toBe(generated.kid);
    expect(createPublicKey(opened).export({ format: "jwk" }).n).toBe(generated.publicJwk.n);
  });

  it("uses a fresh IV for every seal", () => {
    const a = encryptPrivateKey(generated.privateKey, kek, generated.kid);
    const b = encryptPrivateKey(generated.privateKey, kek, generated.kid);
    expect(a).not.toBe(b);
  });

  it("fails with a message naming KEY_ENCRYPTION_KEY when the KEK is wrong", () => {
    const sealed = encryptPrivateKey(generated.privateKey, kek, generated.kid);
    const attempt = () => decryptPrivateKey(sealed, randomBytes(32), generated.kid);
    expect(attempt).toThrow(KeyDecryptionError);
    expect(attempt).toThrow(
      `cannot decrypt signing key ${generated.kid}: KEY_ENCRYPTION_KEY (or keys/kek in the embedded default) is not the key it was encrypted with, or the stored key was altered`,
    );
  });

  it.each([
    ["the IV", 0],
    ["the ciphertext", 500],
    ["the authentication tag", -1],
  ])("rejects a sealed key with an altered byte in %s", (_part, index) => {
    const sealed = encryptPrivateKey(generated.privateKey, kek, generated.kid);
    const bytes = Buffer.from(sealed.slice(3), "base64url");
    const position = index < 0 ? bytes.length + index : index;
    bytes[position] = (bytes[position] ?? 0) ^ 0x01;
    const tampered = `v1.${bytes.toString("base64url")}`;
    expect(() => decryptPrivateKey(tampered, kek, generated.kid)).toThrow(/KEY_ENCRYPTION_KEY/);
  });

  it("rejects a sealed key moved onto another kid", () => {
    const sealed = encryptPrivateKey(generated.privateKey, kek, generated.kid);
    expect(() => decryptPrivateKey(sealed, kek, "another-kid")).toThrow(KeyDecryptionError);
  });

  it.each([
    ["an unknown version", "v2.AAAA", "unknown format"],
    ["a truncated value", "v1.AAAA", "truncated"],
  ])("rejects %s", (_name, sealed, message) => {
    expect(() => decryptPrivateKey(sealed, kek, "k")).toThrow(message);
  });

  it("publishes only the public members of a stored key", () => {
    const { kid, publicJwk } = generated;
    const stored = { ...publicJwk, d: "secret", p: "secret", q: "secret", use: "enc" };
    expect(publicJwkFromStored(kid, stored)).toEqual(publicJwk);
    expect(() => publicJwkFromStored(kid, { kty: "EC", x: "a" })).toThrow(
      `signing key ${kid} has no RSA public key`,
    );
  });
});
