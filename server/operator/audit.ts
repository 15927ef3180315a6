// The auditList operation (`latchkey audit`): the audit trail, filtered by age and type,
// oldest first. --since takes a duration back from now (90s, 15m, 12h, 30d) or an ISO 8601
// date; the operation parses it so the CLI and the admin API accept the same values.

import { parseDuration } from "../config.ts";
import { invalidRequest } from "../errors.ts";
import { EVENT_TYPES } from "../observability/events.ts";
import { listAuditEvents } from "../store/db/audit-events.ts";
import type { Db } from "../store/db/index.ts";

export const AUDIT_DEFAULT_LIMIT = 100;
export const AUDIT_MAX_LIMIT = 10000;

export interface AuditListInput {
  since?: string;
  type?: string;
  limit?: number;
}

export interface AuditEventView {
  at: string;
  type: string;
  actor: string | null;
  user_id: string | null;
  client_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

/** A duration back from `now`, or an ISO 8601 date. */
export function parseSince(text: string, now: Date): Date {
  const seconds = parseDuration(text);
  if (seconds !== null) return new Date(now.getTime() - seconds * 1000);
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw invalidRequest(
    `"${text.slice(0, 100)}" is neither a duration like 15m, 12h or 30d nor an ISO 8601 date.`,
  );
}

export async function auditList(
  db: Db,
  input: AuditListInput,
  now: Date,
): Promise<AuditEventView[]> {
  const type = input.type ?? null;
  if (type !== null && !(EVENT_TYPES as readonly string[]).includes(type)) {
    throw invalidRequest(`"${type.slice(0, 100)}" is not one of ${EVENT_TYPES.join(", ")}.`);
  }
  const limit = input.limit ?? AUDIT_DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_MAX_LIMIT) {
    throw invalidRequest(`The limit must be a whole number from 1 to ${AUDIT_MAX_LIMIT}.`);
  }
  const since = input.since === undefined ? null : parseSince(input.since, now);
  const events = await listAuditEvents(db, { since, type, limit });
  return events.map((event) => ({
    at: event.at.toISOString(),
    type: event.type,
    actor: event.actor,
    user_id: event.userId,
    client_id: event.clientId,
    ip: event.ip,
    request_id: event.requestId,
    details: event.details,
  }));
}
