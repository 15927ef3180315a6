// Migrations on an empty database, on Postgres and on PGlite, and instances racing to apply them.

import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, openDatabase } from "../../server/store/db/index.ts";
import { migrateToLatest } from "../../server/store/db/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/pg.ts";
import { tempDir } from "../helpers/server-process.ts";

const TABLES = [
  "audit_events",
  "clients",
  "consents",
  "refresh_families",
  "refresh_tokens",
  "signing_keys",
  "users",
];

async function tableNames(db: Db): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%'
    order by table_name`.execute(db);
  return rows.map((r) => r.table_name);
}

describe("migrations on Postgres", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it("are applied exactly once when five instances start together", async () => {
    const opened = await Promise.all(
      [1, 2, 3, 4, 5].map(() =>
        openDatabase({ databaseUrl: database.url, dataDir: "/nonexistent" }),
      ),
    );
    try {
      const applied = await Promise.all(opened.map(({ db }) => migrateToLatest(db)));
      const all = applied.flat();
      expect(all.length).toBeGreaterThan(0);
      expect(new Set(all).size).toBe(all.length);
      expect(applied.filter((a) => a.length > 0)).toHaveLength(1);
      expect(await tableNames(opened[0]!.db)).toEqual(expect.arrayContaining(TABLES));
      expect(await migrateToLatest(opened[0]!.db)).toEqual([]);
    } finally {
      await Promise.all(opened.map(({ db }) => db.destroy()));
    }
  });
});

describe("migrations on PGlite", () => {
  it("create the same tables in an empty data folder", async () => {
    const { db, kind } = await openDatabase({
      databaseUrl: null,
      dataDir: await tempDir("pglite"),
    });
    try {
      expect(kind).toBe("pglite");
      const applied = await migrateToLatest(db);
      expect(applied[0]).toMatch(/^\d{14}_initial$/);
      expect(await tableNames(db)).toEqual(expect.arrayContaining(TABLES));
      expect(await migrateToLatest(db)).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it("run a transaction's statements one client at a time", async () => {
    const { db } = await openDatabase({ databaseUrl: null, dataDir: await tempDir("pglite") });
    try {
      await migrateToLatest(db);
      const insert = (id: string) =>
        db.transaction().execute(async (trx) => {
          await trx
            .insertInto("users")
            .values({ id, email: `${id}@x`, password_hash: "h" })
            .execute();
          if (id.endsWith("bad")) throw new Error("rolled back");
        });
      const results = await Promise.allSettled([insert("a"), insert("b-bad"), insert("c")]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      const ids = await db.selectFrom("users").select("id").orderBy("id").execute();
      expect(ids.map((r) => r.id)).toEqual(["a", "c"]);
    } finally {
      await db.destroy();
    }
  });
});
