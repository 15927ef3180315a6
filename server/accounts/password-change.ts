// A signed-in user changes their password on the account page. Whoever may have learnt the
// old password loses what it gave them: every refresh family of the user is revoked (with the
// access tokens issued from it), and every other login session ends. The browser that made
// the change stays signed in: it just proved the current password. Wrong current passwords
// are limited per session, like the account page's codes.

import type { Config } from "../config.ts";
import { invalidRequest } from "../errors.ts";
import type { Logger } from "../log.ts";
import { type EventOrigin, recordEvent } from "../observability/events.ts";
import type { Db } from "../store/db/index.ts";
import { listActiveFamilyIds } from "../store/db/refresh-families.ts";
import { findUserById, updateUserPasswordHash } from "../store/db/users.ts";
import { revokeFamily } from "../tokens/revocation.ts";
import { accountFormBlocked, recordAccountFormFailure } from "./login-throttle.ts";
import { checkPasswordPolicy, hashPassword, verifyPassword } from "./passwords.ts";
import { endSessionsOfUser, type LoginSession, type SessionDeps } from "./sessions.ts";

export interface PasswordChangeDeps extends SessionDeps {
  db: Db;
  log: Logger;
  config: Pick<Config, "sessionIdleTtl" | "sessionAbsoluteTtl" | "clockSkew" | "accessTokenTtl">;
}

export interface PasswordChangeInput {
  currentPassword: string;
  newPassword: string;
  /** The new password typed a second time. */
  confirmation: string;
}

export interface PasswordChanged {
  sessionsEndedBefore: Date;
  familiesRevoked: number;
}

/**
 * Changes the password of the session's user. Throws invalid_request, with a description
 * meant for the user, when the current password is wrong, the two new ones differ, or the
 * new one breaks the password policy.
 */
export async function changePassword(
  deps: PasswordChangeDeps,
  session: LoginSession,
  input: PasswordChangeInput,
  origin: EventOrigin,
): Promise<PasswordChanged> {
  if (await accountFormBlocked(deps.kv, session.sid)) {
    throw invalidRequest("Too many wrong attempts. Wait a few minutes before you try again.");
  }
  const user = await findUserById(deps.db, session.userId);
  if (user === null || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
    await recordAccountFormFailure(deps.kv, session.sid);
    throw invalidRequest("The current password is incorrect.");
  }
  if (input.newPassword !== input.confirmation) {
    throw invalidRequest("The new password and its confirmation do not match.");
  }
  checkPasswordPolicy(input.newPassword);
  const hash = await hashPassword(input.newPassword);
  if ((await updateUserPasswordHash(deps.db, user.id, hash, deps.now())) === null) {
    throw invalidRequest("The current password is incorrect.", "user deleted meanwhile");
  }

  const ids = await listActiveFamilyIds(deps.db, { userId: user.id });
  const revoked = await Promise.all(ids.map((id) => revokeFamily(deps, id, "password-change")));
  const cutOff = await endSessionsOfUser(deps, user.id, { exceptSid: session.sid });
  const result = {
    sessionsEndedBefore: new Date(cutOff),
    familiesRevoked: revoked.filter(Boolean).length,
  };
  await recordEvent(deps, {
    type: "password.changed",
    actor: user.id,
    userId: user.id,
    ...origin,
    details: {
      sessions_ended_before: result.sessionsEndedBefore.toISOString(),
      families_revoked: result.familiesRevoked,
    },
  });
  return result;
}
