// Maintenance and forced rotation against a shared Postgres database: what is stored, and
// that instances racing each other never extend the key chain twice.

import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../server/config.ts";
import { createKeyStore } from "../../server/keys/keystore.ts";
import { type KeyContext, listKeys, maintainKeys, rotateKeys } from "../../server/keys/rotation.ts";
import { silentLogger } from "../../server/log.ts";
import type { Db } from "../../server/store/db/index.ts";
import { keyTestConfig, manualClock, openMigratedPostgres } from "../helpers/keys.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/pg.ts";

const START = Date.UTC(2030, 0, 1);
const at = (seconds: number) => new Date(START + seconds * 1000);

describe("signing-key maintenance and rotation", () => {
  let database: TestDatabase;
  let config: Config;
  // Two pools stand for two instances; a third for the CLI.
  let instanceA: Db;
  let instanceB: Db;
  let cli: Db;
  const kek = randomBytes(32);
  const clock = manualClock(START);
  const ctx = (db: Db, overrides: Partial<KeyContext> = {}): KeyContext => ({
    db,
    kek,
    config,
    now: clock.now,
    ...overrides,
  });

  beforeAll(async () => {
    database = await createTestDatabase();
    config = keyTestConfig(database.url);
    instanceA = await openMigratedPostgres(database.url);
    instanceB = await openMigratedPostgres(database.url);
    cli = await openMigratedPostgres(database.url);
  });
  afterEach(async () => {
    await cli.deleteFrom("signing_keys").execute();
    clock.set(START);
  });
  afterAll(async () => {
    await Promise.all([instanceA.destroy(), instanceB.destroy(), cli.destroy()]);
    await database.drop();
  });

  it("creates the first key active at once, and only one when instances start together", async () => {
    const stores = await Promise.all(
      [instanceA, instanceB, instanceA, instanceB].map((db) =>
        createKeyStore({ db, kek, config, now: clock.now, log: silentLogger }),
      ),
    );
    try {
      const keys = await listKeys(cli, clock.now());
      expect(keys).toEqual([
        {
          kid: expect.any(String),
          alg: "RS256",
          state: "active",
          createdAt: at(0),
          activatesAt: at(0),
          retiresAt: null,
          expiresAt: null,
        },
      ]);
      for (const store of stores) expect(store.signingKey().kid).toBe(keys[0]!.kid);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it("schedules the successor a pre-publication before the period ends, and retires the key then", async () => {
    await maintainKeys(ctx(cli));
    clock.set(at(524));
    expect((await maintainKeys(ctx(cli))).created).toBeNull();
    clock.set(at(540));
    const { created } = await maintainKeys(ctx(cli));
    const [first, next] = await listKeys(cli, clock.now());
    expect(next).toMatchObject({
      kid: created,
      state: "next",
      createdAt: at(540),
      activatesAt: at(615),
      retiresAt: null,
    });
    expect(first).toMatchObject({ state: "active", retiresAt: at(615), expiresAt: at(930) });
    expect((await listKeys(cli, at(615))).map((k) => k.state)).toEqual(["retired", "active"]);
    expect((await listKeys(cli, at(930))).map((k) => k.kid)).toEqual([created]);

    clock.set(at(930));
    expect((await maintainKeys(ctx(cli))).deleted).toEqual([first!.kid]);
    expect(await listKeys(cli, at(0))).toHaveLength(1);
  });

  it("schedules exactly one successor when instances maintain in parallel", async () => {
    await maintainKeys(ctx(cli));
    clock.set(at(560));
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => maintainKeys(ctx(i % 2 === 0 ? instanceA : instanceB))),
    );
    expect(results.filter((r) => r.created !== null)).toHaveLength(1);
    const keys = await listKeys(cli, clock.now());
    expect(keys.map((k) => k.state)).toEqual(["active", "next"]);
  });

  it("schedules exactly one successor when keystores of two instances refresh in parallel", async () => {
    const a = await createKeyStore({
      db: instanceA,
      kek,
      config,
      now: clock.now,
      log: silentLogger,
    });
    const b = await createKeyStore({
      db: instanceB,
      kek,
      config,
      now: clock.now,
      log: silentLogger,
    });
    try {
      clock.set(at(580));
      await Promise.all([a.refresh(), b.refresh(), a.refresh(), b.refresh()]);
      await Promise.all([a.refresh(), b.refresh()]);
      expect((await listKeys(cli, clock.now())).map((k) => k.state)).toEqual(["active", "next"]);
      expect(a.jwks()).toEqual(b.jwks());
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("forces a rotation that still waits the full pre-publication before signing", async () => {
    await maintainKeys(ctx(cli));
    clock.set(at(100));
    const result = await rotateKeys(ctx(cli));
    expect(result.activatesAt).toEqual(at(175));
    expect(result.keys).toMatchObject([
      { state: "active", retiresAt: at(175), expiresAt: at(490) },
      { kid: result.kid, state: "next", createdAt: at(100), activatesAt: at(175) },
    ]);
  });

  it("brings a waiting successor forward instead of adding another, never postponing it", async () => {
    await maintainKeys(ctx(cli));
    clock.set(at(100));
    const first = await rotateKeys(ctx(cli));
    clock.set(at(120));
    const second = await rotateKeys(ctx(cli));
    expect(second.kid).toBe(first.kid);
    expect(second.activatesAt).toEqual(at(175));
    expect(second.keys).toHaveLength(2);
  });

  it("brings forward a successor scheduled under a longer pre-publication", async () => {
    const cautious = keyTestConfig(database.url, { JWKS_MAX_AGE: "300s" });
    await maintainKeys(ctx(cli, { config: cautious }));
    clock.set(at(285));
    const { created } = await maintainKeys(ctx(cli, { config: cautious }));
    expect((await listKeys(cli, clock.now()))[1]).toMatchObject({ activatesAt: at(600) });

    clock.set(at(385));
    const result = await rotateKeys(ctx(cli));
    expect(result).toMatchObject({ kid: created, activatesAt: at(385) });
    expect(result.keys).toMatchObject([
      { state: "retired", retiresAt: at(385), expiresAt: at(700) },
      { kid: created, state: "active", activatesAt: at(385) },
    ]);
  });

  it("creates exactly one successor when several rotations are forced at once", async () => {
    await maintainKeys(ctx(cli));
    clock.set(at(50));
    const results = await Promise.all(
      [instanceA, instanceB, cli, instanceA].map((db) => rotateKeys(ctx(db))),
    );
    expect(new Set(results.map((r) => r.kid)).size).toBe(1);
    expect((await listKeys(cli, clock.now())).map((k) => k.state)).toEqual(["active", "next"]);
  });

  it("creates the first key when a rotation is forced on an empty database", async () => {
    const result = await rotateKeys(ctx(cli));
    expect(result.activatesAt).toEqual(at(0));
    expect(result.keys).toMatchObject([{ kid: result.kid, state: "active" }]);
  });
});
