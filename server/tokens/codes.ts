// Authorization codes (RFC 6749 §4.1.2): opaque, kept in the store under their digest for
// AUTH_CODE_TTL and taken atomically, so exactly one redemption can ever receive a code. A
// "used" marker outlives the code so that a second redemption is recognised as such
// (RFC 6749 §4.1.2: the server SHOULD revoke the tokens issued from a code used twice).

import type { KvStore } from "../store/kv/types.ts";
import { digestToken, generateOpaqueToken } from "./opaque.ts";

/** Everything the token endpoint needs to know about the authorization a code stands for. */
export interface AuthorizationCodeGrant {
  clientId: string;
  redirectUri: string;
  userId: string;
  /** The granted scope, space-separated. */
  scope: string;
  /** RFC 8707 resource indicators requested at the authorization endpoint. */
  resources: string[];
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: "S256" | null;
  /** Seconds since the epoch at which the user authenticated. */
  authTime: number;
  /** The login session's public id, the ID token's `sid`. */
  sid: string;
  /** Authentication methods (RFC 8176), e.g. ["pwd"]. */
  amr: string[];
  /** Whether the request carried max_age, which makes auth_time required (OIDC Core §3.1.2.1). */
  maxAgeRequested: boolean;
  claimsLocales: string | null;
}

const codeKey = (digest: string) => `code:${digest}`;
const usedKey = (digest: string) => `code-used:${digest}`;
const reusedKey = (digest: string) => `code-reused:${digest}`;

export async function issueAuthorizationCode(
  kv: KvStore,
  grant: AuthorizationCodeGrant,
  ttlSeconds: number,
): Promise<string> {
  const code = generateOpaqueToken();
  await kv.set(codeKey(digestToken(code)), JSON.stringify(grant), ttlSeconds);
  return code;
}

export type CodeRedemption =
  | { status: "ok"; digest: string; grant: AuthorizationCodeGrant }
  | { status: "reused"; digest: string; issued: IssuedFromCode | null }
  | { status: "unknown" };

/** What was issued from a code, so a second redemption can revoke it. */
export interface IssuedFromCode {
  accessTokenJtis: Array<{ jti: string; exp: number }>;
  refreshFamilyId: string | null;
}

/**
 * Takes the code. The first caller gets the grant and a "used" marker is left behind for
 * `markerTtl` seconds (at least the life of the tokens issued from it); later callers learn
 * the code was reused and what was issued from it.
 */
export async function redeemAuthorizationCode(
  kv: KvStore,
  code: string,
  markerTtl: number,
): Promise<CodeRedemption> {
  const digest = digestToken(code);
  const value = await kv.take(codeKey(digest));
  if (value !== null) {
    await kv.set(usedKey(digest), JSON.stringify(null), markerTtl);
    return { status: "ok", digest, grant: JSON.parse(value) as AuthorizationCodeGrant };
  }
  const marker = await kv.take(usedKey(digest));
  if (marker === null) return { status: "unknown" };
  // The first redemption may still be issuing its tokens: it checks this flag after
  // recording them and revokes them itself.
  await kv.set(reusedKey(digest), "1", markerTtl);
  return { status: "reused", digest, issued: JSON.parse(marker) as IssuedFromCode | null };
}

/**
 * Records what was issued from a redeemed code. Returns false when the code was presented
 * again while the tokens were being issued: the caller must then revoke them.
 */
export async function recordIssuedFromCode(
  kv: KvStore,
  digest: string,
  issued: IssuedFromCode,
  markerTtl: number,
): Promise<boolean> {
  await kv.set(usedKey(digest), JSON.stringify(issued), markerTtl);
  return (await kv.get(reusedKey(digest))) === null;
}
