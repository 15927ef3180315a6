// Access tokens as JWTs (RFC 9068): resource servers verify them offline against the JWKS.
// One issuer for every grant: the user flows pass the user as subject and the time of
// authentication; client credentials pass the client as subject and no auth_time.
// A token issued together with a refresh family carries the family's id in the private claim
// `fid` (RFC 9068 §2.2 allows claims beyond its own), so that revoking the family (reuse
// detection, revocation, logout) also revokes every access token issued from it: the family
// is marked revoked in the store (revocation.ts) and verification looks for that mark.

import { randomBytes } from "node:crypto";
import type { Config } from "../config.ts";
import { invalidToken } from "../errors.ts";
import { JwsError } from "../keys/jws.ts";
import type { KeyStore } from "../keys/keystore.ts";
import type { KvStore } from "../store/kv/types.ts";
import { isAccessTokenDenied, isFamilyRevoked } from "./revocation.ts";

/** RFC 9068 §2.1; verification also accepts the long form "application/at+jwt" (§4). */
export const ACCESS_TOKEN_TYP = "at+jwt";

/** The private claim naming the refresh family a token was issued with. */
export const FAMILY_CLAIM = "fid";

export interface AccessTokenInput {
  /** The user id, or the client id for client credentials. */
  subject: string;
  clientId: string;
  /** The granted scope, space-separated. */
  scope: string;
  /** RFC 8707 resources, or the configured default audience; never empty. */
  audience: string[];
  /** Seconds since the epoch at which the user authenticated; null without a user. */
  authTime: number | null;
  /** The refresh family issued with this token, if any: goes into the `fid` claim. */
  familyId?: string | null;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  /** Seconds since the epoch. */
  exp: number;
  /** Seconds from now, for the token response's expires_in. */
  expiresIn: number;
}

export interface AccessTokenClaims {
  sub: string;
  clientId: string;
  scope: string;
  audience: string[];
  jti: string;
  iat: number;
  exp: number;
  authTime: number | null;
  /** The `fid` claim: the refresh family the token was issued with, if any. */
  familyId: string | null;
}

export async function issueAccessToken(
  deps: { keys: KeyStore; config: Pick<Config, "issuer" | "accessTokenTtl">; now: () => Date },
  input: AccessTokenInput,
): Promise<IssuedAccessToken> {
  if (input.audience.length === 0) throw new Error("an access token needs an audience");
  const iat = Math.floor(deps.now().getTime() / 1000);
  const expiresIn = deps.config.accessTokenTtl;
  const jti = randomBytes(16).toString("base64url");
  const token = await deps.keys.sign(
    {
      iss: deps.config.issuer,
      sub: input.subject,
      // A single audience as a string: some resource-server libraries compare it as one.
      aud: input.audience.length === 1 ? input.audience[0] : input.audience,
      client_id: input.clientId,
      scope: input.scope,
      jti,
      iat,
      ...(input.authTime === null ? {} : { auth_time: input.authTime }),
      ...(input.familyId ? { [FAMILY_CLAIM]: input.familyId } : {}),
    },
    { typ: ACCESS_TOKEN_TYP, expiresIn },
  );
  return { token, jti, exp: iat + expiresIn, expiresIn };
}

/**
 * Verifies an access token presented to this server: signature with a published key, typ,
 * iss, exp (keystore.verify), the claims RFC 9068 makes required, the jti deny list and,
 * for a token issued with a refresh family, the family's revocation mark: the two store
 * lookups run in parallel. Every failure is invalid_token; the reason is logged, not sent.
 */
export async function verifyAccessToken(
  deps: { keys: KeyStore; kv: KvStore },
  token: string,
): Promise<AccessTokenClaims> {
  const invalid = (detail: string) =>
    invalidToken("The access token is invalid, expired or revoked.", detail);
  let payload: Awaited<ReturnType<KeyStore["verify"]>>;
  try {
    payload = await deps.keys.verify(token, { typ: ACCESS_TOKEN_TYP });
  } catch (err) {
    if (err instanceof JwsError) throw invalid(err.message);
    throw err;
  }
  const { sub, client_id, scope, jti, iat, exp, aud, auth_time } = payload;
  const fid = payload[FAMILY_CLAIM];
  const audience = typeof aud === "string" ? [aud] : aud;
  if (
    typeof sub !== "string" ||
    typeof client_id !== "string" ||
    typeof jti !== "string" ||
    typeof iat !== "number" ||
    typeof exp !== "number" ||
    (scope !== undefined && typeof scope !== "string") ||
    (auth_time !== undefined && typeof auth_time !== "number") ||
    (fid !== undefined && typeof fid !== "string") ||
    !Array.isArray(audience)
  ) {
    throw invalid("a required access token claim is missing or malformed");
  }
  const [denied, familyRevoked] = await Promise.all([
    isAccessTokenDenied(deps.kv, jti),
    fid === undefined ? false : isFamilyRevoked(deps.kv, fid),
  ]);
  if (denied) throw invalid(`jti ${jti} is revoked`);
  if (familyRevoked) throw invalid(`refresh family ${fid} is revoked`);
  return {
    sub,
    clientId: client_id,
    scope: scope ?? "",
    audience,
    jti,
    iat,
    exp,
    authTime: auth_time ?? null,
    familyId: fid ?? null,
  };
}
