// buildApp(): creates the database, the store and the keystore, registers the infrastructure
// plugins and lists every route explicitly. It never listens; main.ts and the tests do.

import { randomBytes, randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { countActiveSessions } from "./accounts/sessions.ts";
import type { Config } from "./config.ts";
import type { Deps } from "./deps.ts";
import { loadPageAssets } from "./http/assets.ts";
import cookies from "./http/plugins/cookies.ts";
import cors from "./http/plugins/cors.ts";
import errorHandler from "./http/plugins/error-handler.ts";
import forms from "./http/plugins/forms.ts";
import requestMetrics from "./http/plugins/request-metrics.ts";
import securityHeaders from "./http/plugins/security-headers.ts";
import views from "./http/plugins/views.ts";
import { lazyChildLogger } from "./http/request-logger.ts";
import accountRoutes from "./http/routes/account.ts";
import accountEmailVerifyRoutes from "./http/routes/account-email-verify.ts";
import accountLoginRoutes from "./http/routes/account-login.ts";
import accountLoginOtpRoutes from "./http/routes/account-login-otp.ts";
import accountTotpRoutes from "./http/routes/account-totp.ts";
import adminRoutes from "./http/routes/admin.ts";
import assetRoutes from "./http/routes/assets.ts";
import authorizeRoutes from "./http/routes/authorize.ts";
import consentRoutes from "./http/routes/consent.ts";
import discoveryRoutes from "./http/routes/discovery.ts";
import emailVerifyRoutes from "./http/routes/email-verify.ts";
import healthRoutes from "./http/routes/health.ts";
import introspectRoutes from "./http/routes/introspect.ts";
import jwksRoutes from "./http/routes/jwks.ts";
import loginRoutes from "./http/routes/login.ts";
import loginOtpRoutes from "./http/routes/login-otp.ts";
import logoutRoutes from "./http/routes/logout.ts";
import metricsRoutes from "./http/routes/metrics.ts";
import passwordForgotRoutes from "./http/routes/password-forgot.ts";
import passwordResetRoutes from "./http/routes/password-reset.ts";
import registerRoutes from "./http/routes/register.ts";
import registerClientRoutes from "./http/routes/register-client.ts";
import revokeRoutes from "./http/routes/revoke.ts";
import signupRoutes from "./http/routes/signup.ts";
import tokenRoutes from "./http/routes/token.ts";
import userinfoRoutes from "./http/routes/userinfo.ts";
import { loadKeyEncryptionKey } from "./keys/kek.ts";
import { createKeyStore } from "./keys/keystore.ts";
import { createSecretBox, TOTP_SECRETS_PURPOSE } from "./keys/secret-box.ts";
import { createMailer } from "./mail/mailer.ts";
import { createClientJwksSource } from "./oauth/client-jwks-fetch.ts";
import { createMetrics } from "./observability/metrics.ts";
import { acquireDataDirLock, type DataDirLock } from "./store/data-dir-lock.ts";
import { type OpenedDatabase, openDatabase } from "./store/db/index.ts";
import { migrateToLatest } from "./store/db/migrate.ts";
import {
  CLIENT_CHANGES_CHANNEL,
  createClientCache,
  createUserCache,
  localRowChanges,
  USER_CHANGES_CHANNEL,
} from "./store/db/row-cache.ts";
import { openKvStore } from "./store/kv/index.ts";
import type { KvStore } from "./store/kv/types.ts";
import { restoreRevocations } from "./tokens/revocation.ts";

export interface AppOverrides {
  /** An open database (already migrated or not); buildApp then neither opens nor closes it. */
  db?: OpenedDatabase;
  /** An open store; buildApp then neither opens nor closes it. */
  kv?: KvStore;
  now?: () => Date;
  logger?: FastifyServerOptions["logger"];
}

declare module "fastify" {
  interface FastifyInstance {
    deps: Deps;
  }
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function loggerOptions(config: Config): FastifyServerOptions["logger"] {
  return {
    level: config.logLevel,
    // Query strings, headers and bodies can carry codes, tokens and passwords: only the
    // method and the path are logged.
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        path: req.url.split("?")[0],
        id: req.id,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

export async function buildApp(
  config: Config,
  overrides: AppOverrides = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: overrides.logger ?? loggerOptions(config),
    childLoggerFactory: lazyChildLogger,
    trustProxy: config.trustProxy,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    forceCloseConnections: "idle",
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  const log = app.log;
  const now = overrides.now ?? (() => new Date());

  const closers: Array<() => Promise<unknown>> = [];
  app.addHook("onClose", async () => {
    for (const close of closers.reverse()) {
      await close().catch((err: unknown) => log.error({ err }, "error while closing"));
    }
  });

  try {
    let lock: DataDirLock | null = null;
    let opened = overrides.db;
    if (!opened) {
      if (config.databaseUrl === null) {
        lock = await acquireDataDirLock(config.dataDir, "server");
        const held = lock;
        closers.push(() => held.release());
      }
      opened = await openDatabase(config);
      const db = opened.db;
      closers.push(() => db.destroy());
    }
    const applied = await migrateToLatest(opened.db);
    if (applied.length > 0) log.info({ applied }, "applied migrations");

    let kv = overrides.kv;
    if (!kv) {
      const store = await openKvStore(config, log);
      closers.push(() => store.close());
      kv = store;
      // The in-process store starts empty: the marks of recently revoked families and the
      // deny list of access tokens revoked one by one come back from Postgres, so those
      // access tokens stay refused across a restart.
      if (config.redisUrl === null) {
        const restored = await restoreRevocations({ db: opened.db, kv, now, config });
        if (restored.families + restored.accessTokens > 0) {
          log.info(restored, "restored revocations");
        }
      }
    }

    const kek = await loadKeyEncryptionKey(config, log);
    const keys = await createKeyStore({ db: opened.db, kek, config, now, log });
    closers.push(() => keys.close());

    const clients = createClientCache(opened.db);
    const users = createUserCache(opened.db);
    // The app's own writes drop cached rows at once; the NOTIFY below covers everyone else's.
    const db = opened.db.withPlugin(
      localRowChanges((table, id) => (table === "users" ? users : clients).invalidate(id)),
    );
    if (opened.listen) {
      const stop = await opened.listen(
        {
          [CLIENT_CHANGES_CHANNEL]: (clientId) => clients.invalidate(clientId),
          [USER_CHANGES_CHANNEL]: (userId) => users.invalidate(userId),
        },
        (live) => {
          clients.setLive(live);
          users.setLive(live);
        },
      );
      closers.push(stop);
    }

    const clientJwks = createClientJwksSource(now);
    const metrics = createMetrics();
    const mailer = createMailer({
      config: config.selfService,
      log,
      onResult: (template, outcome) => metrics.mails.inc({ template, outcome }),
    });
    closers.push(async () => mailer.close());
    const deps: Deps = {
      config,
      db,
      dbKind: opened.kind,
      kv,
      keys,
      now,
      log,
      clientJwks,
      clients,
      users,
      totpSecrets: createSecretBox(kek, TOTP_SECRETS_PURPOSE),
      metrics,
      mailer,
    };
    app.decorate("deps", deps);
    deps.metrics.countActiveSessionsWith(() => countActiveSessions(deps));

    // While shutting down, responses to requests still in flight close their connection, so
    // keep-alive clients move to another instance and the process can exit.
    let closing = false;
    app.addHook("preClose", async () => {
      closing = true;
    });
    // Hooks that run on every request take Fastify's callback form: an async function would
    // cost a promise per request on the hottest endpoints (npm run bench, JWKS).
    app.addHook("onRequest", (request, reply, done) => {
      reply.header("x-request-id", request.id);
      done();
    });
    app.addHook("onSend", (_request, reply, payload, done) => {
      if (closing) reply.header("connection", "close");
      done(null, payload);
    });
    await app.register(requestMetrics, { metrics: deps.metrics });
    await app.register(errorHandler);
    await app.register(forms);
    await app.register(securityHeaders, { config });
    await app.register(cors, { deps });
    const assets = await loadPageAssets(config);
    await app.register(views, { assets });
    await app.register(healthRoutes, { deps });
    if (config.metricsPort === null) await app.register(metricsRoutes, { metrics: deps.metrics });
    await app.register(discoveryRoutes, { deps });
    await app.register(jwksRoutes, { deps });
    await app.register(assetRoutes, { assets });
    await app.register(tokenRoutes, { deps });
    await app.register(userinfoRoutes, { deps });
    await app.register(introspectRoutes, { deps });
    await app.register(revokeRoutes, { deps });
    // Cookies only where a browser session or a form needs one: the pages. The endpoints
    // above neither read nor set a cookie and skip the cookie plugin's two hooks per request.
    await app.register(async (pages) => {
      await pages.register(cookies);
      await pages.register(authorizeRoutes, { deps });
      await pages.register(loginRoutes, { deps });
      await pages.register(loginOtpRoutes, { deps });
      await pages.register(consentRoutes, { deps });
      await pages.register(logoutRoutes, { deps });
      await pages.register(accountLoginRoutes, { deps });
      await pages.register(accountLoginOtpRoutes, { deps });
      await pages.register(accountRoutes, { deps });
      await pages.register(accountTotpRoutes, { deps });
      if (deps.mailer.available) {
        await pages.register(passwordForgotRoutes, { deps });
        await pages.register(passwordResetRoutes, { deps });
        await pages.register(emailVerifyRoutes, { deps });
        await pages.register(accountEmailVerifyRoutes, { deps });
      }
      if (config.selfService.signup) await pages.register(signupRoutes, { deps });
    });
    if (config.registration !== "off") {
      await app.register(registerRoutes, { deps });
      await app.register(registerClientRoutes, { deps });
    }
    if (config.adminApi) {
      const adminToken = randomBytes(32).toString("base64url");
      await app.register(adminRoutes, { deps, adminToken });
      const held = lock;
      if (held) {
        app.addHook("onListen", async () => {
          const address = app.server.address();
          if (address && typeof address === "object") {
            const host = listenHost(address.address);
            await held.publish({ url: `http://${host}:${address.port}`, adminToken });
          }
        });
      }
    }
    return app;
  } catch (err) {
    await app.close();
    throw err;
  }
}

/** The address the CLI should call: loopback when the server listens on every interface. */
function listenHost(address: string): string {
  if (address === "0.0.0.0") return "127.0.0.1";
  if (address === "::") return "[::1]";
  return address.includes(":") ? `[${address}]` : address;
}
