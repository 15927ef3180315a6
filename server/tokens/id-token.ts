// ID tokens (OIDC Core §2, §3.1.3.6): who signed in, when, how, to which client, and, for the
// granted scopes, the user's profile and email claims.

import { createHash } from "node:crypto";
import type { Config } from "../config.ts";
import type { KeyStore } from "../keys/keystore.ts";
import { acrFor, scopeList, userClaims } from "../oauth/claims.ts";
import type { User } from "../store/db/users.ts";

/** The `typ` header of ID tokens; "JWT" keeps them apart from at+jwt access tokens. */
export const ID_TOKEN_TYP = "JWT";

/**
 * at_hash (OIDC Core §3.1.3.6): the left half of the hash of the access token's ASCII octets,
 * base64url. The hash is the one of the signing algorithm, SHA-256 for RS256.
 */
export function accessTokenHash(accessToken: string): string {
  const digest = createHash("sha256").update(accessToken, "ascii").digest();
  return digest.subarray(0, digest.length / 2).toString("base64url");
}

export interface IdTokenInput {
  user: User;
  clientId: string;
  /** The granted scope, space-separated: selects the profile and email claims. */
  scope: string;
  nonce: string | null;
  /** Seconds since the epoch. */
  authTime: number;
  sid: string | null;
  amr: string[];
  /** The access token issued alongside, whose hash goes into at_hash. */
  accessToken: string;
}

export async function issueIdToken(
  deps: { keys: KeyStore; config: Pick<Config, "issuer" | "idTokenTtl">; now: () => Date },
  input: IdTokenInput,
): Promise<string> {
  // aud is only ever this one client, so azp, which OIDC Core §2 needs for a token with other
  // audiences, is never required.
  return deps.keys.sign(
    {
      ...userClaims(input.user, scopeList(input.scope)),
      iss: deps.config.issuer,
      sub: input.user.id,
      aud: input.clientId,
      iat: Math.floor(deps.now().getTime() / 1000),
      auth_time: input.authTime,
      ...(input.nonce === null ? {} : { nonce: input.nonce }),
      at_hash: accessTokenHash(input.accessToken),
      ...(input.sid === null ? {} : { sid: input.sid }),
      ...(input.amr.length === 0 ? {} : { amr: input.amr, acr: acrFor(input.amr) }),
    },
    { typ: ID_TOKEN_TYP, expiresIn: deps.config.idTokenTtl },
  );
}
