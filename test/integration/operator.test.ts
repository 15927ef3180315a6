// The operator operations on a real database: users (normalised, unique, locked, deleted),
// clients (secrets shown once, stored as digests, rotated) and the demo seeding of the
// embedded default.

import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../../server/accounts/passwords.ts";
import { loadConfig } from "../../server/config.ts";
import { silentLogger } from "../../server/log.ts";
import { verifyClientSecret } from "../../server/oauth/clients.ts";
import { seedDemo } from "../../server/operator/demo.ts";
import { createOperations, type Operations } from "../../server/operator/operations.ts";
import { findClientById } from "../../server/store/db/clients.ts";
import type { Db } from "../../server/store/db/index.ts";
import { findUserByEmail } from "../../server/store/db/users.ts";
import { MemoryKvStore } from "../../server/store/kv/memory.ts";
import { openMigratedPostgres } from "../helpers/keys.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/pg.ts";
import { tempDir } from "../helpers/server-process.ts";

let database: TestDatabase;
let db: Db;
let ops: Operations;
let dataDir: string;
const config = () => loadConfig({ DATA_DIR: dataDir, KEYS_DIR: dataDir, LOG_LEVEL: "silent" });

beforeAll(async () => {
  database = await createTestDatabase();
  db = await openMigratedPostgres(database.url);
  dataDir = await tempDir("operator");
  ops = createOperations({
    db,
    config: config(),
    now: () => new Date(),
    log: silentLogger,
    kek: async () => Buffer.alloc(32, 1),
    kv: async () => new MemoryKvStore(),
  });
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

describe("user operations", () => {
  it("create a user with a normalised email and an argon2id hash of the password", async () => {
    const user = await ops.userCreate({
      email: " Kim@Example.ORG",
      password: "s3cret-pass",
      name: "Kim",
    });
    expect(user).toMatchObject({ email: "kim@example.org", name: "Kim", locked: false });
    const row = await findUserByEmail(db, "kim@example.org");
    expect(row?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(row!.passwordHash, "s3cret-pass")).toBe(true);
    expect(JSON.stringify(user)).not.toContain("argon2");
  });

  it("refuse a second account for the same address, also when created concurrently", async () => {
    await expect(
      ops.userCreate({ email: "KIM@example.org", password: "another-pass" }),
    ).rejects.toThrow("A user with email kim@example.org already exists.");
    const results = await Promise.allSettled(
      ["Race@example.org", "race@EXAMPLE.org", "race@example.org"].map((email) =>
        ops.userCreate({ email, password: "race-pass-7" }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results.filter((r) => r.status === "rejected")) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ error: "conflict", status: 409 });
    }
  });

  it("set a password that follows the policy", async () => {
    await expect(
      ops.userSetPassword({ email: "kim@example.org", password: "short" }),
    ).rejects.toThrow("at least 8 characters");
    await ops.userSetPassword({ email: "kim@example.org", password: "brand-new-pass" });
    const row = await findUserByEmail(db, "kim@example.org");
    expect(await verifyPassword(row!.passwordHash, "brand-new-pass")).toBe(true);
    expect(await verifyPassword(row!.passwordHash, "s3cret-pass")).toBe(false);
  });

  it("lock (keeping the first lock date), unlock, show and delete", async () => {
    const locked = await ops.userLock({ email: "kim@example.org" });
    expect(locked.locked).toBe(true);
    const again = await ops.userLock({ email: "kim@example.org" });
    expect(again.locked_at).toBe(locked.locked_at);
    expect((await ops.userUnlock({ email: "kim@example.org" })).locked_at).toBeNull();
    expect((await ops.userShow({ email: "Kim@example.org" })).email).toBe("kim@example.org");
    const deleted = await ops.userDelete({ email: "kim@example.org" });
    expect(deleted.email).toBe("kim@example.org");
    await expect(ops.userShow({ email: "kim@example.org" })).rejects.toMatchObject({
      error: "not_found",
      description: "No user with email kim@example.org.",
    });
  });
});

describe("client operations", () => {
  it("store only the SHA-256 digest of the secret they show once", async () => {
    const created = await ops.clientCreate({
      client_name: "Web",
      redirect_uris: ["https://app.example.com/cb"],
      post_logout_redirect_uris: ["https://app.example.com/bye"],
      skip_consent: true,
    });
    const secret = created.client_secret!;
    const row = await findClientById(db, created.client_id);
    expect(row?.secretDigest).toBe(createHash("sha256").update(secret).digest("base64url"));
    expect(verifyClientSecret(row!, secret)).toBe(true);
    const shown = await ops.clientShow({ client_id: created.client_id });
    expect(shown).toMatchObject({
      client_name: "Web",
      token_endpoint_auth_method: "client_secret_basic",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      post_logout_redirect_uris: ["https://app.example.com/bye"],
      skip_consent: true,
    });
    const everything = JSON.stringify([shown, await ops.clientList({})]);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(row!.secretDigest!);
  });

  it("rotate a secret: the new one works, the old one no longer does", async () => {
    const created = await ops.clientCreate({ client_name: "Service" });
    expect(created.grant_types).toEqual(["client_credentials"]);
    const rotated = await ops.clientRotateSecret({ client_id: created.client_id });
    const row = await findClientById(db, created.client_id);
    expect(verifyClientSecret(row!, rotated.client_secret!)).toBe(true);
    expect(verifyClientSecret(row!, created.client_secret!)).toBe(false);
  });

  it("give public clients no secret and nothing to rotate", async () => {
    const created = await ops.clientCreate({
      client_name: "SPA",
      token_endpoint_auth_method: "none",
      redirect_uris: ["http://127.0.0.1:5173/cb"],
    });
    expect(created).not.toHaveProperty("client_secret");
    expect((await findClientById(db, created.client_id))?.secretDigest).toBeNull();
    await expect(ops.clientRotateSecret({ client_id: created.client_id })).rejects.toThrow(
      "uses none and has no secret to rotate",
    );
  });

  it("store the keys of a private_key_jwt client", async () => {
    const jwks = { keys: [{ kty: "EC", crv: "P-256", x: "eA", y: "eQ", kid: "k1" }] };
    const created = await ops.clientCreate({
      client_name: "Signer",
      token_endpoint_auth_method: "private_key_jwt",
      jwks,
    });
    expect(created).not.toHaveProperty("client_secret");
    expect((await ops.clientShow({ client_id: created.client_id })).jwks).toEqual(jwks);
  });

  it("delete a client, after which it is unknown", async () => {
    const created = await ops.clientCreate({ client_name: "Gone" });
    expect((await ops.clientDelete({ client_id: created.client_id })).client_name).toBe("Gone");
    await expect(ops.clientShow({ client_id: created.client_id })).rejects.toMatchObject({
      status: 404,
    });
  });
});

describe("the demo seeding", () => {
  const deps = () => ({ config: config(), db, now: () => new Date(), log: silentLogger });
  const file = () => path.join(dataDir, "demo-credentials.json");

  it("creates a working demo client and user and keeps their credentials privately", async () => {
    const demo = await seedDemo(deps());
    expect(demo).toMatchObject({
      redirectUri: "http://localhost:8080/callback",
      email: "demo@example.com",
    });
    const client = await findClientById(db, demo.clientId);
    expect(client).toMatchObject({
      authMethod: "client_secret_basic",
      redirectUris: ["http://localhost:8080/callback"],
      scope: "openid profile email offline_access",
      grantTypes: ["authorization_code", "refresh_token"],
    });
    expect(verifyClientSecret(client!, demo.clientSecret)).toBe(true);
    const user = await findUserByEmail(db, "demo@example.com");
    expect(await verifyPassword(user!.passwordHash, demo.password)).toBe(true);
    expect((await fs.stat(file())).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await fs.readFile(file(), "utf8"))).toEqual(demo);
  });

  it("prints the same credentials at the next start", async () => {
    const first = await seedDemo(deps());
    expect(await seedDemo(deps())).toEqual(first);
  });

  it("re-seeds what was deleted or changed", async () => {
    const first = await seedDemo(deps());
    await ops.clientDelete({ client_id: first.clientId });
    await ops.userSetPassword({ email: "demo@example.com", password: "operator-chose" });
    const second = await seedDemo(deps());
    expect(second.clientId).not.toBe(first.clientId);
    expect(second.password).not.toBe(first.password);
    const user = await findUserByEmail(db, "demo@example.com");
    expect(await verifyPassword(user!.passwordHash, second.password)).toBe(true);

    await ops.clientRotateSecret({ client_id: second.clientId });
    await ops.userDelete({ email: "demo@example.com" });
    const third = await seedDemo(deps());
    expect(third.clientId).toBe(second.clientId);
    expect(third.clientSecret).not.toBe(second.clientSecret);
    const client = await findClientById(db, third.clientId);
    expect(verifyClientSecret(client!, third.clientSecret)).toBe(true);
    expect(third.password).toBe(second.password);
  });
});
