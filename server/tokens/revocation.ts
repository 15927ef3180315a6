// Revocation of self-contained access tokens. A JWT cannot be recalled, so its `jti` goes on
// a deny list in the store until the token would have expired anyway; the endpoints that
// accept access tokens (userinfo, introspection) consult it. Resource servers verifying
// offline cannot, which is why access tokens live only minutes.

import type { Db } from "../store/db/index.ts";
import { revokeRefreshFamily } from "../store/db/refresh-families.ts";
import type { KvStore } from "../store/kv/types.ts";
import type { IssuedFromCode } from "./codes.ts";

const deniedKey = (jti: string) => `at-denied:${jti}`;

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

/** Revokes everything one grant issued: its access tokens and its refresh family. */
export async function revokeIssuedTokens(
  deps: { db: Db; kv: KvStore; now: () => Date; config: { clockSkew: number } },
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
    await revokeRefreshFamily(deps.db, issued.refreshFamilyId, reason, now);
  }
}
