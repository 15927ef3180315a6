// In-process caches of rows by id, for the clients and users that almost every request reads:
// the token, introspection and revocation endpoints authenticate a client on every request,
// userinfo and introspection check the token's user, and the authorization endpoint and its
// pages look both up on every step. A round trip to Postgres for each would dominate them.
//
// A cached row must never outlive a change: triggers on the clients and users tables
// (migration 20261250000000) send NOTIFY latchkey_clients / latchkey_users with the id of
// every updated or deleted row, and every instance drops that entry when it hears it, within
// milliseconds, whoever made the change (another instance, the CLI on Postgres, the admin
// API). While the listening connection is down, nothing is cached (an event could be
// missed), and when it comes back the cache starts empty. A load that was under way while
// its row changed is not cached. Entries also expire after a minute and a cache holds at most
// 10,000 rows, the oldest going first. Unknown ids are never cached, so a row created
// elsewhere is seen at once. Code that must read the very latest row (checking a password,
// changing one) reads the database itself.

import {
  AliasNode,
  DeleteQueryNode,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  TableNode,
  type UnknownRow,
  UpdateQueryNode,
} from "kysely";
import { type Client, findClientById } from "./clients.ts";
import type { Db } from "./index.ts";
import { findUserById, type User } from "./users.ts";

export const CLIENT_CHANGES_CHANNEL = "latchkey_clients";
export const USER_CHANGES_CHANNEL = "latchkey_users";
const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

export interface RowSource<T> {
  find(id: string): Promise<T | null>;
}
export type ClientSource = RowSource<Client>;
export type UserSource = RowSource<User>;

export interface RowCache<T> extends RowSource<T> {
  /** The row changed or is gone. */
  invalidate(id: string): void;
  /** Turns caching on (the change feed is up) or off (it is down: forget everything). */
  setLive(live: boolean): void;
  readonly size: number;
}
export type ClientCache = RowCache<Client>;

export function createClientCache(db: Db, now: () => number = Date.now): RowCache<Client> {
  return createRowCache((id) => findClientById(db, id), now);
}

export function createUserCache(db: Db, now: () => number = Date.now): RowCache<User> {
  return createRowCache((id) => findUserById(db, id), now);
}

function createRowCache<T>(
  load: (id: string) => Promise<T | null>,
  now: () => number,
): RowCache<T> {
  const entries = new Map<string, { row: T; expiresAt: number }>();
  // Bumped by every invalidation, so that a load that started before it is not cached.
  const generations = new Map<string, number>();
  let live = false;

  return {
    async find(id) {
      const cached = entries.get(id);
      if (cached && cached.expiresAt > now()) return cached.row;
      if (cached) entries.delete(id);
      if (!live) return load(id);
      const generation = generations.get(id) ?? 0;
      const row = await load(id);
      if (row !== null && live && (generations.get(id) ?? 0) === generation) {
        if (entries.size >= MAX_ENTRIES) {
          const oldest = entries.keys().next().value;
          if (oldest !== undefined) entries.delete(oldest);
        }
        entries.set(id, { row, expiresAt: now() + TTL_MS });
      }
      return row;
    },
    invalidate(id) {
      entries.delete(id);
      generations.set(id, (generations.get(id) ?? 0) + 1);
      // Generations matter only while a load is under way; keep the map from growing.
      if (generations.size > MAX_ENTRIES) generations.clear();
    },
    setLive(value) {
      live = value;
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}

/**
 * A Kysely plugin that reports the ids of clients and users this process updates or deletes
 * with RETURNING, as soon as the statement has run, so that its own caches drop them without
 * waiting for the NOTIFY (which still tells every other process, and covers any write this
 * does not see).
 */
export function localRowChanges(
  onChange: (table: "clients" | "users", id: string) => void,
): KyselyPlugin {
  const pending = new WeakMap<object, "clients" | "users">();
  return {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      const { node } = args;
      const table =
        UpdateQueryNode.is(node) && node.table !== undefined
          ? tableName(node.table)
          : DeleteQueryNode.is(node)
            ? tableName(node.from.froms[0])
            : null;
      if (table === "clients" || table === "users") pending.set(args.queryId, table);
      return node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      const table = pending.get(args.queryId);
      if (table !== undefined) {
        for (const row of args.result.rows) {
          if (typeof row.id === "string") onChange(table, row.id);
        }
      }
      return args.result;
    },
  };
}

function tableName(node: OperationNode | undefined): string | null {
  if (node === undefined) return null;
  if (TableNode.is(node)) return node.table.identifier.name;
  if (AliasNode.is(node)) return tableName(node.node);
  return null;
}
