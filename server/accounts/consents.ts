// Remembered consent (SPEC "Users"): what a user has allowed a client, per user and client,
// so that the consent page is shown only for scopes the user has not granted before. A
// consent only ever grows here; revoking it is an operator or account action.

import { findConsent, touchConsent, upsertConsentScopes } from "../store/db/consents.ts";
import type { Db } from "../store/db/index.ts";

/** True when the user has already granted the client every one of these scopes. */
export async function hasConsent(
  db: Db,
  userId: string,
  clientId: string,
  scopes: readonly string[],
): Promise<boolean> {
  const consent = await findConsent(db, userId, clientId);
  if (!consent) return false;
  const granted = new Set(consent.scopes);
  return scopes.every((scope) => granted.has(scope));
}

/** Records that the user allowed these scopes, adding them to any earlier consent. */
export function rememberConsent(
  db: Db,
  userId: string,
  clientId: string,
  scopes: readonly string[],
  now: Date,
): Promise<void> {
  return upsertConsentScopes(db, userId, clientId, [...new Set(scopes)].sort(), now);
}

/** Notes that a remembered consent was used, so operators can see stale ones. */
export function markConsentUsed(db: Db, userId: string, clientId: string, now: Date) {
  return touchConsent(db, userId, clientId, now);
}
