// Password login. Every failure looks the same from outside: the same answer (null, shown as
// one generic message) and about the same time, so that the login form cannot be used to find
// out which addresses have accounts or which accounts are locked.

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

/** The user when the email and password are right and the account is not locked, else null. */
export async function authenticateWithPassword(
  db: Db,
  email: string,
  password: string,
): Promise<User | null> {
  const normalized = normalizedOrNull(email);
  const user = normalized === null ? null : await findUserByEmail(db, normalized);
  const hash = user?.passwordHash ?? (await timingDummyHash());
  const passwordMatches = await verifyPassword(hash, password);
  if (!user || !passwordMatches || user.lockedAt !== null) return null;
  return user;
}

/** Starts building the dummy hash at startup, so the first unknown-address login is not faster. */
export function prepareLogin(): Promise<void> {
  return timingDummyHash().then(() => undefined);
}
