// Named prepared statements for the queries a server sends again and again. Kysely hands pg
// each query as text, which pg sends unnamed: Postgres parses, analyses and plans it anew on
// every call. For the refresh rotation that was half of Postgres's CPU per exchange (npm run
// bench: 1.07 against 0.57 ms for the lookup and the one-statement rotation). A statement
// sent under a name is parsed once per connection and its plan cached by Postgres.
//
// Only queries with parameters are named (pg sends those through the extended protocol
// anyway; a query without them may hold several statements, which only the simple protocol
// runs), and only from their second sighting, so that migrations and other one-off queries do
// not fill each connection's statement cache. At most STATEMENT_LIMIT texts are ever named.
//
// A schema change made while the server runs (a rolling upgrade's migration) can make Postgres
// refuse a statement it prepared before: "cached plan must not change result type" (0A000)
// for a `select *` whose table gained a column. That connection then sends the text unnamed
// from then on, and the query is retried once unnamed, which succeeds outside a transaction.

import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from "kysely";
import type pg from "pg";

/** Distinct query texts that get a name; later ones go unnamed. */
const STATEMENT_LIMIT = 200;
/** Texts seen once are remembered up to this many, then forgotten together. */
const SEEN_LIMIT = 1000;

/** Gives a repeated query text a stable name: the same text, the same name, everywhere. */
export class StatementNames {
  readonly #names = new Map<string, string>();
  readonly #seen = new Set<string>();

  /** The statement's name, or undefined while the text has been seen only once. */
  nameFor(text: string): string | undefined {
    const name = this.#names.get(text);
    if (name !== undefined || this.#names.size >= STATEMENT_LIMIT) return name;
    if (!this.#seen.has(text)) {
      if (this.#seen.size >= SEEN_LIMIT) this.#seen.clear();
      this.#seen.add(text);
      return undefined;
    }
    this.#seen.delete(text);
    const named = `latchkey_${this.#names.size + 1}`;
    this.#names.set(text, named);
    return named;
  }

  get size(): number {
    return this.#names.size;
  }
}

function isStalePlan(err: unknown): boolean {
  return (
    typeof err === "object" &&
    err !== null &&
    (err as { code?: unknown }).code === "0A000" &&
    /cached plan must not change result type/.test(String((err as Error).message))
  );
}

class PreparingClient implements PostgresPoolClient {
  readonly #client: pg.PoolClient;
  readonly #names: StatementNames;
  /** Names this connection's Postgres refuses since a schema change; sent unnamed instead. */
  readonly #stale = new Set<string>();

  constructor(client: pg.PoolClient, names: StatementNames) {
    this.#client = client;
    this.#names = names;
  }

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    textOrCursor: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    const client = this.#client as unknown as PostgresPoolClient;
    if (typeof textOrCursor !== "string") return client.query(textOrCursor);
    const values = parameters ?? [];
    const name = values.length > 0 ? this.#names.nameFor(textOrCursor) : undefined;
    if (name === undefined || this.#stale.has(name)) return client.query(textOrCursor, values);
    return this.#named<R>(name, textOrCursor, values);
  }

  async #named<R>(
    name: string,
    text: string,
    values: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> {
    try {
      return (await this.#client.query({ name, text, values: [...values] })) as never;
    } catch (err) {
      if (!isStalePlan(err)) throw err;
      this.#stale.add(name);
      // Inside a transaction Postgres refuses everything after the error (25P02): the
      // caller then sees the original error, and the transaction fails as it would have.
      try {
        return (await this.#client.query(text, [...values])) as never;
      } catch {
        throw err;
      }
    }
  }

  release(destroy?: boolean): void {
    this.#client.release(destroy);
  }
}

/** A pool for Kysely's PostgresDialect whose connections name repeated queries. */
export function preparingPool(pool: pg.Pool, names = new StatementNames()): PostgresPool {
  const clients = new WeakMap<pg.PoolClient, PreparingClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapped = clients.get(client);
      if (!wrapped) {
        wrapped = new PreparingClient(client, names);
        clients.set(client, wrapped);
      }
      return wrapped;
    },
    end: () => pool.end(),
  };
}
