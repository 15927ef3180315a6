// Opaque server-made secrets (authorization codes, refresh tokens, session ids): 256 random
// bits, base64url. They are high-entropy, so a fast SHA-256 digest is the right way to store
// and look them up: the value itself is never stored.

import { createHash, randomBytes } from "node:crypto";

export function generateOpaqueToken(): string {
  return randomBytes(32).toString("base64url");
}

export function digestToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}
