// Password checking for login. An unknown address costs the same time as a wrong password, so
// that the login form cannot be used to find out which addresses have accounts;
// login-attempt.ts turns the result into one generic answer and applies the throttling.

import type { Db } from "../store/db/index.ts";
import { findUserByEmail, type User } from "../store/db/users.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { normalizeEmail } from "./users.ts";

// An unknown address is still checked against an argon2id hash with the real parameters, so
// it costs what a wrong password costs. The hash is made once per process, of a random value.
let dummyHash: Promise<string> | null = null;
function timingDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(crypto.randomUUID());
  return dummyHash;
}

function normalizedOrNull(email: string): string | null {
  try {
    return normalizeEmail(email);
  } catch {
    return null;
  }
}

export interface PasswordCheck {
  /** The account of the address, if there is one. */
  user: User | null;
  /** The address as accounts are keyed (trimmed and lowercased when it is no address). */
  email: string;
  passwordMatches: boolean;
}

/** Looks the address up and verifies the password, against the dummy hash when unknown. */
export async function checkPassword(
  db: Db,
  email: string,
  password: string,
): Promise<PasswordCheck> {
  const normalized = normalizedOrNull(email);
  const user = normalized === null ? null : await findUserByEmail(db, normalized);
  const hash = user?.passwordHash ?? (await timingDummyHash());
  const passwordMatches = await verifyPassword(hash, password);
  const key = normalized ?? email.trim().toLowerCase();
  return { user, email: key, passwordMatches };
}

/** Starts building the dummy hash at startup, so the first unknown-address login is not faster. */
export function prepareLogin(): Promise<void> {
  return timingDummyHash().then(() => undefined);
}
