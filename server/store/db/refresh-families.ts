// Queries on refresh_families and refresh_tokens. A family is one login grant (one redeemed
// authorization code); its tokens are stored only by digest. Revoking the family stops every
// token in it at once, which is how reuse detection and logout cut a grant off.

import { type Selectable, sql } from "kysely";
import type { Db } from "./index.ts";
import type { Database } from "./schema.ts";

export interface RefreshFamily {
  id: string;
  clientId: string;
  userId: string;
  /** The scope granted to the family, space-separated. */
  scope: string;
  /** RFC 8707 resources the grant was authorized for; empty means the default audience. */
  resources: string[];
  /** Authentication methods of the login (the ID token's `amr`). */
  amr: string[];
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

/** One refresh token of a family, as stored: its digest, never its value. */
export interface RefreshTokenRecord {
  digest: string;
  familyId: string;
  createdAt: Date;
  rotatedAt: Date | null;
  successorDigest: string | null;
  /** The successor token sealed under a key only the rotated token's holder can derive. */
  successorSealed: string | null;
}

function toRefreshFamily(row: Selectable<Database["refresh_families"]>): RefreshFamily {
  return {
    id: row.id,
    clientId: row.client_id,
    userId: row.user_id,
    scope: row.scope,
    resources: row.resources,
    amr: row.amr,
    authTime: row.auth_time,
    sessionId: row.session_id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
  };
}

function toRefreshToken(row: Selectable<Database["refresh_tokens"]>): RefreshTokenRecord {
  return {
    digest: row.digest,
    familyId: row.family_id,
    createdAt: row.created_at,
    rotatedAt: row.rotated_at,
    successorDigest: row.successor_digest,
    successorSealed: row.successor_sealed,
  };
}

/**
 * Inserts the family and its first token in one statement (one round trip, atomic without an
 * explicit transaction): the authorization code grant's only write to Postgres.
 */
export async function insertRefreshFamilyWithToken(
  db: Db,
  family: NewRefreshFamily,
  token: { digest: string },
): Promise<void> {
  await db
    .with("family", (w) => w.insertInto("refresh_families").values(familyValues(family)))
    .insertInto("refresh_tokens")
    .values({ digest: token.digest, family_id: family.id, created_at: family.createdAt })
    .execute();
}

function familyValues(family: NewRefreshFamily) {
  return {
    id: family.id,
    client_id: family.clientId,
    user_id: family.userId,
    scope: family.scope,
    resources: JSON.stringify(family.resources),
    amr: JSON.stringify(family.amr),
    auth_time: family.authTime,
    session_id: family.sessionId,
    created_at: family.createdAt,
    last_used_at: family.createdAt,
    expires_at: family.expiresAt,
  };
}

export async function findRefreshFamilyById(db: Db, id: string): Promise<RefreshFamily | null> {
  const row = await db
    .selectFrom("refresh_families")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toRefreshFamily(row) : null;
}

export async function findRefreshTokenByDigest(
  db: Db,
  digest: string,
): Promise<RefreshTokenRecord | null> {
  const row = await db
    .selectFrom("refresh_tokens")
    .selectAll()
    .where("digest", "=", digest)
    .executeTakeFirst();
  return row ? toRefreshToken(row) : null;
}

// A token's columns next to its family's, renamed so that they do not clash.
const TOKEN_COLUMNS = [
  "t.digest as t_digest",
  "t.created_at as t_created_at",
  "t.rotated_at as t_rotated_at",
  "t.successor_digest as t_successor_digest",
  "t.successor_sealed as t_successor_sealed",
] as const;

function toTokenWithFamily(
  row: Selectable<Database["refresh_families"]> & {
    t_digest: string;
    t_created_at: Date;
    t_rotated_at: Date | null;
    t_successor_digest: string | null;
    t_successor_sealed: string | null;
  },
): { token: RefreshTokenRecord; family: RefreshFamily } {
  return {
    token: {
      digest: row.t_digest,
      familyId: row.id,
      createdAt: row.t_created_at,
      rotatedAt: row.t_rotated_at,
      successorDigest: row.t_successor_digest,
      successorSealed: row.t_successor_sealed,
    },
    family: toRefreshFamily(row),
  };
}

/** A token and its family in one round trip, without locking (reads, introspection). */
export async function findRefreshTokenWithFamily(
  db: Db,
  digest: string,
): Promise<{ token: RefreshTokenRecord; family: RefreshFamily } | null> {
  const row = await db
    .selectFrom("refresh_tokens as t")
    .innerJoin("refresh_families as f", "f.id", "t.family_id")
    .selectAll("f")
    .select(TOKEN_COLUMNS)
    .where("t.digest", "=", digest)
    .executeTakeFirst();
  return row ? toTokenWithFamily(row) : null;
}

/**
 * Locks the family of the token with this digest and the token's row (`select … for update
 * of f, t`) until the transaction ends, and returns both. Rotations within one family run
 * one after the other; a rotation that committed while this waited is seen, since Postgres
 * re-reads the latest version of every row it locks (READ COMMITTED, EvalPlanQual).
 */
export async function lockFamilyAndToken(
  db: Db,
  digest: string,
): Promise<{ family: RefreshFamily; token: RefreshTokenRecord } | null> {
  const row = await db
    .selectFrom("refresh_families as f")
    .innerJoin("refresh_tokens as t", "t.family_id", "f.id")
    .selectAll("f")
    .select(TOKEN_COLUMNS)
    .where("t.digest", "=", digest)
    .forUpdate(["f", "t"])
    .executeTakeFirst();
  return row ? toTokenWithFamily(row) : null;
}

/**
 * One whole rotation of a live token in a single statement (autocommit, one round trip): it
 * locks the family and the token (`for update of f, t`) only if the token is still live and
 * the family neither revoked nor past its absolute or idle deadline, then inserts the
 * successor, retires the token and touches the family. A concurrent rotation or revocation
 * that committed while this waited for the locks is seen (Postgres re-checks locked rows
 * against their latest version), and then nothing is written. True when it rotated.
 */
export async function rotateLiveRefreshToken(
  db: Db,
  rotation: {
    digest: string;
    successorDigest: string;
    successorSealed: string | null;
    at: Date;
    /** Families last used at or before this instant are idle. */
    idleBefore: Date;
  },
): Promise<boolean> {
  const { rows } = await sql<{ digest: string }>`
    with locked as (
      select f.id
      from refresh_families as f
      inner join refresh_tokens as t on t.family_id = f.id
      where t.digest = ${rotation.digest}
        and t.rotated_at is null
        and f.revoked_at is null
        and f.expires_at > ${rotation.at}
        and f.last_used_at > ${rotation.idleBefore}
      for update of f, t
    ),
    inserted as (
      insert into refresh_tokens (digest, family_id, created_at)
      select ${rotation.successorDigest}, id, ${rotation.at} from locked
    ),
    touched as (
      update refresh_families set last_used_at = ${rotation.at}
      where id in (select id from locked)
    )
    update refresh_tokens
    set rotated_at = ${rotation.at},
        successor_digest = ${rotation.successorDigest},
        successor_sealed = ${rotation.successorSealed}
    where digest = ${rotation.digest} and exists (select 1 from locked)
    returning digest`.execute(db);
  return rows.length > 0;
}

/**
 * The writes of one rotation in one statement: the successor is inserted, the presented token
 * retired in its favour (only if still live) and the family touched. False when the presented
 * token was no longer live; the caller then rolls the transaction back.
 */
export async function rotateRefreshTokenRows(
  db: Db,
  rotation: {
    digest: string;
    familyId: string;
    successorDigest: string;
    successorSealed: string | null;
    at: Date;
  },
): Promise<boolean> {
  const row = await db
    .with("inserted", (w) =>
      w.insertInto("refresh_tokens").values({
        digest: rotation.successorDigest,
        family_id: rotation.familyId,
        created_at: rotation.at,
      }),
    )
    .with("touched", (w) =>
      w
        .updateTable("refresh_families")
        .set({ last_used_at: rotation.at })
        .where("id", "=", rotation.familyId),
    )
    .with("rotated", (w) =>
      w
        .updateTable("refresh_tokens")
        .set({
          rotated_at: rotation.at,
          successor_digest: rotation.successorDigest,
          successor_sealed: rotation.successorSealed,
        })
        .where("digest", "=", rotation.digest)
        .where("rotated_at", "is", null)
        .returning("digest"),
    )
    .selectFrom("rotated")
    .select("digest")
    .executeTakeFirst();
  return row !== undefined;
}

export async function touchRefreshFamily(db: Db, id: string, now: Date): Promise<void> {
  await db
    .updateTable("refresh_families")
    .set({ last_used_at: now })
    .where("id", "=", id)
    .execute();
}

/**
 * Ids of the user's families that are not revoked, optionally only those of one login
 * session or one client: what logout and "log out everywhere" revoke. Families past their
 * expiry are included, since access tokens issued from them may still be alive.
 */
export async function listActiveFamilyIds(
  db: Db,
  filter: { userId: string; sessionId?: string; clientId?: string },
): Promise<string[]> {
  let query = db
    .selectFrom("refresh_families")
    .select("id")
    .where("user_id", "=", filter.userId)
    .where("revoked_at", "is", null);
  if (filter.sessionId !== undefined) query = query.where("session_id", "=", filter.sessionId);
  if (filter.clientId !== undefined) query = query.where("client_id", "=", filter.clientId);
  const rows = await query.orderBy("created_at").execute();
  return rows.map((row) => row.id);
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

/**
 * Families revoked at or after `since`, with when and why: what an in-process store, which
 * starts empty, needs to put their revocation marks back.
 */
export async function listFamiliesRevokedSince(
  db: Db,
  since: Date,
): Promise<Array<{ id: string; revokedAt: Date; reason: string }>> {
  const rows = await db
    .selectFrom("refresh_families")
    .select(["id", "revoked_at", "revoked_reason"])
    .where("revoked_at", ">=", since)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    revokedAt: row.revoked_at ?? since,
    reason: row.revoked_reason ?? "revoked",
  }));
}
