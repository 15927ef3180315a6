// A listening Latchkey on the real services: its own Postgres database, its own Redis
// prefix and key-encryption key, and fixtures on the same database.

import { randomBytes } from "node:crypto";
import { type Fixtures, fixtures } from "./fixtures.ts";
import { createTestDatabase } from "./pg.ts";
import { deleteKeysWithPrefix, REDIS_URL, uniquePrefix } from "./redis.ts";
import { type ServerProcess, startServer, tempDir } from "./server-process.ts";

export interface ServerOnServices {
  server: ServerProcess;
  /** The issuer (http://localhost:PORT), which clients must use for discovery. */
  issuer: string;
  databaseUrl: string;
  data: Fixtures;
  close(): Promise<void>;
}

export async function startServerOnServices(
  env: Record<string, string> = {},
): Promise<ServerOnServices> {
  const database = await createTestDatabase();
  const prefix = uniquePrefix();
  let server: ServerProcess | undefined;
  try {
    server = await startServer({
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      DATA_DIR: await tempDir("unused-data"),
      // startServer() waits for the "latchkey ready" line, which is logged at info.
      LOG_LEVEL: "info",
      ...env,
    });
    const data = await fixtures(database.url);
    const running = server;
    return {
      server: running,
      issuer: `http://localhost:${running.port}`,
      databaseUrl: database.url,
      data,
      close: async () => {
        await running.stop();
        await data.close();
        await database.drop();
        await deleteKeysWithPrefix(prefix);
      },
    };
  } catch (err) {
    await server?.stop();
    await database.drop();
    throw err;
  }
}
