// Queries on audit_events: the append-only trail of authentication and account events.

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
