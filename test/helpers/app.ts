// Builds the real app for app.inject tests: its own Postgres database, its own Redis prefix,
// a fresh key-encryption key. Everything is torn down by close().

import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { type AppOverrides, buildApp } from "../../server/app.ts";
import { type Config, loadConfig } from "../../server/config.ts";
import { createTestDatabase } from "./pg.ts";
import { deleteKeysWithPrefix, REDIS_URL, uniquePrefix } from "./redis.ts";
import { tempDir } from "./server-process.ts";

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  databaseUrl: string;
  close(): Promise<void>;
}

export async function buildTestApp(
  env: Record<string, string> = {},
  overrides: Pick<AppOverrides, "now"> = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const prefix = uniquePrefix();
  const config = loadConfig({
    DATABASE_URL: database.url,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    DATA_DIR: await tempDir("data"),
    KEYS_DIR: await tempDir("keys"),
    LOG_LEVEL: "silent",
    ...env,
  });
  const app = await buildApp(config, overrides);
  return {
    app,
    config,
    databaseUrl: database.url,
    close: async () => {
      await app.close();
      await database.drop();
      await deleteKeysWithPrefix(prefix);
    },
  };
}
