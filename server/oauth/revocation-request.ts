// Token revocation (RFC 7009), in the order of its §2.1: authenticate the client, check that
// the token was issued to it, then invalidate the token.
//
// - Client authentication as at the token endpoint. §2.1 validates credentials "in case of a
//   confidential client", so a public client may revoke by naming its client_id: anyone who
//   could abuse that already holds the token, and a signing-out SPA needs it.
// - A refresh token revokes its whole family (the grant): the other refresh tokens of the
//   family, and every access token issued from it (revokeFamily marks the family, which
//   access-token verification checks), as §2.1 says the server SHOULD. A rotated token of a
//   live family counts too: its client is asking to end that grant.
// - An access token goes on the deny list until it expires. Its refresh family stays: §2.1
//   only allows ("MAY") revoking it, and a client dropping one access token (say, one that
//   leaked into a log) should not sign its user out. Resource servers that verify access
//   tokens offline cannot see this revocation: that is why access tokens live only minutes.
// - An invalid, expired, unknown or already revoked token is no error (§2.2): its
//   revocation has, in effect, already happened.
// - A live token of another client fails §2.1's check, "the request is refused and the client
//   is informed of the error": invalid_grant, whose definition (RFC 6749 §5.2) names a token
//   "issued to another client". Except for a public client: as it proves nothing about
//   itself, that answer would let anyone test whether a token is live, so it gets the plain
//   200 of §2.2 instead. In both cases nothing is revoked.
// - unsupported_token_type is never sent: both kinds of token this server issues can be
//   revoked, and token_type_hint is not needed to find them (see presented-token.ts).

import type { Deps } from "../deps.ts";
import { invalidGrant } from "../errors.ts";
import { type EventOrigin, recordEvent } from "../observability/events.ts";
import { isRefreshTokenActive } from "../tokens/refresh-tokens.ts";
import { denyAccessToken, revokeFamily } from "../tokens/revocation.ts";
import { TOKEN_ENDPOINT_AUTH_METHODS } from "./client-auth.ts";
import { ENDPOINT_PATHS } from "./endpoints.ts";
import type { RawParams } from "./params.ts";
import {
  findPresentedToken,
  type PresentedToken,
  readTokenRequest,
  tokenClientId,
} from "./presented-token.ts";

/** Every method of the token endpoint, `none` included (see above). */
export const REVOCATION_ENDPOINT_AUTH_METHODS = [...TOKEN_ENDPOINT_AUTH_METHODS];

type RevocationDeps = Pick<
  Deps,
  "config" | "db" | "kv" | "keys" | "now" | "clientJwks" | "clients" | "log"
>;

export async function revokeToken(
  deps: RevocationDeps,
  request: { authorization: string | undefined; body: RawParams; origin?: EventOrigin },
): Promise<void> {
  const { client, method, token } = await readTokenRequest(deps, request, {
    endpoint: "revocation",
    endpointPath: ENDPOINT_PATHS.revocation,
    publicClients: true,
  });
  const presented = await findPresentedToken(deps, token);
  if (presented === null) return;
  const revoked = (details: Record<string, unknown>, userId: string | null) =>
    recordEvent(deps, {
      type: "token.revoked",
      actor: client.id,
      clientId: client.id,
      userId,
      details,
      ...request.origin,
    });

  const owner = tokenClientId(presented);
  if (owner !== client.id) {
    // Another client's token that no longer works is just an invalid token (§2.2).
    if (!isLive(deps, presented)) return;
    deps.log.warn(
      { clientId: client.id, owner, kind: presented.kind },
      "a client tried to revoke another client's token",
    );
    if (method === "none") return;
    throw invalidGrant(
      "The token was issued to another client.",
      `${presented.kind} of client ${owner} presented by ${client.id}`,
    );
  }

  if (presented.kind === "access_token") {
    await denyAccessToken(deps.kv, presented.claims, deps.now(), deps.config.clockSkew);
    deps.log.info({ clientId: client.id, jti: presented.claims.jti }, "access token revoked");
    const subject = presented.claims.sub === client.id ? null : (presented.claims.sub ?? null);
    await revoked({ token_type: "access_token", jti: presented.claims.jti }, subject);
    return;
  }
  const { family } = presented.found;
  if (family.revokedAt !== null) return;
  await revokeFamily(deps, family.id, "revoked by its client");
  deps.log.info({ clientId: client.id, familyId: family.id }, "refresh family revoked");
  await revoked({ token_type: "refresh_token", family_id: family.id }, family.userId);
}

/** Whether the token still works: found access tokens passed verification, so they do. */
function isLive(deps: RevocationDeps, presented: PresentedToken): boolean {
  return (
    presented.kind === "access_token" ||
    isRefreshTokenActive(presented.found, deps.now(), deps.config)
  );
}
