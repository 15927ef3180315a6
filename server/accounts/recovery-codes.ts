// Recovery codes: what lets a user who lost the authenticator app sign in once more. Each is
// 80 random bits shown once, as four groups of four base32 characters, and stored only as a
// SHA-256 digest keyed by the user id (a fast hash is right for a server-made value of that
// entropy, and the user id keeps one user's digests useless for another's). A code works
// once.

import { createHash, randomBytes } from "node:crypto";
import { base32Encode } from "./totp.ts";

export const RECOVERY_CODE_COUNT = 10;
const CODE_BYTES = 10;

export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () =>
    base32Encode(randomBytes(CODE_BYTES))
      .toLowerCase()
      .replace(/(.{4})(?=.)/g, "$1-"),
  );
}

/** The canonical form of a typed code: no spaces or dashes, lowercase; null if it cannot be one. */
export function normalizeRecoveryCode(input: string): string | null {
  const code = input.replace(/[\s-]/g, "").toLowerCase();
  return /^[a-z2-7]{16}$/.test(code) ? code : null;
}

export function recoveryCodeDigest(userId: string, code: string): string {
  const canonical = normalizeRecoveryCode(code);
  if (canonical === null) throw new Error("not a recovery code");
  return createHash("sha256").update(`${userId}\n${canonical}`).digest("base64url");
}
