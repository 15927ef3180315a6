// What an operator can do, as one interface shared by the two ways of reaching it: the CLI
// calls it directly (Postgres, or PGlite when no server holds the data folder) or through the
// running server's admin API. Inputs and outputs are plain JSON in the wire spelling, so both
// paths behave and print the same.

import { accountKey, clearAccount } from "../accounts/login-throttle.ts";
import { logOutEverywhere } from "../accounts/logout.ts";
import { enrolTotpByOperator, removeTotpByOperator } from "../accounts/second-factor.ts";
import {
  createUser,
  deleteUser,
  getUserByEmail,
  lockUser,
  setUserPassword,
  unlockUser,
  verifyUserEmail,
} from "../accounts/users.ts";
import type { Config } from "../config.ts";
import { listKeys, rotateKeys } from "../keys/rotation.ts";
import { createSecretBox, TOTP_SECRETS_PURPOSE } from "../keys/secret-box.ts";
import type { Logger } from "../log.ts";
import {
  createClient,
  deleteClient,
  getClient,
  listClients,
  rotateClientSecret,
} from "../oauth/clients.ts";
import { recordEvent } from "../observability/events.ts";
import type { Db } from "../store/db/index.ts";
import { migrateToLatest } from "../store/db/migrate.ts";
import type { KvStore } from "../store/kv/types.ts";
import { type AuditEventView, type AuditListInput, auditList } from "./audit.ts";
import type { OperationName } from "./names.ts";
import {
  type ClientView,
  type ClientWithSecret,
  type KeyView,
  type LogoutAllView,
  type TotpEnrolmentView,
  type TotpRemovalView,
  toClientView,
  toClientWithSecret,
  toKeyView,
  toUserView,
  type UserView,
} from "./views.ts";

export type { AuditEventView, AuditListInput } from "./audit.ts";
export type {
  ClientView,
  ClientWithSecret,
  KeyView,
  LogoutAllView,
  TotpEnrolmentView,
  TotpRemovalView,
  UserView,
} from "./views.ts";

export type NoInput = Record<string, never>;

/** RFC 7591 metadata names, plus skip_consent. */
export interface ClientCreateInput {
  client_name: string;
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  grant_types?: string[];
  token_endpoint_auth_method?: string;
  scope?: string;
  skip_consent?: boolean;
  jwks_uri?: string;
  jwks?: unknown;
}

export interface ClientIdInput {
  client_id: string;
}

export interface UserCreateInput {
  email: string;
  password: string;
  name?: string;
  /** The operator vouches for the address: no verification mail is needed. */
  email_verified?: boolean;
}

export interface UserEmailInput {
  email: string;
}

export interface UserPasswordInput {
  email: string;
  password: string;
}

type OperationTable = Record<OperationName, (input: never) => Promise<unknown>>;

/** One method per name in OPERATION_NAMES, each JSON in, JSON out. */
export interface Operations extends OperationTable {
  migrate(input: NoInput): Promise<{ applied: string[] }>;
  clientCreate(input: ClientCreateInput): Promise<ClientWithSecret>;
  clientList(input: NoInput): Promise<ClientView[]>;
  clientShow(input: ClientIdInput): Promise<ClientView>;
  clientDelete(input: ClientIdInput): Promise<ClientView>;
  clientRotateSecret(input: ClientIdInput): Promise<ClientWithSecret>;
  userCreate(input: UserCreateInput): Promise<UserView>;
  userShow(input: UserEmailInput): Promise<UserView>;
  /** Marks the user's email address verified. */
  userVerify(input: UserEmailInput): Promise<UserView>;
  userSetPassword(input: UserPasswordInput): Promise<UserView>;
  userLock(input: UserEmailInput): Promise<UserView>;
  userUnlock(input: UserEmailInput): Promise<UserView>;
  userDelete(input: UserEmailInput): Promise<UserView>;
  /** Ends every session and revokes every refresh-token family of the user. */
  userLogoutAll(input: UserEmailInput): Promise<LogoutAllView>;
  /** Gives the user a new TOTP secret, on at once, and new recovery codes. */
  userTotpEnrol(input: UserEmailInput): Promise<TotpEnrolmentView>;
  /** Turns the user's second factor off (a lost authenticator and lost recovery codes). */
  userTotpRemove(input: UserEmailInput): Promise<TotpRemovalView>;
  keysList(input: NoInput): Promise<KeyView[]>;
  /** The keys after the rotation, in signing order: the last one is the key taking over. */
  keysRotate(input: NoInput): Promise<KeyView[]>;
  /** The audit trail, oldest first: the newest `limit` events since `since`. */
  auditList(input: AuditListInput): Promise<AuditEventView[]>;
}

export interface OperationsContext {
  db: Db;
  config: Config;
  now: () => Date;
  log: Logger;
  /** The key-encryption key, asked for only by keysRotate (it may create keys/kek). */
  kek: () => Promise<Buffer>;
  /** The servers' store (sessions, revocation marks), opened only by userLogoutAll. */
  kv: () => Promise<KvStore>;
  /** Lets a running server load a rotation at once instead of at its next refresh. */
  afterKeysRotate?: () => Promise<void>;
}

