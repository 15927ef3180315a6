// The client credentials grant (RFC 6749 §4.4): a confidential client gets an access token on
// its own behalf. `sub` is the client id (RFC 9068 §2.2); there is no user, so no auth_time,
// no ID token and no refresh token (§4.4.3). Scope: see token-scope.ts; without a scope
// parameter the client gets every scope it is registered for except openid and
// offline_access. Audience: the RFC 8707 resources requested, else DEFAULT_AUDIENCE; a client
// has no registered resource list, so any well-formed resource may be named.
//
// This is the hot path of machine clients: the token endpoint has already looked the client
// up once and compared a SHA-256 digest; what is left is one signature. Nothing is written.

import { unauthorizedClient } from "../../errors.ts";
import { issueAccessToken } from "../../tokens/access-token.ts";
import { allValues } from "../params.ts";
import { checkResources } from "../resources.ts";
import { clientCredentialsScope } from "../token-scope.ts";
import type { GrantDeps, GrantModule, GrantRequest, TokenResponse } from "./grant.ts";

export const grantType = "client_credentials";

export const parameters = {
  required: [],
  repeatable: ["resource"],
} as const;

export async function handle(
  deps: GrantDeps,
  { client, params, raw }: GrantRequest,
): Promise<TokenResponse> {
  // Registration refuses this grant to public clients; this holds the line regardless
  // (§4.4: confidential clients only).
  if (client.authMethod === "none") {
    throw unauthorizedClient("A public client cannot use the client_credentials grant.");
  }
  const scope = clientCredentialsScope(params.scope, client.scope);
  const resources = checkResources(allValues(raw, "resource"));
  const access = await issueAccessToken(deps, {
    subject: client.id,
    clientId: client.id,
    scope,
    audience: resources.length > 0 ? resources : [deps.config.defaultAudience],
    authTime: null,
  });
  return {
    access_token: access.token,
    token_type: "Bearer",
    expires_in: access.expiresIn,
    scope,
  };
}

export const clientCredentialsGrant: GrantModule = { grantType, parameters, handle };
