// "Apps with access" on the account page: the clients the user has consented to, and taking
// that access back. Revoking removes the remembered consent, so the next authorization asks
// again, and revokes the client's refresh families for the user (offline ones included), so
// neither its refresh tokens nor the access tokens issued from them work any more.

import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { type EventOrigin, recordEvent } from "../observability/events.ts";
import { type ConsentWithClient, deleteConsent, listConsentsOfUser } from "../store/db/consents.ts";
import type { Db } from "../store/db/index.ts";
import { listActiveFamilyIds } from "../store/db/refresh-families.ts";
import type { KvStore } from "../store/kv/types.ts";
import { revokeFamily } from "../tokens/revocation.ts";

export type AppWithAccess = ConsentWithClient;

export interface AppsDeps {
  db: Db;
  kv: KvStore;
  log: Logger;
  now: () => Date;
  config: Pick<Config, "clockSkew" | "accessTokenTtl">;
}

export function listAppsWithAccess(db: Db, userId: string): Promise<AppWithAccess[]> {
  return listConsentsOfUser(db, userId);
}

/**
 * Takes the client's access away from the user; returns whether there was a consent to
 * remove. The families go first: if the consent were deleted first and the rest failed, the
 * app would vanish from the list while its tokens still worked, and the user could not retry.
 */
export async function revokeAppAccess(
  deps: AppsDeps,
  userId: string,
  clientId: string,
  origin: EventOrigin,
): Promise<boolean> {
  const ids = await listActiveFamilyIds(deps.db, { userId, clientId });
  const revoked = await Promise.all(ids.map((id) => revokeFamily(deps, id, "consent-revoked")));
  const removed = await deleteConsent(deps.db, userId, clientId);
  const familiesRevoked = revoked.filter(Boolean).length;
  if (removed || familiesRevoked > 0) {
    await recordEvent(deps, {
      type: "consent.revoked",
      actor: userId,
      userId,
      clientId,
      ...origin,
      details: { families_revoked: familiesRevoked },
    });
  }
  return removed;
}
