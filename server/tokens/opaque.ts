// Opaque server-made secrets (authorization codes, refresh tokens, session ids): 256 random
// bits, base64url. They are high-entropy, so a fast SHA-256 digest is the right way to store
// and look them up: the value itself is never stored.

import { createHash, randomBytes } from "node:crypto";

export function generateOpaqueToken(): string {
  return randomBytes(32).toString("base64url");
}

/** 32 bytes in unpadded base64url: what generateOpaqueToken() makes, and nothing else. */
const OPAQUE_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Whether a presented value could be one of our opaque tokens, so that a lookup by digest is
 * spent only on values that could be found.
 */
export function hasOpaqueTokenShape(value: string): boolean {
  return OPAQUE_TOKEN_SHAPE.test(value);
}

export function digestToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}
