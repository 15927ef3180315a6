// Signing-key material: RSA-2048 generation, the kid (RFC 7638 thumbprint) and the sealing of
// private keys at rest. A sealed key is "v1." + base64url(iv ‖ ciphertext ‖ tag): AES-256-GCM
// under the key-encryption key with the kid as additional data, so a sealed key copied onto
// another row, a wrong KEK or an altered byte all fail the authentication check.

import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  generateKeyPair,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { promisify } from "node:util";
import { calculateJwkThumbprint } from "jose";

export const SIGNING_ALG = "RS256";

/** The public half as published in the JWKS; members in a fixed order for a stable body. */
export interface PublicSigningJwk {
  kty: "RSA";
  use: "sig";
  alg: typeof SIGNING_ALG;
  kid: string;
  n: string;
  e: string;
}

export interface GeneratedKey {
  kid: string;
  publicJwk: PublicSigningJwk;
  privateKey: KeyObject;
}

const generateRsaKeyPair = promisify(generateKeyPair);
const VERSION = "v1.";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class KeyDecryptionError extends Error {
  constructor(kid: string, reason: string) {
    super(`cannot decrypt signing key ${kid}: ${reason}`);
    this.name = "KeyDecryptionError";
  }
}

/** Generates off the event loop (libuv thread pool): RSA generation takes tens of ms. */
export async function generateSigningKey(): Promise<GeneratedKey> {
  const { publicKey, privateKey } = await generateRsaKeyPair("rsa", {
    modulusLength: 2048,
    publicExponent: 0x10001,
  });
  const { n, e } = publicKey.export({ format: "jwk" });
  if (typeof n !== "string" || typeof e !== "string") {
    throw new Error("RSA public key export lacks n or e");
  }
  const kid = await calculateJwkThumbprint({ kty: "RSA", n, e }, "sha256");
  return { kid, publicJwk: { kty: "RSA", use: "sig", alg: SIGNING_ALG, kid, n, e }, privateKey };
}

/**
 * Rebuilds the published JWK from a stored one, keeping only the public members: whatever
 * else a row might hold can never reach the JWKS.
 */
export function publicJwkFromStored(
  kid: string,
  stored: Record<string, unknown>,
): PublicSigningJwk {
  const { kty, n, e } = stored;
  if (kty !== "RSA" || typeof n !== "string" || typeof e !== "string") {
    throw new Error(`signing key ${kid} has no RSA public key`);
  }
  return { kty, use: "sig", alg: SIGNING_ALG, kid, n, e };
}

export function encryptPrivateKey(privateKey: KeyObject, kek: Buffer, kid: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", kek, iv);
  cipher.setAAD(Buffer.from(kid, "utf8"));
  const der = privateKey.export({ format: "der", type: "pkcs8" });
  const ciphertext = Buffer.concat([cipher.update(der), cipher.final()]);
  return VERSION + Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString("base64url");
}

export function decryptPrivateKey(sealed: string, kek: Buffer, kid: string): KeyObject {
  if (!sealed.startsWith(VERSION)) {
    throw new KeyDecryptionError(kid, "the stored key has an unknown format");
  }
  const bytes = Buffer.from(sealed.slice(VERSION.length), "base64url");
  if (bytes.length <= IV_BYTES + TAG_BYTES) {
    throw new KeyDecryptionError(kid, "the stored key is truncated");
  }
  const decipher = createDecipheriv("aes-256-gcm", kek, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(kid, "utf8"));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  let der: Buffer;
  try {
    der = Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new KeyDecryptionError(
      kid,
      "KEY_ENCRYPTION_KEY (or keys/kek in the embedded default) is not the key it was " +
        "encrypted with, or the stored key was altered",
    );
  }
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}