export function createOperations(ctx: OperationsContext): Operations {
  const { db, now } = ctx;
  return {
    async migrate() {
      return { applied: await migrateToLatest(db) };
    },

    async clientCreate(input) {
      const { client, secret } = await createClient(
        db,
        {
          name: input.client_name,
          redirectUris: input.redirect_uris,
          postLogoutRedirectUris: input.post_logout_redirect_uris,
          grantTypes: input.grant_types,
          authMethod: input.token_endpoint_auth_method,
          scope: input.scope,
          skipConsent: input.skip_consent,
          jwksUri: input.jwks_uri,
          jwks: input.jwks,
        },
        now(),
      );
      await recordEvent(ctx, {
        type: "client.created",
        actor: "operator",
        clientId: client.id,
        details: { client_name: client.name },
      });
      return toClientWithSecret(client, secret);
    },
    async clientList() {
      return (await listClients(db)).map(toClientView);
    },
    async clientShow(input) {
      return toClientView(await getClient(db, input.client_id));
    },
    async clientDelete(input) {
      const client = await deleteClient(db, input.client_id);
      await recordEvent(ctx, { type: "client.deleted", actor: "operator", clientId: client.id });
      return toClientView(client);
    },
    async clientRotateSecret(input) {
      const { client, secret } = await rotateClientSecret(db, input.client_id, now());
      await recordEvent(ctx, {
        type: "client.secret_rotated",
        actor: "operator",
        clientId: client.id,
      });
      return toClientWithSecret(client, secret);
    },

    async userCreate(input) {
      const { email_verified: emailVerified, ...rest } = input;
      const user = await createUser(db, { ...rest, emailVerified: emailVerified ?? false }, now());
      await recordEvent(ctx, { type: "user.created", actor: "operator", userId: user.id });
      return toUserView(user);
    },
    async userShow(input) {
      return toUserView(await getUserByEmail(db, input.email));
    },
    async userVerify(input) {
      const user = await verifyUserEmail(db, input.email, now());
      await recordEvent(ctx, { type: "email.verified", actor: "operator", userId: user.id });
      return toUserView(user);
    },
    async userSetPassword(input) {
      return toUserView(await setUserPassword(db, input.email, input.password, now()));
    },
    async userLock(input) {
      const user = await lockUser(db, input.email, now());
      await recordEvent(ctx, { type: "account.locked", actor: "operator", userId: user.id });
      return toUserView(user);
    },
    async userUnlock(input) {
      const user = await unlockUser(db, input.email, now());
      // Also ends a temporary lock from failed logins, and forgets the failures and earlier
      // locks. Servers without a shared store keep those in memory, out of reach: the
      // permanent lock is lifted anyway and the temporary one ends by itself.
      try {
        await clearAccount({ kv: await ctx.kv() }, accountKey({ userId: user.id }));
      } catch (err) {
        ctx.log.warn({ err }, "could not clear the temporary login lock");
      }
      await recordEvent(ctx, { type: "account.unlocked", actor: "operator", userId: user.id });
      return toUserView(user);
    },
    async userDelete(input) {
      const user = await deleteUser(db, input.email);
      await recordEvent(ctx, { type: "user.deleted", actor: "operator", userId: user.id });
      return toUserView(user);
    },
    async userLogoutAll(input) {
      const user = await getUserByEmail(db, input.email);
      const kv = await ctx.kv();
      const result = await logOutEverywhere({ db, kv, config: ctx.config, now }, user.id);
      await recordEvent(ctx, {
        type: "user.logout_all",
        actor: "operator",
        userId: user.id,
        details: {
          sessions_ended_before: result.sessionsEndedBefore.toISOString(),
          families_revoked: result.familiesRevoked,
        },
      });
      return {
        user: toUserView(user),
        sessions_ended_before: result.sessionsEndedBefore.toISOString(),
        refresh_families_revoked: result.familiesRevoked,
      };
    },

    async userTotpEnrol(input) {
      const user = await getUserByEmail(db, input.email);
      const totpSecrets = createSecretBox(await ctx.kek(), TOTP_SECRETS_PURPOSE);
      const enrolment = await enrolTotpByOperator(
        { db, totpSecrets, config: ctx.config, now },
        user,
      );
      await recordEvent(ctx, {
        type: "second_factor.enabled",
        actor: "operator",
        userId: user.id,
        details: { method: "totp" },
      });
      return {
        user: toUserView(user),
        otpauth_uri: enrolment.otpauthUri,
        secret: enrolment.secret,
        recovery_codes: enrolment.recoveryCodes,
      };
    },
    async userTotpRemove(input) {
      const user = await getUserByEmail(db, input.email);
      const removed = await removeTotpByOperator({ db }, user.id);
      if (removed) {
        await recordEvent(ctx, {
          type: "second_factor.disabled",
          actor: "operator",
          userId: user.id,
        });
      }
      return { user: toUserView(user), removed };
    },

    async keysList() {
      return (await listKeys(db, now())).map(toKeyView);
    },
    async keysRotate() {
      const rotation = await rotateKeys({
        db,
        kek: await ctx.kek(),
        config: ctx.config,
        now,
        log: ctx.log,
      });
      await recordEvent(ctx, {
        type: "key.rotated",
        actor: "operator",
        details: { kid: rotation.kid, activates_at: rotation.activatesAt.toISOString() },
      });
      await ctx.afterKeysRotate?.();
      return rotation.keys.map(toKeyView);
    },

    auditList: (input) => auditList(db, input, now()),
  };
}
