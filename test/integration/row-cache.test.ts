// The client cache against real Postgres and PGlite: a client is read once and then served
// from memory, and a change made by anyone else (another connection, another instance, the
// CLI) reaches the cache through the NOTIFY of the clients trigger within moments; while the
// listening connection is down nothing is cached, and it comes back by itself.

import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, rotateClientSecret } from "../../server/oauth/clients.ts";
import { deleteClientById } from "../../server/store/db/clients.ts";
import { type Db, type OpenedDatabase, openDatabase } from "../../server/store/db/index.ts";
import { migrateToLatest } from "../../server/store/db/migrate.ts";
import {
  CLIENT_CHANGES_CHANNEL,
  type ClientCache,
  createClientCache,
} from "../../server/store/db/row-cache.ts";
import { createTestDatabase, PG_ADMIN_URL, type TestDatabase } from "../helpers/pg.ts";
import { tempDir } from "../helpers/server-process.ts";

const REDIRECT_URI = "https://rp.example.com/callback";

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function newClient(db: Db) {
  return createClient(
    db,
    { name: "Cached", redirectUris: [REDIRECT_URI], scope: "openid" },
    new Date(),
  );
}

describe("on Postgres", () => {
  let database: TestDatabase;
  let opened: OpenedDatabase;
  let other: OpenedDatabase;
  let cache: ClientCache;
  let stop: () => Promise<void>;
  const live: boolean[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    opened = await openDatabase({ databaseUrl: database.url, dataDir: "" });
    // Another instance (or the CLI) with its own pool: its writes reach us only by NOTIFY.
    other = await openDatabase({ databaseUrl: database.url, dataDir: "" });
    await migrateToLatest(opened.db);
    cache = createClientCache(opened.db);
    stop = await (opened.listen ?? (() => Promise.reject(new Error("no listen"))))(
      { [CLIENT_CHANGES_CHANNEL]: (id) => cache.invalidate(id) },
      (value) => {
        live.push(value);
        cache.setLive(value);
      },
    );
  });

  afterAll(async () => {
    await stop?.();
    await opened?.db.destroy();
    await other?.db.destroy();
    await database?.drop();
  });

  it("serves a client from memory after the first read, and never caches an unknown id", async () => {
    const { client } = await newClient(other.db);
    expect(await cache.find("no-such-client")).toBeNull();
    expect(cache.size).toBe(0);
    expect((await cache.find(client.id))?.id).toBe(client.id);
    expect(cache.size).toBe(1);
  });

  it("drops a client changed or deleted by another connection at once", async () => {
    const { client } = await newClient(other.db);
    const before = await cache.find(client.id);
    const rotated = await rotateClientSecret(other.db, client.id, new Date());
    await until(
      async () => (await cache.find(client.id))?.secretDigest === rotated.client.secretDigest,
      "the rotated secret",
    );
    expect(before?.secretDigest).not.toBe(rotated.client.secretDigest);
    await deleteClientById(other.db, client.id);
    await until(async () => (await cache.find(client.id)) === null, "the deletion");
  });

  it("caches nothing while the listening connection is down, and listens again", async () => {
    const { client } = await newClient(other.db);
    await cache.find(client.id);
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'latchkey-listen' and datname = $1",
        [database.name],
      );
    } finally {
      await admin.end();
    }
    await until(async () => live.at(-1) === false, "the lost connection");
    expect(cache.size).toBe(0);
    expect((await cache.find(client.id))?.id).toBe(client.id);
    expect(cache.size).toBe(0);
    await until(async () => live.at(-1) === true, "listening again");
    await cache.find(client.id);
    expect(cache.size).toBe(1);
    // And changes reach it again.
    await deleteClientById(other.db, client.id);
    await until(async () => (await cache.find(client.id)) === null, "the deletion");
  });
});

describe("on PGlite", () => {
  it("drops a changed client through PGlite's own NOTIFY", async () => {
    const opened = await openDatabase({ databaseUrl: null, dataDir: await tempDir("pglite") });
    try {
      await migrateToLatest(opened.db);
      const cache = createClientCache(opened.db);
      const stop = await opened.listen?.(
        { [CLIENT_CHANGES_CHANNEL]: (id) => cache.invalidate(id) },
        (value) => cache.setLive(value),
      );
      const { client } = await newClient(opened.db);
      await cache.find(client.id);
      expect(cache.size).toBe(1);
      const rotated = await rotateClientSecret(opened.db, client.id, new Date());
      await until(
        async () => (await cache.find(client.id))?.secretDigest === rotated.client.secretDigest,
        "the rotated secret",
      );
      await stop?.();
    } finally {
      await opened.db.destroy();
    }
  });
});

describe("in the app", () => {
  it("drops a user or client the app itself changes before the statement's caller goes on", async () => {
    const { buildTestApp } = await import("../helpers/app.ts");
    const { createUser, lockUser } = await import("../../server/accounts/users.ts");
    const t = await buildTestApp();
    try {
      const { deps } = t.app;
      const user = await createUser(
        deps.db,
        { email: "cached@example.com", password: "correct horse battery staple" },
        new Date(),
      );
      expect((await deps.users.find(user.id))?.lockedAt).toBeNull();
      await lockUser(deps.db, user.email, new Date());
      // No wait: the plugin saw the UPDATE ... RETURNING of this process.
      expect((await deps.users.find(user.id))?.lockedAt).not.toBeNull();

      const { client } = await newClient(deps.db);
      await deps.clients.find(client.id);
      const rotated = await rotateClientSecret(deps.db, client.id, new Date());
      expect((await deps.clients.find(client.id))?.secretDigest).toBe(rotated.client.secretDigest);
      await deleteClientById(deps.db, client.id);
      expect(await deps.clients.find(client.id)).toBeNull();
    } finally {
      await t.close();
    }
  });
});
