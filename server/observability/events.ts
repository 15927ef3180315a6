// Security-relevant events: each one becomes an audit_events row (who, what, when, from
// where) and a log line. Business code records them through recordEvent(); it never writes
// the audit table itself. Recording must not break the request that caused the event: a
// failed insert is logged and swallowed.

import type { Logger } from "../log.ts";
import { insertAuditEvent } from "../store/db/audit-events.ts";
import type { Db } from "../store/db/index.ts";

export const EVENT_TYPES = [
  "login.success",
  "login.failure",
  "account.locked",
  "account.unlocked",
  "password.changed",
  "second_factor.enabled",
  "second_factor.disabled",
  "recovery_codes.regenerated",
  "consent.granted",
  "consent.revoked",
  "token.revoked",
  "refresh.reuse_detected",
  "code.reuse_detected",
  "key.rotated",
  "client.created",
  "client.updated",
  "client.deleted",
  "client.secret_rotated",
  "user.created",
  "user.deleted",
  "user.logout",
  "user.logout_all",
  "signup.requested",
  "signup.existing_email",
  "user.signed_up",
  "email.verified",
  "password.reset_requested",
  "password.reset",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Where a request-driven event came from; absent for operator and background events. */
export interface EventOrigin {
  ip?: string | null;
  requestId?: string | null;
}

export interface SecurityEvent extends EventOrigin {
  type: EventType;
  /** Who acted: "operator", "system", a user id or a client id. */
  actor: string | null;
  userId?: string | null;
  clientId?: string | null;
  /** Never a secret, password, token or code. */
  details?: Record<string, unknown>;
}

export interface EventDeps {
  db: Db;
  log: Logger;
  now: () => Date;
}

export async function recordEvent(deps: EventDeps, event: SecurityEvent): Promise<void> {
  const { details, ...rest } = event;
  deps.log.info({ ...rest, details }, "security event");
  try {
    await insertAuditEvent(deps.db, { ...event, at: deps.now() });
  } catch (err) {
    deps.log.error({ err, event: event.type }, "could not write the audit event");
  }
}
