// Two server processes on one Postgres: a rotation made against the database (as
// `latchkey keys rotate` does) reaches the JWKS of both within KEY_REFRESH_INTERVAL.

import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.ts";
import { rotateKeys } from "../../server/keys/rotation.ts";
import type { Db } from "../../server/store/db/index.ts";
import { openMigratedPostgres } from "../helpers/keys.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/pg.ts";
import { deleteKeysWithPrefix, REDIS_URL, uniquePrefix } from "../helpers/redis.ts";
import { type ServerProcess, startServer, tempDir } from "../helpers/server-process.ts";

const REFRESH_MS = 1000;
// The refresh itself, the HTTP round trip and polling granularity.
const SLACK_MS = 750;

async function servedKids(server: ServerProcess): Promise<string[]> {
  const res = await fetch(`${server.url}/oauth/jwks`);
  const { keys } = (await res.json()) as { keys: Array<{ kid: string }> };
  return keys.map((key) => key.kid);
}

describe("two instances on one Postgres", () => {
  let database: TestDatabase;
  let db: Db;
  const prefix = uniquePrefix();
  const env: Record<string, string> = {};
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    Object.assign(env, {
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      KEY_REFRESH_INTERVAL: `${REFRESH_MS / 1000}s`,
      JWKS_MAX_AGE: "0s",
      CLOCK_SKEW: "0s",
      KEY_ROTATION_INTERVAL: "1h",
      KEYS_DIR: await tempDir("keys"),
      LOG_LEVEL: "info",
    });
    servers.push(await startServer({ ...env, DATA_DIR: await tempDir("data") }));
    servers.push(await startServer({ ...env, DATA_DIR: await tempDir("data") }));
    db = await openMigratedPostgres(database.url);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await db?.destroy();
    await database?.drop();
    await deleteKeysWithPrefix(prefix);
  });

  it("share one first key", async () => {
    const [a, b] = await Promise.all(servers.map(servedKids));
    expect(a).toHaveLength(1);
    expect(b).toEqual(a);
  });

  it("both publish a rotation made by the CLI within KEY_REFRESH_INTERVAL", async () => {
    const before = await servedKids(servers[1]!);
    const rotation = await rotateKeys({
      db,
      kek: Buffer.from(env.KEY_ENCRYPTION_KEY!, "base64"),
      config: loadConfig(env),
      now: () => new Date(),
    });
    const rotatedAt = Date.now();
    expect(rotation.activatesAt.getTime() - rotation.keys[1]!.createdAt.getTime()).toBe(REFRESH_MS);

    const seenAfter = await Promise.all(
      servers.map(async (server) => {
        for (;;) {
          const kids = await servedKids(server);
          if (kids.includes(rotation.kid)) return { elapsed: Date.now() - rotatedAt, kids };
          if (Date.now() - rotatedAt > 10 * REFRESH_MS) return { elapsed: Infinity, kids };
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }),
    );
    for (const { elapsed, kids } of seenAfter) {
      expect(elapsed).toBeLessThanOrEqual(REFRESH_MS + SLACK_MS);
      expect(kids).toEqual([...before, rotation.kid]);
    }
  });

  it("serve the same ETag, so a conditional request works across instances", async () => {
    const first = await fetch(`${servers[0]!.url}/oauth/jwks`);
    const etag = first.headers.get("etag")!;
    expect(first.headers.get("cache-control")).toBe("public, max-age=0");
    const second = await fetch(`${servers[1]!.url}/oauth/jwks`, {
      headers: { "if-none-match": etag },
    });
    expect(second.status).toBe(304);
  });
});
