// What Dynamic Client Registration (RFC 7591, RFC 7592) needs beyond the first schema: the
// descriptive metadata a client registers about itself (shown to people, never trusted for
// anything else), and the digest of the registration access token that lets a client manage
// its own registration. Clients made by the operator have no such token, so they cannot be
// managed over the registration endpoint.

import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("clients")
    .addColumn("client_uri", "text")
    .addColumn("logo_uri", "text")
    .addColumn("policy_uri", "text")
    .addColumn("tos_uri", "text")
    .addColumn("contacts", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("registration_token_digest", "text")
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("clients")
    .dropColumn("client_uri")
    .dropColumn("logo_uri")
    .dropColumn("policy_uri")
    .dropColumn("tos_uri")
    .dropColumn("contacts")
    .dropColumn("registration_token_digest")
    .execute();
}
