// What refresh rotation needs beyond the first schema. A family remembers the RFC 8707
// resources and the `amr` of the login it came from, so that refreshed access and ID tokens
// keep their audience and authentication methods. A rotated token keeps its successor sealed
// under a key derived from the rotated token itself (never the plaintext), so that a duplicate
// presentation inside the reuse grace period can be answered with the same successor.

import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("refresh_families")
    .addColumn("resources", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("amr", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  await db.schema.alterTable("refresh_tokens").addColumn("successor_sealed", "text").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("refresh_tokens").dropColumn("successor_sealed").execute();
  await db.schema
    .alterTable("refresh_families")
    .dropColumn("resources")
    .dropColumn("amr")
    .execute();
}
