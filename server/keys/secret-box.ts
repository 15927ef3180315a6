// Sealing of small secrets the server must read back (TOTP secrets), under a key derived from
// the key-encryption key with HKDF-SHA256, so that they never share a key with the signing
// keys. A sealed value is "v1." + base64url(iv ‖ ciphertext ‖ tag), AES-256-GCM with a
// caller-given context (e.g. the user id) as additional data: a value copied onto another
// row, a wrong KEK or an altered byte fail the authentication check.

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1.";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The purpose users' TOTP secrets are sealed for (the HKDF info). */
export const TOTP_SECRETS_PURPOSE = "totp secrets";

export interface SecretBox {
  seal(plaintext: Buffer, context: string): string;
  open(sealed: string, context: string): Buffer;
}

export function createSecretBox(kek: Buffer, purpose: string): SecretBox {
  const key = Buffer.from(hkdfSync("sha256", kek, Buffer.alloc(0), `latchkey ${purpose}`, 32));
  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(context, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return VERSION + Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
    },
    open(sealed, context) {
      if (!sealed.startsWith(VERSION)) throw new Error("unknown sealed secret version");
      const raw = Buffer.from(sealed.slice(VERSION.length), "base64url");
      if (raw.length < IV_BYTES + TAG_BYTES) throw new Error("sealed secret too short");
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
        decipher.final(),
      ]);
    },
  };
}
