// Queries on refresh_families and refresh_tokens. A family is one login grant (one redeemed
// authorization code); its tokens are stored only by digest. Revoking the family stops every
// token in it at once, which is how reuse detection and logout cut a grant off.

import type { Db } from "./index.ts";

export interface RefreshFamily {
  id: string;
  clientId: string;
  userId: string;
  /** The scope granted to the family, space-separated. */
  scope: string;
  authTime: Date;
  /** The login session (the ID token's `sid`) the grant came from. */
  sessionId: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
}

export type NewRefreshFamily = Omit<RefreshFamily, "lastUsedAt" | "revokedAt" | "revokedReason">;

export async function insertRefreshFamily(db: Db, family: NewRefreshFamily): Promise<void> {
  await db
    .insertInto("refresh_families")
    .values({
      id: family.id,
      client_id: family.clientId,
      user_id: family.userId,
      scope: family.scope,
      auth_time: family.authTime,
      session_id: family.sessionId,
      created_at: family.createdAt,
      last_used_at: family.createdAt,
      expires_at: family.expiresAt,
    })
    .execute();
}

export async function insertRefreshToken(
  db: Db,
  token: { digest: string; familyId: string; createdAt: Date },
): Promise<void> {
  await db
    .insertInto("refresh_tokens")
    .values({ digest: token.digest, family_id: token.familyId, created_at: token.createdAt })
    .execute();
}

export async function findRefreshFamilyById(db: Db, id: string): Promise<RefreshFamily | null> {
  const row = await db
    .selectFrom("refresh_families")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    clientId: row.client_id,
    userId: row.user_id,
    scope: row.scope,
    authTime: row.auth_time,
    sessionId: row.session_id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
  };
}

/** Revokes the family; false when it was already revoked (the first reason is kept) or is gone. */
export async function revokeRefreshFamily(
  db: Db,
  id: string,
  reason: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable("refresh_families")
    .set({ revoked_at: now, revoked_reason: reason })
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
