// Revocation of self-contained access tokens. A JWT cannot be recalled, so its `jti` goes on
// a deny list in the store until the token would have expired anyway; the endpoints that
// accept access tokens (userinfo, introspection) consult it. Resource servers verifying
// offline cannot, which is why access tokens live only minutes.

import { listAccessTokenRevocationsSince } from "../store/db/audit-events.ts";
import type { Db } from "../store/db/index.ts";
import { listFamiliesRevokedSince, revokeRefreshFamily } from "../store/db/refresh-families.ts";
import type { KvStore } from "../store/kv/types.ts";
import type { IssuedFromCode } from "./codes.ts";

const deniedKey = (jti: string) => `at-denied:${jti}`;
const familyRevokedKey = (familyId: string) => `family-revoked:${familyId}`;

type RevocationDeps = {
  db: Db;
  kv: KvStore;
  now: () => Date;
  config: { clockSkew: number; accessTokenTtl: number };
};

/**
 * Denies the token with this jti until its `exp` (seconds since the epoch) plus the clock
 * skew that verifiers tolerate; nothing is stored for a token that has already expired.
 */
export async function denyAccessToken(
  kv: KvStore,
  token: { jti: string; exp: number },
  now: Date,
  clockSkew: number,
): Promise<void> {
  const ttl = token.exp + clockSkew - now.getTime() / 1000;
  if (ttl > 0) await kv.set(deniedKey(token.jti), "1", ttl);
}

export async function isAccessTokenDenied(kv: KvStore, jti: string): Promise<boolean> {
  return (await kv.get(deniedKey(jti))) !== null;
}

/**
 * Revokes a refresh family in Postgres and marks it revoked in the store for as long as an
 * access token issued from it can live, so that verifiers reject those access tokens with
 * one store lookup. Returns false when the family was already revoked or does not exist.
 */
export async function revokeFamily(
  deps: RevocationDeps,
  familyId: string,
  reason: string,
): Promise<boolean> {
  // The marker goes first: a crash between the two writes must not leave a revoked family
  // whose access tokens still pass verification. A marker for a family that does not exist
  // is harmless.
  await deps.kv.set(
    familyRevokedKey(familyId),
    reason,
    deps.config.accessTokenTtl + deps.config.clockSkew,
  );
  return revokeRefreshFamily(deps.db, familyId, reason, deps.now());
}

/**
 * Puts back what the store held about recent revocations: the in-process store of the
 * embedded default starts empty on every start, and a CLI command run while no server was up
 * wrote into a store of its own, while Postgres keeps the revocations themselves. Restored are
 * the marks of families revoked, and the deny list of access tokens revoked one by one at the
 * revocation endpoint (their jti is in the token.revoked audit event written before the
 * endpoint answered; one the audit trail failed to write, which it logs and goes on, cannot
 * come back), within an access token's lifetime and the clock skew: each for the rest of that
 * window. Returns how many of each were written.
 */
export async function restoreRevocations(
  deps: RevocationDeps,
): Promise<{ families: number; accessTokens: number }> {
  const lifetime = deps.config.accessTokenTtl + deps.config.clockSkew;
  const nowMs = deps.now().getTime();
  const since = new Date(nowMs - lifetime * 1000);
  const restore = async (entries: Array<{ key: string; value: string; at: Date }>) => {
    let restored = 0;
    for (const { key, value, at } of entries) {
      const remaining = lifetime - (nowMs - at.getTime()) / 1000;
      if (remaining <= 0) continue;
      await deps.kv.set(key, value, remaining);
      restored++;
    }
    return restored;
  };
  const families = await listFamiliesRevokedSince(deps.db, since);
  const accessTokens = await listAccessTokenRevocationsSince(deps.db, since);
  return {
    families: await restore(
      families.map((f) => ({ key: familyRevokedKey(f.id), value: f.reason, at: f.revokedAt })),
    ),
    accessTokens: await restore(
      accessTokens.map((t) => ({ key: deniedKey(t.jti), value: "1", at: t.at })),
    ),
  };
}

export async function isFamilyRevoked(kv: KvStore, familyId: string): Promise<boolean> {
  return (await kv.get(familyRevokedKey(familyId))) !== null;
}

/** Revokes everything one grant issued: its access tokens and its refresh family. */
export async function revokeIssuedTokens(
  deps: RevocationDeps,
  issued: IssuedFromCode,
  reason: string,
): Promise<void> {
  const now = deps.now();
  await Promise.all(
    issued.accessTokenJtis.map((token) =>
      denyAccessToken(deps.kv, token, now, deps.config.clockSkew),
    ),
  );
  if (issued.refreshFamilyId !== null) {
    await revokeFamily(deps, issued.refreshFamilyId, reason);
  }
}
