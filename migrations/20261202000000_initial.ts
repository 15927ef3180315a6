// The first schema: users, clients, signing keys, consents, refresh-token families and their
// tokens, and the audit trail. Timestamps are timestamptz; lists are jsonb so that the same
// statements serve Postgres and PGlite. Tokens and secrets are stored only as digests.

import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("email", "text", (c) => c.notNull().unique())
    .addColumn("email_verified", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("name", "text")
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("locked_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("clients")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("secret_digest", "text")
    .addColumn("auth_method", "text", (c) => c.notNull())
    .addColumn("redirect_uris", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("post_logout_redirect_uris", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("grant_types", "jsonb", (c) => c.notNull())
    .addColumn("response_types", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("skip_consent", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("jwks", "jsonb")
    .addColumn("jwks_uri", "text")
    .addColumn("secret_updated_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("signing_keys")
    .addColumn("kid", "text", (c) => c.primaryKey())
    .addColumn("alg", "text", (c) => c.notNull())
    .addColumn("public_jwk", "jsonb", (c) => c.notNull())
    .addColumn("private_key", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("activates_at", "timestamptz", (c) => c.notNull())
    .addColumn("retires_at", "timestamptz")
    .addColumn("expires_at", "timestamptz")
    .execute();
  await db.schema
    .createIndex("signing_keys_activates_at")
    .on("signing_keys")
    .column("activates_at")
    .execute();

  await db.schema
    .createTable("consents")
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("client_id", "text", (c) => c.notNull().references("clients.id").onDelete("cascade"))
    .addColumn("scopes", "jsonb", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("last_used_at", "timestamptz")
    .addPrimaryKeyConstraint("consents_pkey", ["user_id", "client_id"])
    .execute();
  await db.schema.createIndex("consents_client_id").on("consents").column("client_id").execute();

  await db.schema
    .createTable("refresh_families")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("client_id", "text", (c) => c.notNull().references("clients.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("auth_time", "timestamptz", (c) => c.notNull())
    .addColumn("session_id", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("last_used_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addColumn("revoked_at", "timestamptz")
    .addColumn("revoked_reason", "text")
    .execute();
  await db.schema
    .createIndex("refresh_families_user_client")
    .on("refresh_families")
    .columns(["user_id", "client_id"])
    .execute();
  await db.schema
    .createIndex("refresh_families_client_id")
    .on("refresh_families")
    .column("client_id")
    .execute();

  await db.schema
    .createTable("refresh_tokens")
    .addColumn("digest", "text", (c) => c.primaryKey())
    .addColumn("family_id", "text", (c) =>
      c.notNull().references("refresh_families.id").onDelete("cascade"),
    )
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("rotated_at", "timestamptz")
    .addColumn("successor_digest", "text")
    .execute();
  await db.schema
    .createIndex("refresh_tokens_family_id")
    .on("refresh_tokens")
    .column("family_id")
    .execute();

  await db.schema
    .createTable("audit_events")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("actor", "text")
    .addColumn("user_id", "text")
    .addColumn("client_id", "text")
    .addColumn("ip", "text")
    .addColumn("request_id", "text")
    .addColumn("details", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex("audit_events_at").on("audit_events").column("at").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "audit_events",
    "refresh_tokens",
    "refresh_families",
    "consents",
    "signing_keys",
    "clients",
    "users",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
