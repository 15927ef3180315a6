// Opens the one Kysely instance of a process: Postgres through pg when a connection string is
// given, otherwise PGlite in the data folder. Both speak Postgres, so the same queries and
// migrations serve both.

import fs from "node:fs/promises";
import path from "node:path";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { PGliteDialect } from "./pglite-dialect.ts";
import { preparingPool } from "./prepared-statements.ts";
import type { Database } from "./schema.ts";

export type Db = Kysely<Database>;
export type { Database } from "./schema.ts";

export interface DatabaseOptions {
  databaseUrl: string | null;
  dataDir: string;
  /** Pool size for Postgres. */
  poolSize?: number;
  /**
   * Send repeated queries as named prepared statements (prepared-statements.ts); default
   * true. Off for a transaction-mode pooler that does not track them.
   */
  preparedStatements?: boolean;
}

export interface OpenedDatabase {
  db: Db;
  kind: "postgres" | "pglite";
  /**
   * Calls the channel's handler with the payload of each NOTIFY on it, and onLive(true) once
   * listening, onLive(false) whenever the listening connection is lost (events may then be
   * missed) until it is back. Returns the function that stops listening.
   */
  listen?: (
    handlers: Record<string, (payload: string) => void>,
    onLive: (live: boolean) => void,
  ) => Promise<() => Promise<void>>;
}

const RELISTEN_DELAY_MS = 1000;

/** LISTEN on a dedicated connection of its own, opened again whenever it is lost. */
function postgresListener(connectionString: string): NonNullable<OpenedDatabase["listen"]> {
  return async (handlers, onLive) => {
    let stopped = false;
    let client: pg.Client | null = null;
    let retry: NodeJS.Timeout | null = null;
    const connect = async (): Promise<void> => {
      const next = new pg.Client({ connectionString, application_name: "latchkey-listen" });
      const lost = () => {
        if (client !== next) return;
        client = null;
        onLive(false);
        next.end().catch(() => {});
        if (!stopped) retry = setTimeout(() => void connect().catch(() => {}), RELISTEN_DELAY_MS);
      };
      next.on("error", lost);
      next.on("end", lost);
      next.on("notification", (message) => {
        handlers[message.channel]?.(message.payload ?? "");
      });
      client = next;
      try {
        await next.connect();
        for (const channel of Object.keys(handlers)) {
          await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
        }
      } catch (err) {
        lost();
        throw err;
      }
      if (client === next) onLive(true);
    };
    await connect().catch(() => {});
    return async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      const last = client;
      client = null;
      onLive(false);
      await last?.end().catch(() => {});
    };
  };
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
    const dialect = new PostgresDialect({
      pool: options.preparedStatements === false ? pool : preparingPool(pool),
    });
    const db = new Kysely<Database>({ dialect });
    return { db, kind: "postgres", listen: postgresListener(options.databaseUrl) };
  }
  // Loaded on demand: the WebAssembly build is large and Postgres deployments never need it.
  const { PGlite } = await import("@electric-sql/pglite");
  const dir = path.join(options.dataDir, "pglite");
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const pglite = await PGlite.create(dir);
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  const listen: OpenedDatabase["listen"] = async (handlers, onLive) => {
    const unlisten = await Promise.all(
      Object.entries(handlers).map(([channel, handler]) => pglite.listen(channel, handler)),
    );
    onLive(true);
    return async () => {
      onLive(false);
      for (const stop of unlisten) await stop();
    };
  };
  return { db, kind: "pglite", listen };
}

/** Serialises a value for a jsonb column. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}

export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
