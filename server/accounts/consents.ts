// Remembered consent (SPEC "Users"): what a user has allowed a client, per user and client,
// so that the consent page is shown only for scopes the user has not granted before. A
// consent only ever grows here; revoking it is an operator or account action.

import {
  CONSENT_TOUCH_INTERVAL_MS,
  type Consent,
  findConsent,
  touchConsent,
  upsertConsentScopes,
} from "../store/db/consents.ts";
import type { Db } from "../store/db/index.ts";

/** The user's consent for the client when it already grants every one of these scopes. */
export async function coveringConsent(
  db: Db,
  userId: string,
  clientId: string,
  scopes: readonly string[],
): Promise<Consent | null> {
  const consent = await findConsent(db, userId, clientId);
  if (!consent) return null;
  const granted = new Set(consent.scopes);
  return scopes.every((scope) => granted.has(scope)) ? consent : null;
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

/**
 * Notes that a remembered consent was used, so operators can see stale ones. `lastUsedAt` is
 * the last use as just read with the consent: when that is within the minute the store keeps
 * to, the update would change nothing and is not sent at all.
 */
export async function markConsentUsed(
  db: Db,
  userId: string,
  clientId: string,
  now: Date,
  lastUsedAt: Date | null = null,
): Promise<void> {
  if (lastUsedAt !== null && now.getTime() - lastUsedAt.getTime() < CONSENT_TOUCH_INTERVAL_MS) {
    return;
  }
  await touchConsent(db, userId, clientId, now);
}
