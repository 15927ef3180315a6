// Which origins count as a client's for CORS, on Postgres and on the embedded PGlite: the
// scheme://host[:port] of each registered redirect URI, up to its path or query, without
// case; a longer host, another port or scheme, and a changed or deleted client do not count.

import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../server/oauth/clients.ts";
import { anyClientRedirectsToOrigin, deleteClientById } from "../../server/store/db/clients.ts";
import { type Db, openDatabase } from "../../server/store/db/index.ts";
import { migrateToLatest } from "../../server/store/db/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/pg.ts";
import { tempDir } from "../helpers/server-process.ts";

const REDIRECT_URIS = [
  "https://App.Example/callback",
  "https://spa.example:8443?from=login",
  "http://127.0.0.1:5173",
];

function originsOf(label: string, open: () => Promise<{ db: Db; close(): Promise<void> }>) {
  describe(label, () => {
    let db: Db;
    let close: () => Promise<void>;
    let clientId: string;

    beforeAll(async () => {
      ({ db, close } = await open());
      await migrateToLatest(db);
      const { client } = await createClient(
        db,
        { name: "Origins", redirectUris: REDIRECT_URIS, scope: "openid" },
        new Date(),
      );
      clientId = client.id;
    }, 60_000);

    afterAll(async () => {
      await close?.();
    });

    it("counts the origin of each registered redirect URI", async () => {
      for (const origin of [
        "https://app.example",
        "https://spa.example:8443",
        "http://127.0.0.1:5173",
      ]) {
        expect(await anyClientRedirectsToOrigin(db, origin), origin).toBe(true);
      }
    });

    it("does not count a longer host, another port or scheme, or a bare host", async () => {
      for (const origin of [
        "https://app.example.evil.com",
        "https://app.exampl",
        "https://spa.example",
        "http://app.example",
        "http://127.0.0.1",
      ]) {
        expect(await anyClientRedirectsToOrigin(db, origin), origin).toBe(false);
      }
    });

    it("follows a changed and a deleted client", async () => {
      await sql`update clients set redirect_uris = ${JSON.stringify(["https://moved.example/cb"])}::jsonb
        where id = ${clientId}`.execute(db);
      expect(await anyClientRedirectsToOrigin(db, "https://app.example")).toBe(false);
      expect(await anyClientRedirectsToOrigin(db, "https://moved.example")).toBe(true);
      await deleteClientById(db, clientId);
      expect(await anyClientRedirectsToOrigin(db, "https://moved.example")).toBe(false);
    });
  });
}

let database: TestDatabase;
originsOf("on Postgres", async () => {
  database = await createTestDatabase();
  const { db } = await openDatabase({ databaseUrl: database.url, dataDir: "/nonexistent" });
  return {
    db,
    close: async () => {
      await db.destroy();
      await database.drop();
    },
  };
});

originsOf("on PGlite", async () => {
  const { db } = await openDatabase({ databaseUrl: null, dataDir: await tempDir("origins") });
  return { db, close: () => db.destroy() };
});
