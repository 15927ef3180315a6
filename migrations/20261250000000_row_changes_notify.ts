// Tells every server when a client or a user changes or is deleted, so that the rows they
// cache are dropped at once: NOTIFY latchkey_clients / latchkey_users with the row's id, sent
// when the transaction commits. Inserts need no notice: unknown ids are never cached.

import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ["clients", "users"]) {
    await sql
      .raw(`
      create function latchkey_${table}_changed() returns trigger language plpgsql as $$
      begin
        perform pg_notify('latchkey_${table}', old.id);
        return null;
      end
      $$`)
      .execute(db);
    await sql
      .raw(`
      create trigger ${table}_changed after update or delete on ${table}
      for each row execute function latchkey_${table}_changed()`)
      .execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["clients", "users"]) {
    await sql.raw(`drop trigger ${table}_changed on ${table}`).execute(db);
    await sql.raw(`drop function latchkey_${table}_changed()`).execute(db);
  }
}
