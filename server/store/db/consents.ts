// Queries on the consents table: one row per user and client holding every scope the user
// has granted that client. Rows are mapped to camelCase Consent objects here only.

import { sql } from "kysely";
import type { Db } from "./index.ts";
import { json } from "./index.ts";

export interface Consent {
  userId: string;
  clientId: string;
  scopes: string[];
  createdAt: Date;
  updatedAt: Date;
  lastUsedAt: Date | null;
}

export async function findConsent(
  db: Db,
  userId: string,
  clientId: string,
): Promise<Consent | null> {
  const row = await db
    .selectFrom("consents")
    .selectAll()
    .where("user_id", "=", userId)
    .where("client_id", "=", clientId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    userId: row.user_id,
    clientId: row.client_id,
    scopes: row.scopes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastUsedAt: row.last_used_at,
  };
}

/**
 * Adds scopes to the user's consent for the client, creating it if needed. The union is
 * computed in SQL so that two concurrent grants for different scopes both survive.
 */
export async function upsertConsentScopes(
  db: Db,
  userId: string,
  clientId: string,
  scopes: string[],
  now: Date,
): Promise<void> {
  await db
    .insertInto("consents")
    .values({
      user_id: userId,
      client_id: clientId,
      scopes: json(scopes),
      created_at: now,
      updated_at: now,
      last_used_at: now,
    })
    .onConflict((conflict) =>
      conflict.columns(["user_id", "client_id"]).doUpdateSet({
        scopes: sql<string>`(
          select coalesce(jsonb_agg(distinct s order by s), '[]'::jsonb)
          from jsonb_array_elements_text(consents.scopes || excluded.scopes) as s
        )`,
        updated_at: now,
        last_used_at: now,
      }),
    )
    .execute();
}

export async function touchConsent(
  db: Db,
  userId: string,
  clientId: string,
  now: Date,
): Promise<void> {
  // Written at most once a minute: the account page shows the last use to the minute, and an
  // update that changes no row costs no commit flush on the code flow's hot path.
  const recent = new Date(now.getTime() - CONSENT_TOUCH_INTERVAL_MS);
  await db
    .updateTable("consents")
    .set({ last_used_at: now })
    .where("user_id", "=", userId)
    .where("client_id", "=", clientId)
    .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", recent)]))
    .execute();
}

/** The last use of a consent is kept to the minute. */
export const CONSENT_TOUCH_INTERVAL_MS = 60_000;

/** A consent with the name of its client, as the user's account page lists it. */
export interface ConsentWithClient extends Consent {
  clientName: string;
}

/** The user's consents, most recently used first. */
export async function listConsentsOfUser(db: Db, userId: string): Promise<ConsentWithClient[]> {
  const rows = await db
    .selectFrom("consents as c")
    .innerJoin("clients as k", "k.id", "c.client_id")
    .selectAll("c")
    .select("k.name as client_name")
    .where("c.user_id", "=", userId)
    .orderBy(sql`coalesce(c.last_used_at, c.updated_at)`, "desc")
    .orderBy("k.name")
    .execute();
  return rows.map((row) => ({
    userId: row.user_id,
    clientId: row.client_id,
    clientName: row.client_name,
    scopes: row.scopes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastUsedAt: row.last_used_at,
  }));
}

/** Deletes the user's consent for the client; false when there was none. */
export async function deleteConsent(db: Db, userId: string, clientId: string): Promise<boolean> {
  const result = await db
    .deleteFrom("consents")
    .where("user_id", "=", userId)
    .where("client_id", "=", clientId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
