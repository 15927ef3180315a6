// `latchkey audit`: prints the audit trail (logins, lockouts, consents, revocations, reuse
// detections, key rotations, client and user changes), oldest first.

import type { AuditEventView } from "../operator/operations.ts";
import { stringValue, UsageError } from "./args.ts";
import type { Command } from "./command.ts";
import { formatTable } from "./output.ts";

function eventTable(events: AuditEventView[]): string {
  if (events.length === 0) return "No audit events.";
  return formatTable(
    ["TIME", "TYPE", "ACTOR", "USER", "CLIENT", "IP", "REQUEST ID", "DETAILS"],
    events.map((e) => [
      e.at,
      e.type,
      e.actor,
      e.user_id,
      e.client_id,
      e.ip,
      e.request_id,
      Object.keys(e.details).length === 0 ? null : JSON.stringify(e.details),
    ]),
  );
}

export const auditCommand: Command = {
  path: "audit",
  positionals: [],
  summary: "Print the audit trail, newest last.",
  description: [
    "Security events with their time, type, actor, user, client, IP address and request id.",
    "--since takes a duration back from now (90s, 15m, 12h, 30d) or an ISO 8601 date.",
  ].join("\n"),
  options: [
    { name: "since", value: "DURATION|DATE", help: "only events since then" },
    { name: "type", value: "TYPE", help: "only events of this type, e.g. login.failure" },
    { name: "limit", value: "N", help: "at most the N newest events (default 100)" },
  ],
  async run(args, ctx) {
    const since = stringValue(args, "since");
    const type = stringValue(args, "type");
    const limitText = stringValue(args, "limit");
    if (limitText !== undefined && !/^\d+$/.test(limitText)) {
      throw new UsageError(`--limit takes a whole number, not "${limitText}"`);
    }
    const events = await (await ctx.ops()).auditList({
      ...(since === undefined ? {} : { since }),
      ...(type === undefined ? {} : { type }),
      ...(limitText === undefined ? {} : { limit: Number(limitText) }),
    });
    return { json: events, text: eventTable(events) };
  },
};
