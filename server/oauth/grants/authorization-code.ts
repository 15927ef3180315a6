// The authorization code grant at the token endpoint (RFC 6749 §4.1.3, PKCE RFC 7636 §4.6,
// OIDC Core §3.1.3.2), checked in the order of those sections. The code is taken from the
// store before anything else, so it can be tried only once: a failed check burns it too. A
// code whose login session ended (logout, logout everywhere, a password change) since it was
// issued is refused: signing out must not leave a code behind that still works.

import { sessionEnded } from "../../accounts/sessions.ts";
import { invalidGrant } from "../../errors.ts";
import { type EventOrigin, recordEvent } from "../../observability/events.ts";
import { issueAccessToken } from "../../tokens/access-token.ts";
import {
  type AuthorizationCodeGrant,
  type IssuedFromCode,
  recordIssuedFromCode,
  redeemAuthorizationCode,
} from "../../tokens/codes.ts";
import { issueIdToken } from "../../tokens/id-token.ts";
import { startRefreshFamily } from "../../tokens/refresh-tokens.ts";
import { revokeIssuedTokens } from "../../tokens/revocation.ts";
import { scopeList } from "../claims.ts";
import type { Client } from "../clients.ts";
import { allValues, type Params } from "../params.ts";
import { verifyS256 } from "../pkce.ts";
import { grantedAudience } from "../resources.ts";
import type { GrantDeps, GrantModule, GrantRequest, TokenResponse } from "./grant.ts";

export const grantType = "authorization_code";

// redirect_uri is required even though RFC 6749 §4.1.3 asks for it only when the authorization
// request carried it: every authorization request here carries it (OIDC Core §3.1.2.1).
export const parameters = {
  required: ["code", "redirect_uri"],
  repeatable: ["resource"],
} as const;

/**
 * How long a redeemed code is remembered, so that a second redemption can revoke what the
 * first one received: at least as long as the access tokens issued from it stay valid.
 */
async function codeReused(deps: GrantDeps, clientId: string, origin: EventOrigin): Promise<void> {
  deps.metrics.codeReuseDetections.inc();
  await recordEvent(deps, { type: "code.reuse_detected", actor: clientId, clientId, ...origin });
}

function usedMarkerTtl(deps: GrantDeps): number {
  return Math.max(deps.config.accessTokenTtl, deps.config.authCodeTtl);
}

function checkPkce(client: Client, grant: AuthorizationCodeGrant, params: Params): void {
  const verifier = params.code_verifier;
  if (grant.codeChallenge !== null) {
    if (verifier === undefined) throw invalidGrant("The code_verifier parameter is missing.");
    if (!verifyS256(verifier, grant.codeChallenge)) {
      throw invalidGrant("The code_verifier does not match the code_challenge.");
    }
    return;
  }
  // A verifier for a code issued without a challenge means the challenge was stripped on the
  // way to the authorization endpoint (PKCE downgrade, RFC 9700 §2.1.1).
  if (verifier !== undefined) {
    throw invalidGrant("A code_verifier was sent, but the authorization request had no PKCE.");
  }
  // The authorization endpoint refuses public clients without PKCE; this holds the line
  // should a code ever be issued without it.
  if (client.authMethod === "none") {
    throw invalidGrant("A public client must use PKCE.");
  }
}

export async function handle(
  deps: GrantDeps,
  { client, params, raw, origin }: GrantRequest,
): Promise<TokenResponse> {
  const markerTtl = usedMarkerTtl(deps);
  const redemption = await redeemAuthorizationCode(deps.kv, params.code ?? "", markerTtl);
  if (redemption.status === "unknown") {
    throw invalidGrant("The authorization code is invalid or has expired.");
  }
  if (redemption.status === "reused") {
    // RFC 6749 §4.1.2: deny, and revoke what was issued from the code. Whoever holds a code
    // that is presented twice, one of the two presenters is not its rightful owner.
    if (redemption.issued) {
      await revokeIssuedTokens(deps, redemption.issued, "authorization code reused");
    }
    deps.log.warn({ clientId: client.id }, "authorization code reused; its tokens are revoked");
    await codeReused(deps, client.id, origin);
    throw invalidGrant("The authorization code has already been used.");
  }

  const { grant, digest } = redemption;
  if (grant.clientId !== client.id) {
    throw invalidGrant(
      "The authorization code was issued to another client.",
      `code of client ${grant.clientId} presented by ${client.id}`,
    );
  }
  if (params.redirect_uri !== grant.redirectUri) {
    throw invalidGrant("The redirect_uri differs from the one of the authorization request.");
  }
  checkPkce(client, grant, params);
  const audience = grantedAudience(
    allValues(raw, "resource"),
    grant.resources,
    deps.config.defaultAudience,
  );
  const [user, ended] = await Promise.all([
    deps.users.find(grant.userId),
    sessionEnded(deps, grant.sid),
  ]);
  if (ended) {
    throw invalidGrant(
      "The login session of this authorization code has ended.",
      `session ${grant.sid} ended after the code was issued`,
    );
  }
  if (!user || user.lockedAt !== null) {
    throw invalidGrant(
      "The user of this authorization code can no longer sign in.",
      `user ${grant.userId} is ${user ? "locked" : "deleted"}`,
    );
  }

  const now = deps.now();
  const family = client.grantTypes.includes("refresh_token")
    ? await startRefreshFamily(
        deps,
        {
          clientId: client.id,
          userId: user.id,
          scope: grant.scope,
          resources: grant.resources,
          amr: grant.amr,
          authTime: grant.authTime,
          sessionId: grant.sid,
        },
        now,
      )
    : null;
  const access = await issueAccessToken(deps, {
    subject: user.id,
    clientId: client.id,
    scope: grant.scope,
    audience,
    authTime: grant.authTime,
    familyId: family?.familyId ?? null,
  });
  const idToken = scopeList(grant.scope).includes("openid")
    ? await issueIdToken(deps, {
        user,
        clientId: client.id,
        scope: grant.scope,
        nonce: grant.nonce,
        authTime: grant.authTime,
        sid: grant.sid,
        amr: grant.amr,
        accessToken: access.token,
      })
    : undefined;

  const issued: IssuedFromCode = {
    accessTokenJtis: [{ jti: access.jti, exp: access.exp }],
    refreshFamilyId: family?.familyId ?? null,
  };
  if (!(await recordIssuedFromCode(deps.kv, digest, issued, markerTtl))) {
    // The code was presented again while these tokens were being made: that redemption found
    // nothing to revoke yet, so this one revokes its own tokens instead of handing them out.
    await revokeIssuedTokens(deps, issued, "authorization code reused");
    deps.log.warn({ clientId: client.id }, "authorization code reused; its tokens are revoked");
    throw invalidGrant("The authorization code has already been used.");
  }

  return {
    access_token: access.token,
    token_type: "Bearer",
    expires_in: access.expiresIn,
    scope: grant.scope,
    ...(family ? { refresh_token: family.refreshToken } : {}),
    ...(idToken === undefined ? {} : { id_token: idToken }),
  };
}

export const authorizationCodeGrant: GrantModule = { grantType, parameters, handle };
