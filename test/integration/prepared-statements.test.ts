// Repeated queries reach Postgres as named prepared statements: from their second sighting,
// on the connection that sends them, exactly as Kysely compiles them. A column added while
// the server runs (a rolling upgrade's migration) makes Postgres refuse such a statement
// ("cached plan must not change result type"); the query is then answered unnamed, and the
// connection keeps sending that text unnamed. DATABASE_PREPARED_STATEMENTS=off names nothing.

import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, openDatabase } from "../../server/store/db/index.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/pg.ts";

let database: TestDatabase;
const opened: Db[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  await admin.query("create table items (id int primary key, label text not null)");
  await admin.query("insert into items values (1, 'one'), (2, 'two')");
  await admin.end();
});

afterAll(async () => {
  for (const db of opened) await db.destroy();
  await database?.drop();
});

/** One connection, so that pg_prepared_statements shows what the queries prepared. */
async function open(preparedStatements?: boolean): Promise<Db> {
  const { db } = await openDatabase({
    databaseUrl: database.url,
    dataDir: "/nonexistent",
    poolSize: 1,
    ...(preparedStatements === undefined ? {} : { preparedStatements }),
  });
  opened.push(db);
  return db;
}

// The table is not in the app's schema type, hence the untyped handle.
const untyped = (db: Db) => db as unknown as import("kysely").Kysely<Record<string, never>>;

async function prepared(db: Db): Promise<string[]> {
  const { rows } = await sql<{ statement: string }>`
    select statement from pg_prepared_statements order by prepare_time`.execute(db);
  return rows.map((row) => row.statement);
}

const byId = (db: Db, id: number) =>
  untyped(db)
    .selectFrom("items" as never)
    .selectAll()
    .where("id" as never, "=", id as never)
    .executeTakeFirst() as Promise<Record<string, unknown> | undefined>;

describe("named prepared statements", () => {
  it("names a query with parameters from its second run, and answers the same", async () => {
    const db = await open();
    expect(await byId(db, 1)).toEqual({ id: 1, label: "one" });
    expect(await prepared(db)).toEqual([]);
    expect(await byId(db, 2)).toEqual({ id: 2, label: "two" });
    expect(await prepared(db)).toEqual(['select * from "items" where "id" = $1']);
    expect(await byId(db, 1)).toEqual({ id: 1, label: "one" });
    expect(await byId(db, 3)).toBeUndefined();
    expect(await prepared(db)).toHaveLength(1);
    // Without parameters a text goes unnamed however often it runs.
    for (let i = 0; i < 3; i++) await sql`select count(*) from items`.execute(db);
    expect(await prepared(db)).toHaveLength(1);
  });

  it("answers again after a column is added under a prepared select *", async () => {
    const db = await open();
    const labelOf = (id: number) =>
      sql<{ id: number; label: string; note?: string }>`
        select * from items where id = ${id} and label is not null`.execute(db);
    await labelOf(1);
    await labelOf(2);
    expect(await prepared(db)).toHaveLength(1);

    await sql`alter table items add column note text`.execute(await open(false));
    // Outside a transaction the refused statement is answered unnamed, with the new column.
    expect((await labelOf(1)).rows).toEqual([{ id: 1, label: "one", note: null }]);
    expect((await labelOf(2)).rows).toEqual([{ id: 2, label: "two", note: null }]);

    // A second statement prepared before another change fails once inside a transaction
    // (Postgres refuses all else there after an error), then works outside one.
    const countOf = (label: string) => sql`select * from items where label = ${label}`.execute(db);
    await countOf("one");
    await countOf("two");
    await sql`alter table items add column extra int`.execute(await open(false));
    await expect(
      db.transaction().execute((tx) => sql`select * from items where label = ${"one"}`.execute(tx)),
    ).rejects.toMatchObject({ code: "0A000" });
    expect((await countOf("one")).rows).toEqual([{ id: 1, label: "one", note: null, extra: null }]);
  });

  it("names nothing when turned off", async () => {
    const db = await open(false);
    for (const id of [1, 2, 1, 2]) await byId(db, id);
    expect(await prepared(db)).toEqual([]);
  });
});
