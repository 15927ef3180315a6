// Email verification: a single-use, expiring link proves that the user reads the address's
// inbox. users.email_verified follows it, and with it the `email_verified` claim of ID tokens
// and userinfo, which are built from the users row when they are issued. A link counts only
// for the address it was sent to, should the address change before it is used. The link of a
// sign-up is one too: using it makes the account (see signup.ts), verified from the start.
//
// With REQUIRE_VERIFIED_EMAIL, a password login of an unverified user does not complete: the
// user is told so and gets a new link. Only someone who typed the right password learns that
// the address is unverified, so this reveals nothing to anyone else.

import { randomUUID } from "node:crypto";
import type { Config } from "../config.ts";
import { OAuthError } from "../errors.ts";
import { MailDeliveryError } from "../mail/mailer.ts";
import { type EventOrigin, recordEvent } from "../observability/events.ts";
import type { EmailToken } from "../store/db/email-tokens.ts";
import { insertUser, setUserEmailVerified, type User } from "../store/db/users.ts";
import {
  describeLifetime,
  issueEmailLink,
  linkUnusable,
  type MailLinks,
  type SelfServiceDeps,
  siteName,
  takeEmailLink,
} from "./email-links.ts";
import { mailToAddressAllowed } from "./mail-throttle.ts";

/** The links /email/verify accepts: a sign-up's, and a verification of an existing account. */
export const EMAIL_LINK_PURPOSES = ["signup", "verify_email"] as const;

export interface VerificationDeps extends SelfServiceDeps {
  config: Pick<Config, "issuer" | "selfService">;
}

/**
 * Sends a new verification link (retiring earlier ones). False when the address has had its
 * share of mails this hour and none was sent; throws MailDeliveryError when sending failed.
 */
export async function sendVerificationLink(
  deps: VerificationDeps,
  user: Pick<User, "id" | "email">,
  links: Pick<MailLinks, "verifyEmail">,
  origin: EventOrigin,
): Promise<boolean> {
  if (!(await mailToAddressAllowed(deps, user.email))) return false;
  const ttl = deps.config.selfService.emailVerificationTtl;
  const token = await issueEmailLink(deps, "verify_email", user, ttl);
  await deps.mailer.send(
    "verify-email",
    user.email,
    {
      email: user.email,
      site: siteName(deps.config.issuer),
      link: links.verifyEmail(token),
      expiresIn: describeLifetime(ttl),
    },
    origin,
  );
  return true;
}

/** Uses a verification link and marks the address verified; the verified user. */
export async function confirmEmail(
  deps: Pick<SelfServiceDeps, "db" | "now" | "log">,
  token: string,
  origin: EventOrigin & { clientId?: string | null },
): Promise<User> {
  const link = await takeEmailLink(deps, EMAIL_LINK_PURPOSES, token);
  if (link.userId === null) return createSignedUpUser(deps, link, origin);
  const user = await setUserEmailVerified(deps.db, link.userId, link.email, deps.now());
  if (user === null) throw linkUnusable();
  await recordEvent(deps, { type: "email.verified", actor: user.id, userId: user.id, ...origin });
  return user;
}

/** Makes the account of a sign-up whose link was just used; its address is verified. */
async function createSignedUpUser(
  deps: Pick<SelfServiceDeps, "db" | "now" | "log">,
  link: EmailToken,
  origin: EventOrigin,
): Promise<User> {
  if (link.passwordHash === null) throw linkUnusable();
  const user = await insertUser(deps.db, {
    id: randomUUID(),
    email: link.email,
    emailVerified: true,
    name: link.name,
    passwordHash: link.passwordHash,
    createdAt: deps.now(),
  });
  // Two sign-ups of one address, both confirmed: the first made the account.
  if (user === null) {
    throw new OAuthError(
      "account_exists",
      "There is an account with this address already. Sign in, or choose a new password if you have forgotten it.",
    );
  }
  await recordEvent(deps, { type: "user.signed_up", actor: user.id, userId: user.id, ...origin });
  return user;
}

/** A login refused because the address is unverified; `mailed` says whether a link went out. */
export type UnverifiedOutcome = { outcome: "unverified"; mailed: boolean };

/** What the login pages say to a user whose password was right but whose address is not verified. */
export function unverifiedMessage(result: UnverifiedOutcome): string {
  return result.mailed
    ? "Confirm your email address first: we sent a new link to it. Follow it, then sign in again."
    : "Confirm your email address first with the link we mailed you, then sign in again. No new link could be sent just now; try again later.";
}

/**
 * With REQUIRE_VERIFIED_EMAIL, turns a login outcome that carries an unverified user (the
 * password was right) into "unverified" and mails a new link; any other outcome passes
 * through unchanged.
 */
export async function requireVerifiedEmail<T extends { outcome: string }>(
  deps: VerificationDeps,
  result: T,
  links: Pick<MailLinks, "verifyEmail">,
  origin: EventOrigin,
): Promise<T | UnverifiedOutcome> {
  const user = (result as { user?: User }).user;
  if (!deps.config.selfService.requireVerifiedEmail || user === undefined) return result;
  if (user.emailVerified) return result;
  await recordEvent(deps, {
    type: "login.failure",
    actor: user.id,
    userId: user.id,
    ...origin,
    details: { reason: "email_unverified" },
  });
  let mailed = false;
  try {
    mailed = deps.mailer.available && (await sendVerificationLink(deps, user, links, origin));
  } catch (err) {
    if (!(err instanceof MailDeliveryError)) throw err;
  }
  return { outcome: "unverified", mailed };
}
