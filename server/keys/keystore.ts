// The running instance's view of the signing keys. It runs the shared maintenance step and
// reloads the key table every keyRefreshInterval, so every instance sees a rotation within
// that time; which key signs and which keys are published is decided from the timestamps
// at the moment of each call, so all instances switch keys at the same instant. The sign
// path touches no database: private keys are decrypted and imported once, at load.

import { createPublicKey, type KeyObject } from "node:crypto";
import type { JWTPayload } from "jose";
import type { Config } from "../config.ts";
import { serverError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { recordEvent } from "../observability/events.ts";
import type { Db } from "../store/db/index.ts";
import { listSigningKeys, type StoredSigningKey } from "../store/db/signing-keys.ts";
import {
  decryptPrivateKey,
  type PublicSigningJwk,
  publicJwkFromStored,
  SIGNING_ALG,
} from "./crypto.ts";
import { type JwksDocument, serializeJwks } from "./jwks.ts";
import { createRs256Verifier, signRs256 } from "./jws.ts";
import { keyState } from "./policy.ts";
import { type KeyContext, maintainKeys } from "./rotation.ts";

export interface KeyStore {
  /** The JWK Set of the keys published now (next, active and retired), with its ETag. */
  jwks(): JwksDocument;
  /** The key that signs now. */
  signingKey(): { kid: string; key: KeyObject };
  /** Signs an RS256 JWT with `kid` and `typ` in the header, iat = now, exp = iat + expiresIn. */
  sign(payload: JWTPayload, options: { typ: string; expiresIn: number }): Promise<string>;
  /**
   * Verifies a JWT this issuer signed with a key published now: signature, typ, iss, exp.
   * Failures throw JwsError, for the caller to turn into its protocol error.
   */
  verify(token: string, options: { typ: string }): Promise<JWTPayload>;
  /** Runs the maintenance step and reloads the keys. */
  refresh(): Promise<void>;
  /** Stops the refresh timer, after any refresh in progress. */
  close(): Promise<void>;
}

export interface KeyStoreOptions {
  db: Db;
  kek: Buffer;
  config: Config;
  now: () => Date;
  log: Logger;
}

interface LoadedKey {
  stored: StoredSigningKey;
  publicJwk: PublicSigningJwk;
  publicKey: KeyObject;
  /** Null for keys that had retired when they were loaded: they will never sign again. */
  privateKey: KeyObject | null;
}

export async function createKeyStore(options: KeyStoreOptions): Promise<KeyStore> {
  const { db, kek, config, now, log } = options;
  const ctx: KeyContext = { db, kek, config, now, log };
  let keys: LoadedKey[] = [];
  let cachedJwks: { document: JwksDocument; validUntil: number } | null = null;
  const verifyCached = createRs256Verifier();

  async function load(): Promise<void> {
    const previous = new Map(keys.map((key) => [key.stored.kid, key]));
    const at = now();
    const loaded: LoadedKey[] = [];
    for (const stored of await listSigningKeys(db)) {
      if (keyState(stored, at) === "removed") continue;
      const known = previous.get(stored.kid);
      const willSign = stored.retiresAt === null || stored.retiresAt.getTime() > at.getTime();
      const privateKey = !willSign
        ? null
        : (known?.privateKey ?? decryptPrivateKey(stored.sealedPrivateKey, kek, stored.kid));
      const publicJwk = known?.publicJwk ?? publicJwkFromStored(stored.kid, stored.publicJwk);
      const publicKey =
        known?.publicKey ??
        createPublicKey({ key: { kty: "RSA", n: publicJwk.n, e: publicJwk.e }, format: "jwk" });
      loaded.push({ stored, publicJwk, publicKey, privateKey });
    }
    keys = loaded;
    cachedJwks = null;
  }

  // A key created by the periodic maintenance is a rotation the system made on its own.
  async function maintain(options: { wait?: boolean } = {}): Promise<void> {
    const { created } = await maintainKeys(ctx, options);
    if (created !== null) {
      await recordEvent(
        { db, log, now },
        { type: "key.rotated", actor: "system", details: { kid: created } },
      );
    }
  }

  let queue: Promise<void> = Promise.resolve();
  function refresh(): Promise<void> {
    const run = queue.then(async () => {
      await maintain();
      await load();
    });
    queue = run.catch(() => {});
    return run;
  }

  // A new instance must not start without a key: it waits for an instance that is
  // bootstrapping the first key instead of skipping the maintenance.
  await maintain({ wait: true });
  await load();

  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  function scheduleRefresh(): void {
    timer = setTimeout(() => {
      refresh()
        .catch((err: unknown) =>
          log.error({ err }, "signing-key refresh failed; keeping the keys loaded before"),
        )
        .finally(() => {
          if (!closed) scheduleRefresh();
        });
    }, config.keyRefreshInterval * 1000);
    timer.unref();
  }
  scheduleRefresh();

  function published(at: Date): LoadedKey[] {
    return keys.filter((key) => keyState(key.stored, at) !== "removed");
  }

  function signingKey(): { kid: string; key: KeyObject } {
    const at = now();
    const active = keys.find((key) => keyState(key.stored, at) === "active");
    if (!active?.privateKey) throw serverError("no signing key is active");
    return { kid: active.stored.kid, key: active.privateKey };
  }

  return {
    jwks() {
      const at = now().getTime();
      if (cachedJwks === null || at >= cachedJwks.validUntil) {
        const current = published(new Date(at));
        const expiries = current
          .map((key) => key.stored.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY)
          .filter((expiry) => expiry > at);
        cachedJwks = {
          document: serializeJwks(current.map((key) => key.publicJwk)),
          validUntil: Math.min(...expiries),
        };
      }
      return cachedJwks.document;
    },

    signingKey,

    async sign(payload, { typ, expiresIn }) {
      const { kid, key } = signingKey();
      const iat = payload.iat ?? Math.floor(now().getTime() / 1000);
      return signRs256(
        { alg: SIGNING_ALG, kid, typ },
        { ...payload, iat, exp: iat + expiresIn },
        key,
      );
    },

    async verify(token, { typ }) {
      const at = now();
      const candidates = published(at);
      return verifyCached(
        token,
        (kid) => candidates.find((key) => key.stored.kid === kid)?.publicKey,
        {
          typ,
          issuer: config.issuer,
          now: Math.floor(at.getTime() / 1000),
          clockTolerance: config.clockSkew,
        },
      );
    },

    refresh,

    async close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      await queue;
    },
  };
}
