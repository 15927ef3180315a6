// The UserInfo endpoint's rules (OIDC Core §5.3): a valid access token that carries `openid`,
// issued for a user who still exists and may still sign in, and for an audience that
// includes this server; the claims released are those of the token's scopes.

import type { Deps } from "../deps.ts";
import { insufficientScope, invalidToken } from "../errors.ts";
import { verifyAccessToken } from "../tokens/access-token.ts";
import { scopeList, userClaims } from "./claims.ts";

export async function userInfo(
  deps: Pick<Deps, "config" | "db" | "kv" | "keys" | "users">,
  accessToken: string,
): Promise<Record<string, unknown>> {
  const token = await verifyAccessToken(deps, accessToken);
  // A token narrowed to other resources (RFC 8707) is not for this endpoint: a resource
  // server that received it must not be able to replay it here to read the user's profile.
  const { issuer, defaultAudience } = deps.config;
  if (!token.audience.some((aud) => aud === issuer || aud === defaultAudience)) {
    throw invalidToken(
      "The access token is not meant for the UserInfo endpoint.",
      `audience ${token.audience.join(" ")}`,
    );
  }
  const scopes = scopeList(token.scope);
  if (!scopes.includes("openid")) {
    throw insufficientScope("The access token lacks the openid scope.", "openid");
  }
  const user = await deps.users.find(token.sub);
  if (!user || user.lockedAt !== null) {
    throw invalidToken(
      "The access token is invalid, expired or revoked.",
      `user ${token.sub} is ${user ? "locked" : "gone"}`,
    );
  }
  return { sub: user.id, ...userClaims(user, scopes) };
}
