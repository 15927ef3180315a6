// Queries on audit_events: the append-only trail of authentication and account events.

import { sql } from "kysely";
import type { Db } from "./index.ts";

export interface NewAuditEvent {
  /** What happened, dotted: e.g. "user.logout_all". */
  type: string;
  /** Who did it: "operator", or the user or client acting. */
  actor: string | null;
  userId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
  at: Date;
}

export async function insertAuditEvent(db: Db, event: NewAuditEvent): Promise<void> {
  await db
    .insertInto("audit_events")
    .values({
      at: event.at,
      type: event.type,
      actor: event.actor,
      user_id: event.userId ?? null,
      client_id: event.clientId ?? null,
      ip: event.ip ?? null,
      request_id: event.requestId ?? null,
      details: JSON.stringify(event.details ?? {}),
    })
    .execute();
}

export interface AuditEvent {
  id: string;
  at: Date;
  type: string;
  actor: string | null;
  userId: string | null;
  clientId: string | null;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

/** The newest `limit` events at or after `since` (of one type if given), oldest first. */
export async function listAuditEvents(
  db: Db,
  filter: { since: Date | null; type: string | null; limit: number },
): Promise<AuditEvent[]> {
  let query = db.selectFrom("audit_events").selectAll();
  if (filter.since !== null) query = query.where("at", ">=", filter.since);
  if (filter.type !== null) query = query.where("type", "=", filter.type);
  const rows = await query
    .orderBy("at", "desc")
    .orderBy("id", "desc")
    .limit(filter.limit)
    .execute();
  return rows.reverse().map((row) => ({
    id: String(row.id),
    at: new Date(row.at),
    type: row.type,
    actor: row.actor,
    userId: row.user_id,
    clientId: row.client_id,
    ip: row.ip,
    requestId: row.request_id,
    details: (typeof row.details === "string" ? JSON.parse(row.details) : row.details) as Record<
      string,
      unknown
    >,
  }));
}

/**
 * The access tokens revoked at the revocation endpoint at or after `since` (their jti, from
 * the token.revoked events), for the in-process store to deny again after a restart.
 */
export async function listAccessTokenRevocationsSince(
  db: Db,
  since: Date,
): Promise<Array<{ jti: string; at: Date }>> {
  const rows = await db
    .selectFrom("audit_events")
    .select(["at", sql<string | null>`details->>'jti'`.as("jti")])
    .where("at", ">=", since)
    .where("type", "=", "token.revoked")
    .where(sql<boolean>`details->>'token_type' = 'access_token'`)
    .execute();
  return rows.flatMap((row) => (row.jti ? [{ jti: row.jti, at: row.at }] : []));
}
