// The signing-key lifecycle walked through several rotation periods with a controllable
// clock, the way two instances and a resource server live through it: every instance
// refreshes once per KEY_REFRESH_INTERVAL, signs tokens at every step, and a resource
// server caches the JWKS for JWKS_MAX_AGE. At every step no token may fail to verify.

import { randomBytes } from "node:crypto";
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../server/config.ts";
import { createKeyStore, type KeyStore } from "../../server/keys/keystore.ts";
import { prepublishSeconds, retentionSeconds } from "../../server/keys/policy.ts";
import { type KeyInfo, listKeys, rotateKeys } from "../../server/keys/rotation.ts";
import { silentLogger } from "../../server/log.ts";
import type { Db } from "../../server/store/db/index.ts";
import {
  keyTestConfig,
  manualClock,
  openMigratedMemoryPglite,
  openMigratedPostgres,
} from "../helpers/keys.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/pg.ts";

const STEP_SECONDS = 5;

interface Issued {
  token: string;
  kid: string;
  exp: number;
}

interface Walk {
  /** One database handle per instance; the CLI uses the first. */
  dbs: Db[];
  config: Config;
  periods: number;
  /** Called at each step with the keys; true makes the CLI force a rotation then. */
  forceRotation?: (step: number, keys: KeyInfo[]) => boolean;
}

interface WalkReport {
  signers: string[];
  removed: string[];
  forced: number;
  maxPublished: number;
}

async function walkThroughRotations({ dbs, config, periods, forceRotation }: Walk) {
  const clock = manualClock();
  const kek = randomBytes(32);
  const stores: KeyStore[] = [];
  for (const db of dbs) {
    stores.push(await createKeyStore({ db, kek, config, now: clock.now, log: silentLogger }));
  }
  const cli = { db: dbs[0]!, kek, config, now: clock.now };
  const prepublishMs = prepublishSeconds(config) * 1000;
  const refreshEvery = config.keyRefreshInterval / STEP_SECONDS;
  const issued: Issued[] = [];
  const createdAt = new Map<string, number>();
  const publishedEverywhere = new Map<string, number>();
  const firstSigned = new Map<string, number>();
  const removedAt = new Map<string, number>();
  const report: WalkReport = { signers: [], removed: [], forced: 0, maxPublished: 0 };
  let resourceServer: { jwks: JSONWebKeySet; fetchedAt: number } | null = null;

  try {
    const steps = (periods * config.keyRotationInterval) / STEP_SECONDS;
    for (let step = 1; step <= steps; step++) {
      clock.advance(STEP_SECONDS);
      const now = clock.now();
      const t = now.getTime();
      // Each instance's timer fires once per refresh interval; the instances are staggered.
      for (const [index, store] of stores.entries()) {
        if ((step + index) % refreshEvery === 0) await store.refresh();
      }
      let keys = await listKeys(cli.db, now);
      if (forceRotation?.(step, keys)) {
        const result = await rotateKeys(cli);
        const rotated = result.keys.find((key) => key.kid === result.kid)!;
        expect(result.activatesAt.getTime()).toBeGreaterThanOrEqual(
          rotated.createdAt.getTime() + prepublishMs,
        );
        report.forced++;
        keys = await listKeys(cli.db, now);
      }
      for (const key of keys) createdAt.set(key.kid, key.createdAt.getTime());
      const context = `at ${(t - Date.UTC(2030, 0, 1)) / 1000}s: ${JSON.stringify(keys)}`;
      const active = keys.filter((key) => key.state === "active");
      expect(active, context).toHaveLength(1);
      expect(keys.filter((key) => key.state === "next").length, context).toBeLessThanOrEqual(1);

      const served = stores.map((store) => JSON.parse(store.jwks().body) as JSONWebKeySet);
      const servedKids = served.map((jwks) => new Set(jwks.keys.map((key) => key.kid!)));
      for (const jwks of served) {
        for (const key of jwks.keys) {
          expect(Object.keys(key).sort()).toEqual(["alg", "e", "kid", "kty", "n", "use"]);
          if (!publishedEverywhere.has(key.kid!) && servedKids.every((k) => k.has(key.kid!))) {
            publishedEverywhere.set(key.kid!, t);
          }
        }
        report.maxPublished = Math.max(report.maxPublished, jwks.keys.length);
      }
      for (const kid of publishedEverywhere.keys()) {
        if (!removedAt.has(kid) && servedKids.every((kids) => !kids.has(kid))) {
          removedAt.set(kid, t);
        }
      }

      // Every instance signs with the key that is active now, by the shared timestamps.
      const fresh: Issued[] = [];
      for (const [index, store] of stores.entries()) {
        expect(store.signingKey().kid, context).toBe(active[0]!.kid);
        const ttl = (step + index) % 2 === 0 ? config.accessTokenTtl : config.idTokenTtl;
        const token = await store.sign(
          { iss: config.issuer, sub: `user-${step}`, aud: "https://api.example.com" },
          { typ: "at+jwt", expiresIn: ttl },
        );
        const kid = decodeProtectedHeader(token).kid!;
        fresh.push({ token, kid, exp: t + ttl * 1000 });
        if (!firstSigned.has(kid)) {
          firstSigned.set(kid, t);
          report.signers.push(kid);
        }
      }
      issued.push(...fresh);

      // A resource server holding a JWKS copy for its max-age verifies every new token.
      if (resourceServer === null || t >= resourceServer.fetchedAt + config.jwksMaxAge * 1000) {
        resourceServer = { jwks: served[step % served.length]!, fetchedAt: t };
      }
      const cached = createLocalJWKSet(resourceServer.jwks);
      for (const { token } of fresh) {
        await expect(jwtVerify(token, cached, { currentDate: now }), context).resolves.toBeTruthy();
      }

      // Every instance's JWKS still holds the key of every token that has not expired.
      const unexpired = issued.filter((token) => token.exp > t);
      for (const kids of servedKids) {
        for (const { kid } of unexpired) expect(kids.has(kid), `${kid} ${context}`).toBe(true);
      }
      if (step % 6 === 0) {
        for (const jwks of served) {
          const keySet = createLocalJWKSet(jwks);
          for (const { token } of unexpired) {
            await expect(jwtVerify(token, keySet, { currentDate: now })).resolves.toBeTruthy();
          }
        }
      }
    }
  } finally {
    await Promise.all(stores.map((store) => store.close()));
  }

  for (const [kid, signedAt] of firstSigned) {
    if (kid === report.signers[0]) continue;
    // Stored for the whole pre-publication time before it signed, and served by every
    // instance for at least a JWKS cache lifetime before it signed.
    expect(signedAt - createdAt.get(kid)!).toBeGreaterThanOrEqual(prepublishMs);
    expect(signedAt - publishedEverywhere.get(kid)!).toBeGreaterThanOrEqual(
      config.jwksMaxAge * 1000,
    );
  }
  for (const [kid, at] of removedAt) {
    const lastExpiry = Math.max(...issued.filter((i) => i.kid === kid).map((i) => i.exp));
    expect(at).toBeGreaterThanOrEqual(lastExpiry);
    report.removed.push(kid);
  }
  const rows = await listKeys(cli.db, new Date(0));
  expect(rows.length).toBeLessThanOrEqual(3);
  return report;
}

