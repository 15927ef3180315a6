// Queries on user_totp and recovery_codes: a user's authenticator secret (sealed) with its
// confirmation and last used time step, and the digests of the user's recovery codes.

import type { Db } from "./index.ts";

export interface StoredTotp {
  userId: string;
  secretSealed: string;
  confirmedAt: Date | null;
  lastUsedStep: number | null;
  createdAt: Date;
}

export async function findTotp(db: Db, userId: string): Promise<StoredTotp | null> {
  const row = await db
    .selectFrom("user_totp")
    .selectAll()
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row
    ? {
        userId: row.user_id,
        secretSealed: row.secret_sealed,
        confirmedAt: row.confirmed_at,
        lastUsedStep: row.last_used_step,
        createdAt: row.created_at,
      }
    : null;
}

/** Whether the user has a confirmed authenticator, i.e. must give a code at login. */
export async function hasConfirmedTotp(db: Db, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom("user_totp")
    .select("user_id")
    .where("user_id", "=", userId)
    .where("confirmed_at", "is not", null)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Stores a new, unconfirmed secret, replacing an unconfirmed one; a confirmed secret is kept
 * (false), so starting an enrolment can never switch off a working second factor.
 */
export async function upsertPendingTotp(
  db: Db,
  userId: string,
  secretSealed: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .insertInto("user_totp")
    .values({ user_id: userId, secret_sealed: secretSealed, created_at: now })
    .onConflict((conflict) =>
      conflict
        .column("user_id")
        .doUpdateSet({ secret_sealed: secretSealed, created_at: now, last_used_step: null })
        .where("user_totp.confirmed_at", "is", null),
    )
    .returning("user_id")
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Marks the time step used, and for a pending secret confirms it; false when that step or a
 * later one was used already (a replayed code), which the condition decides atomically.
 */
export async function useTotpStep(
  db: Db,
  userId: string,
  step: number,
  now: Date,
): Promise<boolean> {
  const row = await db
    .updateTable("user_totp")
    .set((eb) => ({
      last_used_step: step,
      confirmed_at: eb.fn.coalesce("confirmed_at", eb.val(now)),
    }))
    .where("user_id", "=", userId)
    .where((eb) => eb.or([eb("last_used_step", "is", null), eb("last_used_step", "<", step)]))
    .returning("user_id")
    .executeTakeFirst();
  return row !== undefined;
}

/** Stores a confirmed secret at once (operator enrolment), replacing whatever was there. */
export async function replaceTotp(
  db: Db,
  userId: string,
  secretSealed: string,
  now: Date,
): Promise<void> {
  await db
    .insertInto("user_totp")
    .values({ user_id: userId, secret_sealed: secretSealed, confirmed_at: now, created_at: now })
    .onConflict((conflict) =>
      conflict.column("user_id").doUpdateSet({
        secret_sealed: secretSealed,
        confirmed_at: now,
        created_at: now,
        last_used_step: null,
      }),
    )
    .execute();
}

/** Removes the secret and the recovery codes; true when there was a secret. */
export async function deleteTotp(db: Db, userId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
    const row = await trx
      .deleteFrom("user_totp")
      .where("user_id", "=", userId)
      .returning("user_id")
      .executeTakeFirst();
    return row !== undefined;
  });
}

/** Replaces all of the user's recovery codes with new ones. */
export async function replaceRecoveryCodes(
  db: Db,
  userId: string,
  digests: string[],
  now: Date,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
    await trx
      .insertInto("recovery_codes")
      .values(digests.map((digest) => ({ user_id: userId, digest, created_at: now })))
      .execute();
  });
}

/** Uses the code with this digest; true for exactly one caller, and only for an unused code. */
export async function useRecoveryCode(
  db: Db,
  userId: string,
  digest: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .updateTable("recovery_codes")
    .set({ used_at: now })
    .where("user_id", "=", userId)
    .where("digest", "=", digest)
    .where("used_at", "is", null)
    .returning("digest")
    .executeTakeFirst();
  return row !== undefined;
}

export async function countUnusedRecoveryCodes(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom("recovery_codes")
    .select((eb) => eb.fn.countAll<string | number>().as("count"))
    .where("user_id", "=", userId)
    .where("used_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
