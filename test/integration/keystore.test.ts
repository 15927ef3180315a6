// The keystore of one instance: signing, verification, the JWK Set it serves, and how it
// behaves when the clock passes a key boundary between refreshes or the database fails.

import { createHash, randomBytes } from "node:crypto";
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../server/config.ts";
import { createKeyStore, type KeyStore } from "../../server/keys/keystore.ts";
import { listKeys, maintainKeys, rotateKeys } from "../../server/keys/rotation.ts";
import { type Logger, silentLogger } from "../../server/log.ts";
import type { Db } from "../../server/store/db/index.ts";
import { keyTestConfig, manualClock, openMigratedPostgres } from "../helpers/keys.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/pg.ts";

const START = Date.UTC(2030, 0, 1);
const at = (seconds: number) => new Date(START + seconds * 1000);

describe("the keystore", () => {
  let database: TestDatabase;
  let config: Config;
  let db: Db;
  let store: KeyStore;
  const kek = randomBytes(32);
  const clock = manualClock(START);
  const open = (options: { db?: Db; log?: Logger; config?: Config } = {}) =>
    createKeyStore({ db, kek, config, now: clock.now, log: silentLogger, ...options });

  beforeAll(async () => {
    database = await createTestDatabase();
    config = keyTestConfig(database.url);
    db = await openMigratedPostgres(database.url);
  });
  afterEach(async () => {
    await store?.close();
    await db.deleteFrom("signing_keys").execute();
    clock.set(START);
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  it("signs RS256 JWTs with kid and typ, iat from its clock and exp after expiresIn", async () => {
    store = await open();
    const token = await store.sign(
      { iss: config.issuer, sub: "user-1", aud: "https://api.example.com" },
      { typ: "at+jwt", expiresIn: 900 },
    );
    expect(decodeProtectedHeader(token)).toEqual({
      alg: "RS256",
      kid: store.signingKey().kid,
      typ: "at+jwt",
    });
    const jwks = JSON.parse(store.jwks().body) as JSONWebKeySet;
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { currentDate: at(0) });
    expect(payload).toEqual({
      iss: config.issuer,
      sub: "user-1",
      aud: "https://api.example.com",
      iat: START / 1000,
      exp: START / 1000 + 900,
    });
  });

  it("verifies its own tokens by typ, issuer and expiry", async () => {
    store = await open();
    const token = await store.sign(
      { iss: config.issuer, sub: "u" },
      { typ: "at+jwt", expiresIn: 60 },
    );
    await expect(store.verify(token, { typ: "at+jwt" })).resolves.toMatchObject({ sub: "u" });
    await expect(store.verify(token, { typ: "JWT" })).rejects.toThrow(/typ/);
    const foreign = await store.sign(
      { iss: "https://other.example" },
      { typ: "JWT", expiresIn: 60 },
    );
    await expect(store.verify(foreign, { typ: "JWT" })).rejects.toThrow(/iss/);
    clock.set(at(60 + config.clockSkew));
    await expect(store.verify(token, { typ: "at+jwt" })).rejects.toThrow(/expired/);
  });

  it("rejects a token signed by a key it does not publish", async () => {
    store = await open();
    const otherDatabase = await createTestDatabase();
    const otherDb = await openMigratedPostgres(otherDatabase.url);
    const other = await open({ db: otherDb });
    try {
      const token = await other.sign({ iss: config.issuer }, { typ: "JWT", expiresIn: 60 });
      await expect(store.verify(token, { typ: "JWT" })).rejects.toThrow(/no published key has kid/);
    } finally {
      await other.close();
      await otherDb.destroy();
      await otherDatabase.drop();
    }
  });

  it("serves only public members, with a strong ETag over the body that instances share", async () => {
    store = await open();
    const second = await open();
    try {
      const { body, etag } = store.jwks();
      const jwks = JSON.parse(body) as { keys: Record<string, unknown>[] };
      expect(jwks.keys).toHaveLength(1);
      expect(Object.keys(jwks.keys[0]!)).toEqual(["kty", "use", "alg", "kid", "n", "e"]);
      expect(etag).toBe(`"${createHash("sha256").update(body).digest("base64url")}"`);
      expect(second.jwks()).toEqual({ body, etag });
    } finally {
      await second.close();
    }
  });

  it("publishes a rotation after a refresh, and switches keys at the instant without one", async () => {
    store = await open();
    const before = store.jwks();
    const first = store.signingKey().kid;
    clock.set(at(100));
    const { kid: next } = await rotateKeys({ db, kek, config, now: clock.now });
    expect(store.jwks()).toEqual(before);
    await store.refresh();
    const after = store.jwks();
    expect(after.etag).not.toBe(before.etag);
    expect(JSON.parse(after.body).keys.map((k: { kid: string }) => k.kid)).toEqual([first, next]);

    clock.set(new Date(at(175).getTime() - 1));
    expect(store.signingKey().kid).toBe(first);
    clock.set(at(175));
    expect(store.signingKey().kid).toBe(next);
    // 175 + max(120, 300) + 5 + 10: the old key leaves the JWKS with no refresh needed.
    clock.set(at(489));
    expect(JSON.parse(store.jwks().body).keys).toHaveLength(2);
    clock.set(at(490));
    expect(JSON.parse(store.jwks().body).keys.map((k: { kid: string }) => k.kid)).toEqual([next]);
  });

  it("refuses to start when the key-encryption key is not the one the keys were sealed with", async () => {
    await maintainKeys({ db, kek, config, now: clock.now });
    const [key] = await listKeys(db, clock.now());
    await expect(
      createKeyStore({ db, kek: randomBytes(32), config, now: clock.now, log: silentLogger }),
    ).rejects.toThrow(
      `cannot decrypt signing key ${key!.kid}: KEY_ENCRYPTION_KEY (or keys/kek in the embedded default) is not the key it was encrypted with`,
    );
  });

  it("keeps signing with the keys it has when a refresh fails, and logs the failure", async () => {
    const errors: string[] = [];
    const log: Logger = { ...silentLogger, error: (_obj, msg) => errors.push(msg ?? "") };
    const ownDb = await openMigratedPostgres(database.url);
    const quick = keyTestConfig(database.url, { KEY_REFRESH_INTERVAL: "1s" });
    store = await open({ db: ownDb, log, config: quick });
    const jwks = store.jwks();
    await ownDb.destroy();

    await expect(store.refresh()).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(errors).toContain("signing-key refresh failed; keeping the keys loaded before");
    expect(store.jwks()).toEqual(jwks);
    const token = await store.sign({ iss: config.issuer }, { typ: "JWT", expiresIn: 60 });
    await expect(store.verify(token, { typ: "JWT" })).resolves.toBeTruthy();

    await store.close();
    const logged = errors.length;
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(errors).toHaveLength(logged);
  });
});
