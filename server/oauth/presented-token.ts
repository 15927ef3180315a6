// What the introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1) endpoints share: a
// form with one `token` and an optional `token_type_hint`, an authenticated client, and
// finding out what the token is.
//
// The hint is never needed, so it is never read: both RFCs let the server ignore it when it
// can tell the type itself (RFC 7662 §2.1). Our two kinds cannot be confused: an access
// token is a compact JWS (three base64url parts joined by dots), a refresh token is 43
// base64url characters without a dot. A value of neither shape costs no lookup at all, and
// a JWT never costs a database query.

import type { Deps } from "../deps.ts";
import { invalidClient, invalidRequest, OAuthError } from "../errors.ts";
import { type AccessTokenClaims, verifyAccessToken } from "../tokens/access-token.ts";
import { hasOpaqueTokenShape } from "../tokens/opaque.ts";
import { type FoundRefreshToken, findRefreshToken } from "../tokens/refresh-tokens.ts";
import {
  type AuthenticatedClient,
  authenticateClient,
  type ClientAuthDeps,
} from "./client-auth.ts";
import { type RawParams, singleValued } from "./params.ts";

export interface TokenRequest extends AuthenticatedClient {
  token: string;
}

export type PresentedToken =
  | { kind: "access_token"; claims: AccessTokenClaims }
  | { kind: "refresh_token"; found: FoundRefreshToken };

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Checks the request in the RFCs' order: no repeated parameter (RFC 6749 §3.2), the client's
 * authentication, then the `token` parameter. `publicClients` says whether a client that
 * only names itself (auth method none) is accepted.
 */
export async function readTokenRequest(
  deps: ClientAuthDeps,
  request: { authorization: string | undefined; body: RawParams },
  options: { endpoint: string; endpointPath: string; publicClients: boolean },
): Promise<TokenRequest> {
  const params = singleValued(request.body);
  const authenticated = await authenticateClient(deps, {
    authorization: request.authorization,
    params,
    endpointPath: options.endpointPath,
  });
  if (authenticated.method === "none" && !options.publicClients) {
    throw invalidClient(
      `The ${options.endpoint} endpoint requires client authentication; public clients cannot use it.`,
      `public client ${authenticated.client.id}`,
    );
  }
  const token = params.token;
  if (token === undefined) throw invalidRequest("The token parameter is missing.");
  return { ...authenticated, token };
}

/**
 * The access token (fully verified: signature, iss, exp, typ, deny list, revoked family) or
 * the refresh token (found by digest, in whatever state) that the value is; null when it is
 * neither: malformed, unknown, foreign, expired or revoked access tokens, unknown refresh
 * tokens, and anything else.
 */
export async function findPresentedToken(
  deps: Pick<Deps, "db" | "kv" | "keys">,
  token: string,
): Promise<PresentedToken | null> {
  if (COMPACT_JWS.test(token)) {
    try {
      return { kind: "access_token", claims: await verifyAccessToken(deps, token) };
    } catch (err) {
      if (err instanceof OAuthError && err.error === "invalid_token") return null;
      throw err;
    }
  }
  if (hasOpaqueTokenShape(token)) {
    const found = await findRefreshToken(deps.db, token);
    return found ? { kind: "refresh_token", found } : null;
  }
  return null;
}

/** The client a presented token was issued to. */
export function tokenClientId(presented: PresentedToken): string {
  return presented.kind === "access_token"
    ? presented.claims.clientId
    : presented.found.family.clientId;
}
