// Self-service sign-up, built so that it cannot be used to find out which addresses have
// accounts. A new address and a registered one get the same answer ("we sent you a mail"),
// after the same work: the password is hashed in both cases and exactly one mail goes out.
//
// No account exists until the address's owner uses the link mailed to it. A new address gets
// a link that holds the chosen name and password hash, and using it makes the account, its
// address verified. A registered address gets no link, but a mail telling its owner that
// someone tried, with the way to a password reset. So nothing that whoever typed the address
// can do next tells the two apart: signing in with the chosen password fails for both until
// the inbox's owner acts. (An account made at once would let them sign in if, and only if,
// the address was free.) It also means nobody can take an address they cannot read: an
// attacker who signs up with someone else's address has no account until that person uses
// the link, and the mail asks them to ignore it if they did not sign up.
//
// The mail to a registered address carries no link that makes or verifies anything: a
// password reset is the way back into an account whose password one has forgotten.

import type { Config } from "../config.ts";
import { type EventOrigin, recordEvent } from "../observability/events.ts";
import { findUserByEmail } from "../store/db/users.ts";
import {
  describeLifetime,
  issueSignupLink,
  type MailLinks,
  type SelfServiceDeps,
  siteName,
  withdrawEmailLink,
} from "./email-links.ts";
import { mailToAddressAllowed } from "./mail-throttle.ts";
import { checkPasswordPolicy, hashPassword } from "./passwords.ts";
import { normalizeEmail, normalizeName } from "./users.ts";

export interface SignUpInput {
  email: string;
  password: string;
  /** Empty for none. */
  name: string;
}

export interface SignUpDeps extends SelfServiceDeps {
  config: Pick<Config, "issuer" | "selfService">;
}

/**
 * Sends the one mail of a sign-up. Throws invalid_request with a message for the form when
 * the input breaks a rule that does not depend on existing accounts, and MailDeliveryError
 * when the mail could not be sent (its link is then withdrawn).
 */
export async function signUp(
  deps: SignUpDeps,
  input: SignUpInput,
  links: MailLinks,
  origin: EventOrigin & { clientId?: string | null },
): Promise<void> {
  const email = normalizeEmail(input.email);
  const name = input.name.trim() === "" ? null : normalizeName(input.name);
  checkPasswordPolicy(input.password);
  const passwordHash = await hashPassword(input.password);
  const site = siteName(deps.config.issuer);

  const existing = await findUserByEmail(deps.db, email);
  const mailAllowed = await mailToAddressAllowed(deps, email);
  await recordEvent(deps, {
    type: existing ? "signup.existing_email" : "signup.requested",
    actor: null,
    userId: existing?.id ?? null,
    ...origin,
    details: { mailed: mailAllowed },
  });
  if (!mailAllowed) return;
  if (existing) {
    await deps.mailer.send(
      "signup-existing",
      email,
      { email, site, forgotLink: links.forgotPassword },
      origin,
    );
    return;
  }
  const ttl = deps.config.selfService.emailVerificationTtl;
  const token = await issueSignupLink(deps, { email, name, passwordHash }, ttl);
  try {
    await deps.mailer.send(
      "verify-email",
      email,
      { email, site, link: links.verifyEmail(token), expiresIn: describeLifetime(ttl) },
      origin,
    );
  } catch (err) {
    await withdrawEmailLink(deps, token);
    throw err;
  }
}
