// The links of self-service accounts: sign-up confirmation, email verification and password
// reset. A link carries 256 random bits; only their SHA-256 digest is stored, with what the
// link is for, whose it is, the address it was sent to, and when it expires or was used. A
// link is taken once, by an update that only succeeds while it is unused and unexpired.
// A sign-up makes no account until its link is used (so that it reveals nothing about which
// addresses have one): its link has no user yet and keeps the chosen name and password hash.

import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("email_tokens")
    .addColumn("digest", "text", (c) => c.primaryKey())
    .addColumn("purpose", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.references("users.id").onDelete("cascade"))
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("name", "text")
    .addColumn("password_hash", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addColumn("used_at", "timestamptz")
    .execute();
  await db.schema
    .createIndex("email_tokens_user_purpose")
    .on("email_tokens")
    .columns(["user_id", "purpose"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("email_tokens").execute();
}
