// Password reset by mail. Asking for it gives the same answer whether or not the address has
// an account, after the same work: one mail is sent either way. An account's owner gets a
// single-use link, valid for PASSWORD_RESET_TTL, which retires every earlier one; an address
// without an account gets a mail saying so. Because both send a mail, a relay that is down
// fails both alike, and the page can say honestly that no mail went out without telling
// anyone whether the address has an account.
//
// Using the link sets the new password (the usual policy), marks the address verified (the
// user just proved they read it), and ends everything the old password gave: every session
// in every browser and every refresh-token family, with their access tokens.
//
// Locks: the operator's lock (`latchkey user lock`) stays; a reset of a locked account is
// refused, since only the operator lifts it. The temporary lock after failed logins is lifted
// and its failures forgotten: it protects the old password against guessing, and that
// password no longer works.

import type { Config } from "../config.ts";
import { invalidRequest, OAuthError } from "../errors.ts";
import { type EventOrigin, recordEvent } from "../observability/events.ts";
import type { EmailToken } from "../store/db/email-tokens.ts";
import {
  findUserByEmail,
  findUserById,
  setUserEmailVerified,
  type User,
  updateUserPasswordHash,
} from "../store/db/users.ts";
import {
  describeLifetime,
  issueEmailLink,
  linkUnusable,
  type MailLinks,
  peekEmailLink,
  type SelfServiceDeps,
  siteName,
  takeEmailLink,
} from "./email-links.ts";
import { accountKey, clearAccount } from "./login-throttle.ts";
import { type LogoutDeps, logOutEverywhere } from "./logout.ts";
import { mailToAddressAllowed } from "./mail-throttle.ts";
import { checkPasswordPolicy, hashPassword } from "./passwords.ts";
import { normalizeEmail } from "./users.ts";

export interface PasswordResetDeps extends SelfServiceDeps {
  config: Pick<
    Config,
    | "issuer"
    | "selfService"
    | "sessionIdleTtl"
    | "sessionAbsoluteTtl"
    | "clockSkew"
    | "accessTokenTtl"
  >;
}

/**
 * Mails a reset link to an account's address, or a "no account" note to any other address.
 * Throws invalid_request for something that is not an address, MailDeliveryError when the
 * mail could not be sent.
 */
export async function requestPasswordReset(
  deps: PasswordResetDeps,
  input: string,
  links: Pick<MailLinks, "resetPassword">,
  origin: EventOrigin,
): Promise<void> {
  const email = normalizeEmail(input);
  const user = await findUserByEmail(deps.db, email);
  const mailAllowed = await mailToAddressAllowed(deps, email);
  await recordEvent(deps, {
    type: "password.reset_requested",
    actor: null,
    userId: user?.id ?? null,
    ...origin,
    details: { known_account: user !== null, mailed: mailAllowed },
  });
  if (!mailAllowed) return;
  const site = siteName(deps.config.issuer);
  if (user === null) {
    await deps.mailer.send("password-reset-unknown", email, { email, site }, origin);
    return;
  }
  const ttl = deps.config.selfService.passwordResetTtl;
  const token = await issueEmailLink(deps, "reset_password", user, ttl);
  await deps.mailer.send(
    "password-reset",
    email,
    { email, site, link: links.resetPassword(token), expiresIn: describeLifetime(ttl) },
    origin,
  );
}

function accountLocked(): OAuthError {
  return new OAuthError(
    "account_locked",
    "This account is locked by the administrator, and a password reset cannot unlock it. Contact them.",
    { status: 403 },
  );
}

/** The usable reset link behind a token and its user; throws when there is none. */
export async function openResetLink(
  deps: Pick<SelfServiceDeps, "db" | "now">,
  token: string,
): Promise<{ link: EmailToken; user: User }> {
  const link = await peekEmailLink(deps, ["reset_password"], token);
  const user = link?.userId ? await findUserById(deps.db, link.userId) : null;
  if (link === null || user === null || user.email !== link.email) throw linkUnusable();
  if (user.lockedAt !== null) throw accountLocked();
  return { link, user };
}

export interface NewPasswordInput {
  newPassword: string;
  confirmation: string;
}

export interface PasswordReset {
  user: User;
  sessionsEndedBefore: Date;
  familiesRevoked: number;
}

/**
 * Sets the new password with a reset link. The form's problems (mismatch, policy) are
 * invalid_request and leave the link usable; a used, expired or unknown link is invalid_grant.
 */
export async function resetPassword(
  deps: PasswordResetDeps,
  token: string,
  input: NewPasswordInput,
  origin: EventOrigin,
): Promise<PasswordReset> {
  const { user } = await openResetLink(deps, token);
  if (input.newPassword !== input.confirmation) {
    throw invalidRequest("The new password and its confirmation do not match.");
  }
  checkPasswordPolicy(input.newPassword);
  const hash = await hashPassword(input.newPassword);
  const link = await takeEmailLink(deps, ["reset_password"], token);
  const now = deps.now();
  if ((await updateUserPasswordHash(deps.db, user.id, hash, now)) === null) throw linkUnusable();
  const verified = await setUserEmailVerified(deps.db, user.id, link.email, now);
  const logoutDeps: LogoutDeps = { db: deps.db, kv: deps.kv, config: deps.config, now: deps.now };
  const ended = await logOutEverywhere(logoutDeps, user.id);
  await clearAccount(deps, accountKey({ userId: user.id }));
  await recordEvent(deps, {
    type: "password.reset",
    actor: user.id,
    userId: user.id,
    ...origin,
    details: {
      sessions_ended_before: ended.sessionsEndedBefore.toISOString(),
      families_revoked: ended.familiesRevoked,
    },
  });
  return { user: verified ?? user, ...ended };
}
