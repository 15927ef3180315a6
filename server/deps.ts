// What buildApp() creates once and hands down to the routes: nothing here is a singleton.

import type { Config } from "./config.ts";
import type { KeyStore } from "./keys/keystore.ts";
import type { SecretBox } from "./keys/secret-box.ts";
import type { Logger } from "./log.ts";
import type { Mailer } from "./mail/mailer.ts";
import type { ClientJwksSource } from "./oauth/client-jwks-fetch.ts";
import type { Metrics } from "./observability/metrics.ts";
import type { Db } from "./store/db/index.ts";
import type { ClientSource, UserSource } from "./store/db/row-cache.ts";
import type { KvStore } from "./store/kv/types.ts";

export interface Deps {
  config: Config;
  db: Db;
  dbKind: "postgres" | "pglite";
  kv: KvStore;
  keys: KeyStore;
  /** The clock; tests replace it to walk through key lifetimes. */
  now: () => Date;
  log: Logger;
  /** Clients by id, cached while the database's change feed says nothing changed. */
  clients: ClientSource;
  /**
   * Users by id, cached the same way: for reads that may be a few milliseconds behind a
   * change made elsewhere (token checks, claims). Password checks read the database.
   */
  users: UserSource;
  /** The in-process cache of private_key_jwt clients' jwks_uri key sets. */
  clientJwks: ClientJwksSource;
  /** Seals and opens users' TOTP secrets, under a key derived from the key-encryption key. */
  totpSecrets: SecretBox;
  /** This app's Prometheus registry and its counters and histograms. */
  metrics: Metrics;
  /** Sends the self-service mails (sign-up, verification, password reset). */
  mailer: Mailer;
}
