// Token introspection (RFC 7662): what an authenticated client may learn about a token.
//
// Who may ask (§2.1 requires authorization, to stop token scanning): only a client that
// authenticates. A public client proves nothing by naming its client_id, so it is refused
// with invalid_client (401) rather than answered.
//
// What each caller may see (§2.2: a token the caller may not know about is `active: false`):
// - An access token, by any authenticated client. Resource servers are registered as
//   confidential clients, and this server does not (yet) know which resource URIs each of
//   them serves, so it cannot tell whether the caller is in the token's `aud`. The answer
//   therefore carries `aud`, which the resource server must check before it accepts the
//   token (RFC 9068 §4); everything else in the answer except `username` is readable from
//   the JWT by whoever holds it anyway. The client the token was issued to may introspect it
//   too.
// - A refresh token, only by the client it was issued to: it is a credential for the token
//   endpoint, and no resource server has a reason to see one.
// - `username` (the user's email) only when the token's scope includes `email`: the user
//   agreed to share the address with that client, and introspection must not reveal more.
//
// token_type (§2.2) is a type "as defined in Section 5.1 of OAuth 2.0", i.e. the access token
// type of RFC 6749 §7.1: "Bearer" for access tokens. A refresh token has no such type, so the
// member is left out for it; its `aud` is this issuer, the only party that accepts it.

import type { Deps } from "../deps.ts";
import type { AccessTokenClaims } from "../tokens/access-token.ts";
import { type FoundRefreshToken, isRefreshTokenActive } from "../tokens/refresh-tokens.ts";
import { scopeList } from "./claims.ts";
import { TOKEN_ENDPOINT_AUTH_METHODS } from "./client-auth.ts";
import type { Client } from "./clients.ts";
import { ENDPOINT_PATHS } from "./endpoints.ts";
import type { RawParams } from "./params.ts";
import { findPresentedToken, readTokenRequest } from "./presented-token.ts";

/** The token endpoint's methods minus `none`: introspection needs real authentication. */
export const INTROSPECTION_ENDPOINT_AUTH_METHODS = TOKEN_ENDPOINT_AUTH_METHODS.filter(
  (method) => method !== "none",
);

export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      sub: string;
      aud: string | string[];
      iss: string;
      exp: number;
      iat: number;
      token_type?: "Bearer";
      jti?: string;
      username?: string;
    };

type IntrospectionDeps = Pick<
  Deps,
  "config" | "db" | "kv" | "keys" | "now" | "clientJwks" | "clients" | "users"
>;

const INACTIVE: IntrospectionResponse = { active: false };

export async function introspect(
  deps: IntrospectionDeps,
  request: { authorization: string | undefined; body: RawParams },
): Promise<IntrospectionResponse> {
  const { client, token } = await readTokenRequest(deps, request, {
    endpoint: "introspection",
    endpointPath: ENDPOINT_PATHS.introspection,
    publicClients: false,
  });
  const presented = await findPresentedToken(deps, token);
  if (presented?.kind === "access_token") return describeAccessToken(deps, presented.claims);
  if (presented?.kind === "refresh_token") {
    return describeRefreshToken(deps, client, presented.found);
  }
  return INACTIVE;
}

/**
 * The user a token speaks for, if it may still act: null when the user is gone or locked.
 * The email is returned only where the token's scope releases it.
 */
async function activeUser(
  deps: IntrospectionDeps,
  userId: string,
  scope: string,
): Promise<{ username?: string } | null> {
  const user = await deps.users.find(userId);
  if (!user || user.lockedAt !== null) return null;
  return scopeList(scope).includes("email") ? { username: user.email } : {};
}

async function describeAccessToken(
  deps: IntrospectionDeps,
  claims: AccessTokenClaims,
): Promise<IntrospectionResponse> {
  // Client credentials tokens have the client as subject: there is no user to look up.
  const user =
    claims.sub === claims.clientId ? {} : await activeUser(deps, claims.sub, claims.scope);
  if (user === null) return INACTIVE;
  return {
    active: true,
    scope: claims.scope,
    client_id: claims.clientId,
    sub: claims.sub,
    aud: claims.audience.length === 1 ? (claims.audience[0] as string) : claims.audience,
    iss: deps.config.issuer,
    exp: claims.exp,
    iat: claims.iat,
    token_type: "Bearer",
    jti: claims.jti,
    ...user,
  };
}

async function describeRefreshToken(
  deps: IntrospectionDeps,
  client: Client,
  found: FoundRefreshToken,
): Promise<IntrospectionResponse> {
  const { family } = found;
  if (family.clientId !== client.id) return INACTIVE;
  if (!isRefreshTokenActive(found, deps.now(), deps.config)) return INACTIVE;
  const user = await activeUser(deps, family.userId, family.scope);
  if (user === null) return INACTIVE;
  // The token dies at the family's absolute expiry or after the idle lifetime without use,
  // whichever comes first.
  const idleDeadline = family.lastUsedAt.getTime() + deps.config.refreshTokenIdleTtl * 1000;
  return {
    active: true,
    scope: family.scope,
    client_id: family.clientId,
    sub: family.userId,
    aud: deps.config.issuer,
    iss: deps.config.issuer,
    exp: seconds(Math.min(family.expiresAt.getTime(), idleDeadline)),
    iat: seconds(found.createdAt.getTime()),
    ...user,
  };
}

function seconds(milliseconds: number): number {
  return Math.floor(milliseconds / 1000);
}
