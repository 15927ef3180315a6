// The second half of a login: the code typed after the right password. A wrong or replayed
// code counts as a failed login of the account, under the same lockout as wrong passwords,
// and a pending login allows only a few before the password must be typed again. A right
// code ends the pending login (once, so a form sent twice signs in once), clears the
// account's counters and gives the login's authentication methods (RFC 8176): a TOTP code
// adds "otp", and either kind of code makes it "mfa".

import type { Logger } from "../log.ts";
import { recordEvent } from "../observability/events.ts";
import type { Metrics } from "../observability/metrics.ts";
import { findUserById, type User } from "../store/db/users.ts";
import { type LoginAttemptDeps, recordLockout } from "./login-attempt.ts";
import { accountKey, clearAccount, lockedUntil, recordFailure } from "./login-throttle.ts";
import { endPendingLogin, findPendingLogin, recordPendingFailure } from "./pending-login.ts";
import { checkSecondFactorCode, type SecondFactorDeps } from "./second-factor.ts";

export type SecondFactorAttemptDeps = LoginAttemptDeps &
  SecondFactorDeps & { log: Logger; metrics: Pick<Metrics, "logins" | "lockouts"> };

export interface SecondFactorAttempt {
  /** The pending login's cookie value. */
  pendingValue: string | undefined;
  purpose: string;
  code: string;
  ip: string;
  requestId: string;
  clientId: string | null;
}

/**
 * success: signed in with these methods; failure: a wrong or used code, try again;
 * restart: no pending login (expired, too many wrong codes, finished), type the password
 * again; blocked: the account is temporarily locked.
 */
export type SecondFactorOutcome =
  | { outcome: "success"; user: User; amr: string[] }
  | { outcome: "failure" }
  | { outcome: "restart" }
  | { outcome: "blocked" };

export const AMR_TOTP = ["pwd", "otp", "mfa"];
export const AMR_RECOVERY_CODE = ["pwd", "mfa"];

export async function attemptSecondFactor(
  deps: SecondFactorAttemptDeps,
  attempt: SecondFactorAttempt,
): Promise<SecondFactorOutcome> {
  const { pendingValue } = attempt;
  const pending = await findPendingLogin(deps, pendingValue, attempt.purpose);
  if (pendingValue === undefined || pending === null) return { outcome: "restart" };
  const { userId } = pending;
  const origin = { ip: attempt.ip, requestId: attempt.requestId, clientId: attempt.clientId };
  const account = accountKey({ userId });

  if (await lockedUntil(deps, account)) {
    await endPendingLogin(deps, pendingValue);
    deps.metrics.logins.inc({ outcome: "locked" });
    await recordEvent(deps, {
      type: "login.failure",
      actor: userId,
      userId,
      ...origin,
      details: { reason: "account_locked", step: "second_factor" },
    });
    return { outcome: "blocked" };
  }
  const user = await findUserById(deps.db, userId);
  if (user === null || user.lockedAt !== null) {
    await endPendingLogin(deps, pendingValue);
    return { outcome: "restart" };
  }

  const check = await checkSecondFactorCode(deps, userId, attempt.code);
  if (check === "totp" || check === "recovery") {
    if (!(await endPendingLogin(deps, pendingValue))) return { outcome: "restart" };
    await clearAccount(deps, account);
    deps.metrics.logins.inc({ outcome: "success" });
    await recordEvent(deps, {
      type: "login.success",
      actor: userId,
      userId,
      ...origin,
      details: { second_factor: check === "totp" ? "totp" : "recovery_code" },
    });
    return { outcome: "success", user, amr: check === "totp" ? AMR_TOTP : AMR_RECOVERY_CODE };
  }

  const { locked, failures } = await recordFailure(deps, account, attempt.ip);
  await recordEvent(deps, {
    type: "login.failure",
    actor: userId,
    userId,
    ...origin,
    details: { reason: check === "replayed" ? "replayed_code" : "wrong_code", failures },
  });
  if (locked) {
    await endPendingLogin(deps, pendingValue);
    deps.metrics.logins.inc({ outcome: "locked" });
    await recordLockout(deps, locked, { userId, ...origin });
    return { outcome: "blocked" };
  }
  deps.metrics.logins.inc({ outcome: "failure" });
  const canRetry = await recordPendingFailure(deps, pendingValue, pending);
  return { outcome: canRetry ? "failure" : "restart" };
}
