// Password policy and hashing. argon2id with OWASP's minimum parameters (19 MiB, 2 passes,
// 1 lane); the PHC string stores them, so raising them later keeps old hashes verifiable.
// Passwords are NFKC-normalised before hashing and verifying (NIST SP 800-63B §5.1.1.2), so
// the same password typed on different keyboards or platforms gives the same bytes.

import argon2 from "argon2";
import { invalidRequest } from "../errors.ts";
import { isCommonPassword } from "./common-passwords.ts";

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * Throws invalid_request unless the password has 8 to 256 characters (Unicode code points
 * after NFKC, not bytes: NIST counts characters, and a passphrase in any script is welcome)
 * and is not one of the common passwords shipped with Latchkey.
 */
export function checkPasswordPolicy(password: string): void {
  const length = [...password.normalize("NFKC")].length;
  if (length < PASSWORD_MIN_LENGTH) {
    throw invalidRequest(`The password must have at least ${PASSWORD_MIN_LENGTH} characters.`);
  }
  if (length > PASSWORD_MAX_LENGTH) {
    throw invalidRequest(`The password must have at most ${PASSWORD_MAX_LENGTH} characters.`);
  }
  if (isCommonPassword(password)) {
    throw invalidRequest(
      "This password is one of the most commonly used ones and easy to guess; choose another.",
    );
  }
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password.normalize("NFKC"), ARGON2_OPTIONS);
}

/** False for a wrong password and for a hash that cannot be parsed. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  // Length-capped so that a huge input cannot make verification expensive.
  if (password.length > PASSWORD_MAX_LENGTH * 4) return false;
  try {
    return await argon2.verify(hash, password.normalize("NFKC"));
  } catch {
    return false;
  }
}
