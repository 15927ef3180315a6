// Listening Latchkeys on the real services: one or more processes sharing their own Postgres
// database, their own Redis prefix and key-encryption key, and fixtures on the same database.

import { randomBytes } from "node:crypto";
import { type Fixtures, fixtures } from "./fixtures.ts";
import { createTestDatabase } from "./pg.ts";
import { deleteKeysWithPrefix, REDIS_URL, uniquePrefix } from "./redis.ts";
import { freePort, type ServerProcess, startServer, tempDir } from "./server-process.ts";

export interface ServersOnServices {
  servers: ServerProcess[];
  /** The issuer all of them share (http://localhost:PORT of the first), for discovery. */
  issuer: string;
  databaseUrl: string;
  /** The environment every process was started with, less PORT and DATA_DIR. */
  env: Record<string, string>;
  data: Fixtures;
  close(): Promise<void>;
}

export interface ServerOnServices extends Omit<ServersOnServices, "servers"> {
  server: ServerProcess;
}

/**
 * Starts `count` processes together on one database, Redis prefix and key-encryption key, as
 * instances behind a load balancer: they share the issuer, which is the first one's URL.
 */
export async function startServersOnServices(
  count: number,
  env: Record<string, string> = {},
): Promise<ServersOnServices> {
  const database = await createTestDatabase();
  const prefix = uniquePrefix();
  const firstPort = await freePort();
  const shared: Record<string, string> = {
    DATABASE_URL: database.url,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    ISSUER: `http://localhost:${firstPort}`,
    // startServer() waits for the "latchkey ready" line, which is logged at info.
    LOG_LEVEL: "info",
    ...env,
  };
  const started = await Promise.allSettled(
    Array.from({ length: count }, async (_, index) =>
      startServer({
        ...shared,
        DATA_DIR: await tempDir("unused-data"),
        ...(index === 0 ? { PORT: String(firstPort) } : {}),
      }),
    ),
  );
  const servers = started.flatMap((result) =>
    result.status === "fulfilled" ? [result.value] : [],
  );
  const failed = started.find((result) => result.status === "rejected");
  if (failed) {
    await Promise.all(servers.map((server) => server.stop()));
    await database.drop();
    throw failed.reason;
  }
  const data = await fixtures(database.url);
  return {
    servers,
    issuer: shared.ISSUER as string,
    databaseUrl: database.url,
    env: shared,
    data,
    close: async () => {
      await Promise.all(servers.map((server) => server.stop()));
      await data.close();
      await database.drop();
      await deleteKeysWithPrefix(prefix);
    },
  };
}

export async function startServerOnServices(
  env: Record<string, string> = {},
): Promise<ServerOnServices> {
  const { servers, ...rest } = await startServersOnServices(1, env);
  return { ...rest, server: servers[0] as ServerProcess };
}
