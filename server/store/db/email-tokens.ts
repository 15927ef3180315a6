// Queries on email_tokens: the digests of the sign-up, verification and password-reset links.

import type { Db } from "./index.ts";

export type EmailTokenPurpose = "signup" | "verify_email" | "reset_password";

export interface EmailToken {
  digest: string;
  purpose: EmailTokenPurpose;
  /** Null for a sign-up, whose account does not exist yet. */
  userId: string | null;
  /** The address the link was sent to. */
  email: string;
  /** A sign-up's chosen name and password hash; null otherwise. */
  name: string | null;
  passwordHash: string | null;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

export type NewEmailToken = Omit<EmailToken, "usedAt">;

function toEmailToken(row: {
  digest: string;
  purpose: string;
  user_id: string | null;
  email: string;
  name: string | null;
  password_hash: string | null;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}): EmailToken {
  return {
    digest: row.digest,
    purpose: row.purpose as EmailTokenPurpose,
    userId: row.user_id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

function toRow(token: NewEmailToken) {
  return {
    digest: token.digest,
    purpose: token.purpose,
    user_id: token.userId,
    email: token.email,
    name: token.name,
    password_hash: token.passwordHash,
    created_at: token.createdAt,
    expires_at: token.expiresAt,
  };
}

/**
 * Stores a new link of a user and removes their earlier links of the same purpose (used or
 * not), in one transaction: only the newest link of each kind works, and none pile up.
 */
export async function replaceEmailToken(
  db: Db,
  token: NewEmailToken & { userId: string },
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx
      .deleteFrom("email_tokens")
      .where("user_id", "=", token.userId)
      .where("purpose", "=", token.purpose)
      .execute();
    await tx.insertInto("email_tokens").values(toRow(token)).execute();
  });
}

/**
 * Stores a sign-up's link. Sign-ups have no user to keep their links in check, so expired and
 * used ones are deleted here, and with them the password hashes they held.
 */
export async function insertSignupToken(db: Db, token: NewEmailToken): Promise<void> {
  await db
    .deleteFrom("email_tokens")
    .where("purpose", "=", "signup")
    .where((eb) => eb.or([eb("expires_at", "<", token.createdAt), eb("used_at", "is not", null)]))
    .execute();
  await db.insertInto("email_tokens").values(toRow(token)).execute();
}

/** Removes a link that was never delivered. */
export async function deleteEmailToken(db: Db, digest: string): Promise<void> {
  await db.deleteFrom("email_tokens").where("digest", "=", digest).execute();
}

/** The link if it is unused and unexpired, without using it (for the page behind a link). */
export async function findUsableEmailToken(
  db: Db,
  digest: string,
  purposes: readonly EmailTokenPurpose[],
  now: Date,
): Promise<EmailToken | null> {
  const row = await db
    .selectFrom("email_tokens")
    .selectAll()
    .where("digest", "=", digest)
    .where("purpose", "in", purposes)
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return row ? toEmailToken(row) : null;
}

/**
 * Marks the link used (forgetting a sign-up's password hash, which goes to the new account);
 * returns it as it was for exactly one caller, and only while it was usable.
 */
export async function consumeEmailToken(
  db: Db,
  digest: string,
  purposes: readonly EmailTokenPurpose[],
  now: Date,
): Promise<EmailToken | null> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom("email_tokens")
      .selectAll()
      .where("digest", "=", digest)
      .where("purpose", "in", purposes)
      .where("used_at", "is", null)
      .where("expires_at", ">", now)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return null;
    const taken = await tx
      .updateTable("email_tokens")
      .set({ used_at: now, password_hash: null })
      .where("digest", "=", digest)
      .where("used_at", "is", null)
      .executeTakeFirst();
    return Number(taken.numUpdatedRows) === 1 ? toEmailToken(row) : null;
  });
}
