// Latchkey as the bench runs it: the real process entry (server/main.ts) on a fresh Postgres
// database and its own Redis prefix, with a machine client, a web client, a user and that
// user's consent made through the server's own factories.

import { randomBytes } from "node:crypto";
import pg from "pg";
import { rememberConsent } from "../../server/accounts/consents.ts";
import { createUser } from "../../server/accounts/users.ts";
import { createClient } from "../../server/oauth/clients.ts";
import { type Db, openDatabase } from "../../server/store/db/index.ts";
import type { TargetSpec } from "./flows.ts";
import { answers, type Child, freePort, startNode } from "./processes.ts";

export const PG_ADMIN_URL =
  process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
export const API_AUDIENCE = "https://api.bench.example";
export const API_SCOPE = "api:read";
export const REDIRECT_URI = "http://127.0.0.1:9/callback";
export const WEB_SCOPE = `openid email offline_access ${API_SCOPE}`;

/** The lifetimes both targets are configured with: Latchkey's defaults (server/config.ts). */
export const LIFETIMES = {
  accessToken: 15 * 60,
  idToken: 60 * 60,
  authCode: 60,
  refreshIdle: 14 * 86400,
  session: 12 * 3600,
};

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `latchkey_bench_${randomBytes(6).toString("hex")}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => adminQuery(`drop database if exists ${name} with (force)`) };
}

export interface LatchkeyTarget {
  spec: TargetSpec;
  process: Child;
  db: Db;
  databaseUrl: string;
  redisPrefix: string;
  /** The stored argon2id hash of the bench user's password (the peer verifies the same). */
  passwordHash: string;
  userId: string;
  close(): Promise<void>;
}

export async function startLatchkey(
  options: { profileDir?: string } = {},
): Promise<LatchkeyTarget> {
  const database = await createBenchDatabase();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const redisPrefix = `latchkey-bench:${randomBytes(6).toString("hex")}:`;
  const nodeArgs = options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : [];
  let child: Child;
  try {
    child = await startNode(
      "server/main.ts",
      {
        DATABASE_URL: database.url,
        REDIS_URL,
        REDIS_PREFIX: redisPrefix,
        KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
        ISSUER: origin,
        PORT: String(port),
        HOST: "127.0.0.1",
        DEFAULT_AUDIENCE: API_AUDIENCE,
        // At info, Fastify logs two lines per request; a production deployment under load
        // would not, and the peer logs nothing.
        LOG_LEVEL: "warn",
      },
      () => answers(`${origin}/readyz`),
      nodeArgs,
    );
  } catch (err) {
    await database.drop();
    throw err;
  }

  const { db } = await openDatabase({ databaseUrl: database.url, dataDir: "/nonexistent" });
  const now = new Date();
  const machine = await createClient(
    db,
    {
      name: "Bench machine",
      grantTypes: ["client_credentials"],
      authMethod: "client_secret_basic",
      scope: API_SCOPE,
    },
    now,
  );
  const web = await createClient(
    db,
    {
      name: "Bench web",
      redirectUris: [REDIRECT_URI],
      grantTypes: ["authorization_code", "refresh_token"],
      authMethod: "client_secret_basic",
      scope: WEB_SCOPE,
    },
    now,
  );
  const password = `bench-${randomBytes(9).toString("base64url")}`;
  const user = await createUser(
    db,
    { email: "bench@bench.example", password, name: "Bench User" },
    now,
  );
  await rememberConsent(db, user.id, web.client.id, WEB_SCOPE.split(" "), now);

  const spec: TargetSpec = {
    name: "latchkey",
    origin,
    paths: {
      authorize: "/oauth/authorize",
      token: "/oauth/token",
      introspect: "/oauth/introspect",
      userinfo: "/oauth/userinfo",
      jwks: "/oauth/jwks",
    },
    web: { id: web.client.id, secret: web.secret ?? "" },
    machine: { id: machine.client.id, secret: machine.secret ?? "" },
    redirectUri: REDIRECT_URI,
    scope: WEB_SCOPE,
    machineScope: API_SCOPE,
    user: { email: user.email, password },
  };
  return {
    spec,
    process: child,
    db,
    databaseUrl: database.url,
    redisPrefix,
    passwordHash: user.passwordHash,
    userId: user.id,
    async close() {
      await child.stop();
      await db.destroy();
      await database.drop();
    },
  };
}
