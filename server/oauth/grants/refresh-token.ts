// The refresh token grant (RFC 6749 §6, OIDC Core §12). The presented token is exchanged for
// its successor (rotation, reuse detection and the grace period: tokens/refresh-rotation.ts),
// for the family's client only, while the family and its user are still good. The new access
// token may carry less scope than the grant, never more; its audience follows RFC 8707 §2.2.
// An ID token is reissued when the scope has openid: same iss, sub, aud, auth_time (and sid,
// amr), a new iat, no nonce (§12.2).

import { issueAccessToken } from "../../tokens/access-token.ts";
import { issueIdToken } from "../../tokens/id-token.ts";
import { rotateRefreshToken } from "../../tokens/refresh-rotation.ts";
import { scopeList } from "../claims.ts";
import { allValues } from "../params.ts";
import { grantedAudience } from "../resources.ts";
import { narrowScope } from "../token-scope.ts";
import type { GrantDeps, GrantModule, GrantRequest, TokenResponse } from "./grant.ts";

export const grantType = "refresh_token";

export const parameters = {
  required: ["refresh_token"],
  repeatable: ["resource"],
} as const;

export async function handle(
  deps: GrantDeps,
  { client, params, raw, origin }: GrantRequest,
): Promise<TokenResponse> {
  const rotation = await rotateRefreshToken(
    deps,
    { presented: params.refresh_token ?? "", clientId: client.id, origin },
    async ({ family, user }) => {
      const scope = narrowScope(params.scope, family.scope);
      const audience = grantedAudience(
        allValues(raw, "resource"),
        family.resources,
        deps.config.defaultAudience,
      );
      const authTime = Math.floor(family.authTime.getTime() / 1000);
      const access = await issueAccessToken(deps, {
        subject: user.id,
        clientId: client.id,
        scope,
        audience,
        authTime,
        familyId: family.id,
      });
      const idToken = scopeList(scope).includes("openid")
        ? await issueIdToken(deps, {
            user,
            clientId: client.id,
            scope,
            nonce: null,
            authTime,
            sid: family.sessionId,
            amr: family.amr,
            accessToken: access.token,
          })
        : undefined;
      return { access, idToken, scope };
    },
  );
  const { access, idToken, scope } = rotation.issued;
  return {
    access_token: access.token,
    token_type: "Bearer",
    expires_in: access.expiresIn,
    scope,
    refresh_token: rotation.refreshToken,
    ...(idToken === undefined ? {} : { id_token: idToken }),
  };
}

export const refreshTokenGrant: GrantModule = { grantType, parameters, handle };