describe("the signing-key lifecycle on Postgres", () => {
  let database: TestDatabase;
  const dbs: Db[] = [];
  let config: Config;

  beforeAll(async () => {
    database = await createTestDatabase();
    config = keyTestConfig(database.url, { KEY_ROTATION_INTERVAL: "300s" });
    for (let i = 0; i < 3; i++) dbs.push(await openMigratedPostgres(database.url));
  });
  afterAll(async () => {
    await Promise.all(dbs.map((db) => db.destroy()));
    await database.drop();
  });

  it("publishes each key before it signs and keeps it until its tokens expired", async () => {
    expect(prepublishSeconds(config)).toBe(75);
    expect(retentionSeconds(config)).toBe(315);
    const report = await walkThroughRotations({ dbs: dbs.slice(0, 2), config, periods: 5 });
    // The first key, then a successor at the end of each period (the walk ends on one).
    expect(report.signers).toHaveLength(6);
    expect(report.removed.length).toBeGreaterThanOrEqual(3);
    // The retention outlasts the time to the next pre-publication: retired, active and next
    // keys are published together.
    expect(report.maxPublished).toBe(3);
  });

  it("keeps the guarantees through forced rotations", async () => {
    await dbs[2]!.deleteFrom("signing_keys").execute();
    let forcedNext = false;
    const report = await walkThroughRotations({
      dbs: [dbs[2]!, dbs[1]!],
      config,
      periods: 4,
      forceRotation: (step, keys) => {
        // Once while a key signs alone, twice in a row, and once while a scheduled
        // successor is already waiting.
        if (step === 20 || step === 21 || step === 60) return true;
        if (!forcedNext && step > 60 && keys.some((key) => key.state === "next")) {
          forcedNext = true;
          return true;
        }
        return false;
      },
    });
    expect(report.forced).toBe(4);
    expect(report.signers.length).toBeGreaterThanOrEqual(4);
  });
});

describe("the signing-key lifecycle on PGlite", () => {
  it("walks through two rotation periods with the same guarantees", async () => {
    const db = await openMigratedMemoryPglite();
    try {
      const report = await walkThroughRotations({
        dbs: [db, db],
        config: keyTestConfig("postgres://unused", { KEY_ROTATION_INTERVAL: "300s" }),
        periods: 2,
        forceRotation: (step) => step === 10,
      });
      expect(report.signers.length).toBeGreaterThanOrEqual(3);
    } finally {
      await db.destroy();
    }
  });
});
