// The links that self-service mails carry, and what the business code needs to send them.
// A link's token is 256 random bits (generateOpaqueToken); only its SHA-256 digest is stored,
// with its purpose, user (none yet for a sign-up), address and expiry. Issuing a user's link
// retires their earlier links of the same kind, and a link is taken once, atomically.

import type { SelfServiceConfig } from "../config.ts";
import { OAuthError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Mailer } from "../mail/mailer.ts";
import {
  consumeEmailToken,
  deleteEmailToken,
  type EmailToken,
  type EmailTokenPurpose,
  findUsableEmailToken,
  insertSignupToken,
  replaceEmailToken,
} from "../store/db/email-tokens.ts";
import type { Db } from "../store/db/index.ts";
import type { User } from "../store/db/users.ts";
import type { KvStore } from "../store/kv/types.ts";
import { digestToken, generateOpaqueToken, hasOpaqueTokenShape } from "../tokens/opaque.ts";

export interface SelfServiceDeps {
  db: Db;
  kv: KvStore;
  config: { issuer: string; selfService: SelfServiceConfig };
  mailer: Mailer;
  now: () => Date;
  log: Logger;
}

/** Absolute URLs of the pages that mails link to; made by the HTTP layer, which knows paths. */
export interface MailLinks {
  verifyEmail(token: string): string;
  resetPassword(token: string): string;
  forgotPassword: string;
}

/** The link was never issued, has expired, or was used already: one answer for all three. */
export function linkUnusable(): OAuthError {
  return new OAuthError("invalid_grant", "This link has expired or was already used.", {
    status: 400,
  });
}

export async function issueEmailLink(
  deps: Pick<SelfServiceDeps, "db" | "now">,
  purpose: EmailTokenPurpose,
  user: Pick<User, "id" | "email">,
  ttlSeconds: number,
): Promise<string> {
  const token = generateOpaqueToken();
  const now = deps.now();
  await replaceEmailToken(deps.db, {
    digest: digestToken(token),
    purpose,
    userId: user.id,
    email: user.email,
    name: null,
    passwordHash: null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
  });
  return token;
}

/** A sign-up's link, which holds what the account will be made of once it is used. */
export async function issueSignupLink(
  deps: Pick<SelfServiceDeps, "db" | "now">,
  signup: { email: string; name: string | null; passwordHash: string },
  ttlSeconds: number,
): Promise<string> {
  const token = generateOpaqueToken();
  const now = deps.now();
  await insertSignupToken(deps.db, {
    digest: digestToken(token),
    purpose: "signup",
    userId: null,
    ...signup,
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
  });
  return token;
}

/** Withdraws a link whose mail could not be sent. */
export function withdrawEmailLink(deps: Pick<SelfServiceDeps, "db">, token: string) {
  return deleteEmailToken(deps.db, digestToken(token));
}

/** The usable link behind a token, without using it; null for anything else. */
export async function peekEmailLink(
  deps: Pick<SelfServiceDeps, "db" | "now">,
  purposes: readonly EmailTokenPurpose[],
  token: string,
): Promise<EmailToken | null> {
  if (!hasOpaqueTokenShape(token)) return null;
  return findUsableEmailToken(deps.db, digestToken(token), purposes, deps.now());
}

/** Uses the link: exactly one caller gets it, and only while it is usable. */
export async function takeEmailLink(
  deps: Pick<SelfServiceDeps, "db" | "now">,
  purposes: readonly EmailTokenPurpose[],
  token: string,
): Promise<EmailToken> {
  const taken = hasOpaqueTokenShape(token)
    ? await consumeEmailToken(deps.db, digestToken(token), purposes, deps.now())
    : null;
  if (taken === null) throw linkUnusable();
  return taken;
}

/** "24 hours", "30 minutes": a lifetime as a mail states it. */
export function describeLifetime(seconds: number): string {
  const [unit, size] =
    seconds % 86400 === 0 && seconds >= 86400 * 2
      ? ["day", 86400]
      : seconds % 3600 === 0
        ? ["hour", 3600]
        : ["minute", 60];
  const count = Math.max(1, Math.round(seconds / (size as number)));
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}

/** The host name mails name the service by. */
export function siteName(issuer: string): string {
  return new URL(issuer).host;
}
