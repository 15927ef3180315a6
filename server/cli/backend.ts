// Where the CLI's operations run. With DATABASE_URL: on Postgres directly, which is safe next
// to running servers (migrations and key rotation take database locks). In the embedded
// default PGlite allows one process only: the running server's admin API when a server holds
// DATA_DIR, otherwise the CLI takes DATA_DIR itself for the length of the command.

import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { OPERATION_NAMES } from "../operator/names.ts";
import type { Operations } from "../operator/operations.ts";
import {
  acquireDataDirLock,
  type DataDirLock,
  DataDirLockedError,
  readDataDirLock,
} from "../store/data-dir-lock.ts";
import type { KvStore } from "../store/kv/types.ts";
import { CliError } from "./command.ts";
import { remoteOperations } from "./remote.ts";

export interface Backend {
  ops: Operations;
  /** "admin-api" when a running server does the work. */
  kind: "postgres" | "pglite" | "admin-api";
  close(): Promise<void>;
}

export async function openBackend(config: Config, log: Logger): Promise<Backend> {
  if (config.databaseUrl !== null) return openDirect(config, log, null);

  const server = await publishedServer(config.dataDir);
  if (server) return server;
  let lock: DataDirLock;
  try {
    lock = await acquireDataDirLock(config.dataDir, "cli");
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    // The server may have published its address between the two looks.
    const published = await publishedServer(config.dataDir);
    if (published) return published;
    if (err.holder.role === "server") {
      throw new CliError(`${err.message}, which is still starting or runs with ADMIN_API=off`);
    }
    throw err;
  }
  try {
    return await openDirect(config, log, lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function publishedServer(dataDir: string): Promise<Backend | null> {
  const holder = await readDataDirLock(dataDir);
  if (holder?.role !== "server" || !holder.url || !holder.adminToken) return null;
  return {
    ops: remoteOperations(holder.url, holder.adminToken),
    kind: "admin-api",
    close: async () => {},
  };
}

/**
 * The store the servers use, for the operations that must reach their sessions. Redis is
 * shared. The in-process store is safe only when this process holds the data folder: then no
 * server runs, and no session is alive anywhere. With DATABASE_URL and no REDIS_URL each
 * server keeps its sessions in its own memory, out of reach.
 */
async function openServersStore(
  config: Config,
  log: Logger,
  kind: "postgres" | "pglite",
): Promise<KvStore> {
  const { openKvStore } = await import("../store/kv/index.ts");
  if (config.redisUrl === null && kind === "postgres") {
    throw new CliError(
      "ending sessions needs REDIS_URL next to DATABASE_URL: without it every server keeps its sessions in its own memory, out of the CLI's reach",
    );
  }
  return openKvStore(config, log);
}

// The database layers are loaded only here, so commands sent to a running server start fast.
async function openDirect(config: Config, log: Logger, lock: DataDirLock | null): Promise<Backend> {
  const [{ openDatabase }, { migrateToLatest }, { createOperations }, { loadKeyEncryptionKey }] =
    await Promise.all([
      import("../store/db/index.ts"),
      import("../store/db/migrate.ts"),
      import("../operator/operations.ts"),
      import("../keys/kek.ts"),
    ]);
  const { db, kind } = await openDatabase({ ...config, poolSize: 2 });
  let kek: Promise<Buffer> | undefined;
  let kv: Promise<KvStore> | undefined;
  const ops = createOperations({
    db,
    config,
    now: () => new Date(),
    log,
    kek: () => {
      kek ??= loadKeyEncryptionKey(config, log);
      return kek;
    },
    kv: () => {
      kv ??= openServersStore(config, log, kind);
      return kv;
    },
  });
  const close = async () => {
    // A store that failed to open has reported that already.
    await kv?.then(
      (store) => store.close(),
      () => {},
    );
    await db.destroy();
    await lock?.release();
  };
  if (kind === "postgres") return { ops, kind, close };

  // A fresh data folder has no tables until the server first starts; the CLI can be first.
  const migrated = Object.fromEntries(
    OPERATION_NAMES.map((name) => [
      name,
      name === "migrate"
        ? ops.migrate
        : async (input: never) => {
            await migrateToLatest(db);
            return ops[name](input);
          },
    ]),
  ) as unknown as Operations;
  return { ops: migrated, kind, close };
}
