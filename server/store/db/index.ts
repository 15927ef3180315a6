// Opens the one Kysely instance of a process: Postgres through pg when a connection string is
// given, otherwise PGlite in the data folder. Both speak Postgres, so the same queries and
// migrations serve both.

import fs from "node:fs/promises";
import path from "node:path";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { PGliteDialect } from "./pglite-dialect.ts";
import type { Database } from "./schema.ts";

export type Db = Kysely<Database>;
export type { Database } from "./schema.ts";

export interface DatabaseOptions {
  databaseUrl: string | null;
  dataDir: string;
  /** Pool size for Postgres. */
  poolSize?: number;
}

export interface OpenedDatabase {
  db: Db;
  kind: "postgres" | "pglite";
}

// Timestamps come back as Date from both drivers; bigint (audit ids) stays a string.
export async function openDatabase(options: DatabaseOptions): Promise<OpenedDatabase> {
  if (options.databaseUrl !== null) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      application_name: "latchkey",
    });
    // An idle connection that Postgres closes (restart, failover, pg_terminate_backend) is
    // reported here after the pool has already dropped it; the next query opens a new one.
    // Without a listener, node would treat the event as an uncaught error and exit.
    pool.on("error", () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: "postgres" };
  }
  // Loaded on demand: the WebAssembly build is large and Postgres deployments never need it.
  const { PGlite } = await import("@electric-sql/pglite");
  const dir = path.join(options.dataDir, "pglite");
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const pglite = await PGlite.create(dir);
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, kind: "pglite" };
}

/** Serialises a value for a jsonb column. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}

export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
