// The in-process store (no REDIS_URL) starts empty on every start. The marks of recently
// revoked refresh families and the access tokens revoked one by one at /oauth/revoke come
// back from Postgres, so an access token of a family revoked before a restart (or by a CLI
// command run while no server was up), or revoked itself, stays refused after it.

import { randomBytes } from "node:crypto";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildApp } from "../../server/app.ts";
import { type Config, loadConfig } from "../../server/config.ts";
import { revokeFamily } from "../../server/tokens/revocation.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/pg.ts";
import { getUserinfo, signIn } from "../helpers/refresh-fixtures.ts";
import { tempDir } from "../helpers/server-process.ts";
import { basicAuth, formBody, makeClient, makeUser } from "../helpers/token-fixtures.ts";

let database: TestDatabase;
let config: Config;

beforeAll(async () => {
  database = await createTestDatabase();
  config = loadConfig({
    DATABASE_URL: database.url,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    DATA_DIR: await tempDir("data"),
    KEYS_DIR: await tempDir("keys"),
    LOG_LEVEL: "silent",
  });
});

afterAll(async () => {
  await database?.drop();
});

it("keeps refusing the access tokens of a family revoked before the restart", async () => {
  const first = await buildApp(config);
  let accessToken: string;
  let kept: string;
  try {
    const rp = await makeClient(first, {
      grantTypes: ["authorization_code", "refresh_token"],
      scope: "openid profile",
    });
    const user = await makeUser(first);
    const revoked = await signIn(first, rp, user.id, { scope: "openid profile" });
    const other = await signIn(first, rp, user.id, { scope: "openid profile" });
    accessToken = revoked.access_token;
    kept = other.access_token;
    const familyId = String(decodeJwt(accessToken).fid);
    // Revoked in Postgres only, as a CLI command without a running server leaves it.
    await revokeFamily(
      { ...first.deps, kv: new (await import("../../server/store/kv/memory.ts")).MemoryKvStore() },
      familyId,
      "logout-all",
    );
    // Before the restart this server's store has no mark: the token still passes.
    expect((await getUserinfo(first, accessToken)).statusCode).toBe(200);
  } finally {
    await first.close();
  }

  const second = await buildApp(config);
  try {
    const refused = await getUserinfo(second, accessToken);
    expect(refused.statusCode).toBe(401);
    expect((await getUserinfo(second, kept)).statusCode).toBe(200);
  } finally {
    await second.close();
  }
});

it("keeps refusing an access token revoked at the revocation endpoint before the restart", async () => {
  const first = await buildApp(config);
  let revokedToken: string;
  let kept: string;
  try {
    const rp = await makeClient(first, {
      grantTypes: ["authorization_code", "refresh_token"],
      scope: "openid profile",
    });
    const user = await makeUser(first);
    revokedToken = (await signIn(first, rp, user.id, { scope: "openid profile" })).access_token;
    kept = (await signIn(first, rp, user.id, { scope: "openid profile" })).access_token;
    const revocation = await first.inject({
      method: "POST",
      url: "/oauth/revoke",
      headers: {
        authorization: basicAuth(rp.client.id, rp.secret ?? ""),
        "content-type": "application/x-www-form-urlencoded",
      },
      payload: formBody({ token: revokedToken, token_type_hint: "access_token" }),
    });
    expect(revocation.statusCode).toBe(200);
    expect((await getUserinfo(first, revokedToken)).statusCode).toBe(401);
  } finally {
    await first.close();
  }

  const second = await buildApp(config);
  try {
    expect((await getUserinfo(second, revokedToken)).statusCode).toBe(401);
    expect((await getUserinfo(second, kept)).statusCode).toBe(200);
  } finally {
    await second.close();
  }
});
