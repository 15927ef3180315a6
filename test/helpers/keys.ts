// Fixtures for signing-key tests: a controllable clock, a config with short key lifetimes
// (in seconds, so a test can walk through several rotations) and migrated databases.

import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { Kysely } from "kysely";
import { type Config, loadConfig } from "../../server/config.ts";
import { type Database, type Db, openDatabase } from "../../server/store/db/index.ts";
import { migrateToLatest } from "../../server/store/db/migrate.ts";
import { PGliteDialect } from "../../server/store/db/pglite-dialect.ts";

export interface ManualClock {
  now: () => Date;
  set(at: Date | number): void;
  advance(seconds: number): void;
}

export function manualClock(start = Date.UTC(2030, 0, 1)): ManualClock {
  let t = start;
  return {
    now: () => new Date(t),
    set: (at) => {
      t = typeof at === "number" ? at : at.getTime();
    },
    advance: (seconds) => {
      t += seconds * 1000;
    },
  };
}

/**
 * Pre-publication 60 + 10 + 5 = 75 s; retention max(120, 300) + 5 + 10 = 315 s; a key signs
 * for 600 s.
 */
export const SHORT_KEY_LIFETIMES = {
  KEY_ROTATION_INTERVAL: "600s",
  JWKS_MAX_AGE: "60s",
  KEY_REFRESH_INTERVAL: "10s",
  CLOCK_SKEW: "5s",
  ACCESS_TOKEN_TTL: "120s",
  ID_TOKEN_TTL: "300s",
};

export function keyTestConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig(
    {
      DATABASE_URL: databaseUrl,
      KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      ISSUER: "https://id.example.com",
      ...SHORT_KEY_LIFETIMES,
      ...env,
    },
    "/tmp",
  );
}

export async function openMigratedPostgres(databaseUrl: string): Promise<Db> {
  const { db } = await openDatabase({ databaseUrl, dataDir: "/nonexistent", poolSize: 4 });
  await migrateToLatest(db);
  return db;
}

export async function openMigratedMemoryPglite(): Promise<Db> {
  const db = new Kysely<Database>({ dialect: new PGliteDialect(await PGlite.create()) });
  await migrateToLatest(db);
  return db;
}
