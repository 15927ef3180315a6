// Queries on signing_keys. A key's life is written as timestamps (created_at = published,
// activates_at = signs from, retires_at = stops signing, expires_at = leaves the JWKS) so that
// every instance derives the same state from the same row at the same instant.

import { sql } from "kysely";
import type { Db } from "./index.ts";
import type { SigningKeyRow } from "./schema.ts";

export interface StoredSigningKey {
  kid: string;
  alg: string;
  publicJwk: Record<string, unknown>;
  /** The sealed private key (see server/keys/crypto.ts); never leaves the keys layer. */
  sealedPrivateKey: string;
  createdAt: Date;
  activatesAt: Date;
  retiresAt: Date | null;
  expiresAt: Date | null;
}

export interface SigningKeySchedule {
  activatesAt?: Date;
  retiresAt?: Date | null;
  expiresAt?: Date | null;
}

// Two-integer advisory lock keys live in a key space of their own, apart from the single
// bigint that Kysely's migrator locks.
const LOCK_CLASS = 0x4c4b; // "LK"
const LOCK_SIGNING_KEYS = 1;

function toSigningKey(row: SigningKeyRow): StoredSigningKey {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: row.public_jwk,
    sealedPrivateKey: row.private_key,
    createdAt: new Date(row.created_at),
    activatesAt: new Date(row.activates_at),
    retiresAt: row.retires_at === null ? null : new Date(row.retires_at),
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
  };
}

/** Every stored key, oldest activation first (the order they sign in). */
export async function listSigningKeys(db: Db): Promise<StoredSigningKey[]> {
  const rows = await db
    .selectFrom("signing_keys")
    .selectAll()
    .orderBy("activates_at")
    .orderBy("kid")
    .execute();
  return rows.map(toSigningKey);
}

export async function insertSigningKey(db: Db, key: StoredSigningKey): Promise<void> {
  await db
    .insertInto("signing_keys")
    .values({
      kid: key.kid,
      alg: key.alg,
      public_jwk: JSON.stringify(key.publicJwk),
      private_key: key.sealedPrivateKey,
      created_at: key.createdAt,
      activates_at: key.activatesAt,
      retires_at: key.retiresAt,
      expires_at: key.expiresAt,
    })
    .execute();
}

export async function rescheduleSigningKey(
  db: Db,
  kid: string,
  schedule: SigningKeySchedule,
): Promise<void> {
  await db
    .updateTable("signing_keys")
    .set({
      ...(schedule.activatesAt !== undefined && { activates_at: schedule.activatesAt }),
      ...(schedule.retiresAt !== undefined && { retires_at: schedule.retiresAt }),
      ...(schedule.expiresAt !== undefined && { expires_at: schedule.expiresAt }),
    })
    .where("kid", "=", kid)
    .execute();
}

/** Deletes the keys that have left the JWKS by `now`; returns their kids. */
export async function deleteExpiredSigningKeys(db: Db, now: Date): Promise<string[]> {
  const rows = await db
    .deleteFrom("signing_keys")
    .where("expires_at", "<=", now)
    .returning("kid")
    .execute();
  return rows.map((row) => row.kid);
}

/**
 * Takes the signing-key maintenance lock for the rest of the transaction `trx`. With
 * wait=false it returns false at once when another session holds it.
 */
export async function lockSigningKeys(trx: Db, wait: boolean): Promise<boolean> {
  if (wait) {
    await sql`select pg_advisory_xact_lock(${sql.lit(LOCK_CLASS)}, ${sql.lit(LOCK_SIGNING_KEYS)})`.execute(
      trx,
    );
    return true;
  }
  const { rows } = await sql<{
    locked: boolean;
  }>`select pg_try_advisory_xact_lock(${sql.lit(LOCK_CLASS)}, ${sql.lit(LOCK_SIGNING_KEYS)}) as locked`.execute(
    trx,
  );
  return rows[0]?.locked === true;
}
