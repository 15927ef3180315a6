// One password login attempt with throttling: refused at once when the client IP has used up
// its failures; otherwise the password is always verified (argon2id, against a dummy hash for
// an unknown address), so that a locked account, an unknown address and a wrong password all
// cost the same and a correct password during a lock teaches nothing. Failures are counted
// and recorded as audit events; a success clears the account's counters. For an account with
// a second factor the right password is only half a login: the counters stay until the code
// is right too (second-factor-attempt.ts), so typing the password again and again never buys
// more guesses at the code. With REQUIRE_VERIFIED_EMAIL an unverified address is no login
// either, and is neither counted nor recorded as one.

import type { SelfServiceConfig } from "../config.ts";
import type { Logger } from "../log.ts";
import { recordEvent } from "../observability/events.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { Db } from "../store/db/index.ts";
import { hasConfirmedTotp } from "../store/db/second-factor.ts";
import type { User } from "../store/db/users.ts";
import type { KvStore } from "../store/kv/types.ts";
import { checkPassword } from "./login.ts";
import {
  accountKey,
  clearAccount,
  ipBlocked,
  lockedUntil,
  recordFailure,
  type ThrottleConfig,
} from "./login-throttle.ts";

export interface LoginAttemptDeps {
  db: Db;
  kv: KvStore;
  config: ThrottleConfig & { selfService?: Pick<SelfServiceConfig, "requireVerifiedEmail"> };
  now: () => Date;
  log: Logger;
  metrics: Pick<Metrics, "logins" | "lockouts">;
}

export interface LoginAttempt {
  email: string;
  password: string;
  ip: string;
  requestId: string;
  /** The client the login is for; null for the account page's own login. */
  clientId: string | null;
}

/**
 * failure: wrong address or password, or an account the operator locked; blocked: the
 * account is temporarily locked or the IP throttled, whether the password was right or not;
 * second_factor: the password is right and the account's second factor comes next.
 */
export type LoginOutcome =
  | { outcome: "success"; user: User }
  | { outcome: "second_factor"; user: User }
  | { outcome: "unverified_email"; user: User }
  | { outcome: "failure" }
  | { outcome: "blocked" };

export async function attemptLogin(
  deps: LoginAttemptDeps,
  attempt: LoginAttempt,
): Promise<LoginOutcome> {
  const result = await attemptOnce(deps, attempt);
  // Counted once the second factor has decided.
  if (result.outcome === "second_factor") return result;
  // The login pages refuse it (email-verification.ts records why): not a login.
  if (result.outcome === "unverified_email") {
    deps.metrics.logins.inc({ outcome: "failure" });
    return result;
  }
  const outcome = result.outcome === "blocked" ? "locked" : result.outcome;
  deps.metrics.logins.inc({ outcome });
  if (result.outcome === "success") {
    await recordEvent(deps, {
      type: "login.success",
      actor: result.user.id,
      userId: result.user.id,
      ip: attempt.ip,
      requestId: attempt.requestId,
      clientId: attempt.clientId,
    });
  }
  return result;
}

async function attemptOnce(deps: LoginAttemptDeps, attempt: LoginAttempt): Promise<LoginOutcome> {
  const origin = { ip: attempt.ip, requestId: attempt.requestId, clientId: attempt.clientId };
  if (await ipBlocked(deps, attempt.ip)) {
    await recordEvent(deps, {
      type: "login.failure",
      actor: null,
      ...origin,
      details: { reason: "ip_throttled" },
    });
    return { outcome: "blocked" };
  }
  const { user, email, passwordMatches } = await checkPassword(
    deps.db,
    attempt.email,
    attempt.password,
  );
  const account = accountKey(user ? { userId: user.id } : { unknownEmail: email });
  const userId = user?.id ?? null;
  if (await lockedUntil(deps, account)) {
    await recordEvent(deps, {
      type: "login.failure",
      actor: userId,
      userId,
      ...origin,
      details: { reason: "account_locked" },
    });
    return { outcome: "blocked" };
  }
  if (user && passwordMatches && user.lockedAt === null) {
    if (deps.config.selfService?.requireVerifiedEmail && !user.emailVerified) {
      return { outcome: "unverified_email", user };
    }
    if (await hasConfirmedTotp(deps.db, user.id)) return { outcome: "second_factor", user };
    await clearAccount(deps, account);
    return { outcome: "success", user };
  }

  const reason = !user ? "unknown_email" : passwordMatches ? "user_locked" : "wrong_password";
  const { locked, failures } = await recordFailure(deps, account, attempt.ip);
  await recordEvent(deps, {
    type: "login.failure",
    actor: userId,
    userId,
    ...origin,
    details: { reason, failures },
  });
  if (!locked) return { outcome: "failure" };
  await recordLockout(deps, locked, { userId, ...origin });
  return { outcome: "blocked" };
}

/** A failure just locked the account (known or not): counted and written to the audit trail. */
export async function recordLockout(
  deps: Pick<LoginAttemptDeps, "db" | "log" | "now" | "metrics">,
  locked: { until: Date; seconds: number },
  origin: { userId: string | null; ip: string; requestId: string; clientId: string | null },
): Promise<void> {
  deps.metrics.lockouts.inc();
  await recordEvent(deps, {
    type: "account.locked",
    actor: "system",
    ...origin,
    details: {
      locked_until: locked.until.toISOString(),
      lock_seconds: locked.seconds,
      known_account: origin.userId !== null,
    },
  });
}
