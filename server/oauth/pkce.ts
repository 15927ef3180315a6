// PKCE (RFC 7636) with S256 only: `plain` gives no protection against a stolen code and is
// refused (RFC 9700 §2.1.1).

import { createHash, timingSafeEqual } from "node:crypto";

/** code_verifier: 43-128 characters of [A-Z a-z 0-9 - . _ ~] (RFC 7636 §4.1). */
export const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** An S256 code_challenge is the base64url of a SHA-256: 43 characters, no padding. */
export const S256_CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function s256Challenge(verifier: string): string {
  return createHash("sha256").update(verifier, "ascii").digest("base64url");
}

/** True when the verifier matches the S256 challenge; compared in constant time. */
export function verifyS256(verifier: string, challenge: string): boolean {
  if (!CODE_VERIFIER.test(verifier) || !S256_CODE_CHALLENGE.test(challenge)) return false;
  return timingSafeEqual(Buffer.from(s256Challenge(verifier)), Buffer.from(challenge));
}
