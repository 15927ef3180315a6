// What logging out ends. One browser's logout (RP-Initiated Logout) ends its login session and
// the refresh-token grants that session gave to clients without `offline_access`: those were
// granted for as long as the user is signed in. Grants with `offline_access` were asked for so
// that the client keeps access after the user leaves (OIDC Core §11), so they survive a logout.
// "Log out everywhere" ends every session of the user and every grant, offline ones included.
// Revoking a family also makes the access tokens issued from it fail verification.

import type { Config } from "../config.ts";
import type { Db } from "../store/db/index.ts";
import { findRefreshFamilyById, listActiveFamilyIds } from "../store/db/refresh-families.ts";
import { revokeFamily } from "../tokens/revocation.ts";
import { endSession, endSessionsOfUser, type LoginSession, type SessionDeps } from "./sessions.ts";

const OFFLINE_ACCESS = "offline_access";

export interface LogoutDeps extends SessionDeps {
  db: Db;
  config: Pick<Config, "sessionIdleTtl" | "sessionAbsoluteTtl" | "clockSkew" | "accessTokenTtl">;
}

/** Ends the browser's session and its online grants; returns how many families were revoked. */
export async function logOutSession(
  deps: LogoutDeps,
  cookieValue: string,
  session: LoginSession,
): Promise<number> {
  await endSession(deps, cookieValue);
  const ids = await listActiveFamilyIds(deps.db, {
    userId: session.userId,
    sessionId: session.sid,
  });
  const revoked = await Promise.all(
    ids.map(async (id) => {
      const family = await findRefreshFamilyById(deps.db, id);
      if (family === null || family.scope.split(" ").includes(OFFLINE_ACCESS)) return false;
      return revokeFamily(deps, id, "logout");
    }),
  );
  return revoked.filter(Boolean).length;
}

export interface LoggedOutEverywhere {
  /** Every session created at or before this instant has ended. */
  sessionsEndedBefore: Date;
  familiesRevoked: number;
}

/** Ends every session and revokes every refresh family of the user. */
export async function logOutEverywhere(
  deps: LogoutDeps,
  userId: string,
): Promise<LoggedOutEverywhere> {
  const cutOff = await endSessionsOfUser(deps, userId);
  const ids = await listActiveFamilyIds(deps.db, { userId });
  const revoked = await Promise.all(ids.map((id) => revokeFamily(deps, id, "logout-all")));
  return {
    sessionsEndedBefore: new Date(cutOff),
    familiesRevoked: revoked.filter(Boolean).length,
  };
}
