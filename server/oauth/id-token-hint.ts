// id_token_hint (OIDC Core §3.1.2.1): an ID token this server issued earlier, sent back as a
// hint about who the client thinks is signed in. It is commonly expired by the time it is
// sent, and the spec accepts that, so only its signature, issuer and type are checked here,
// not its expiry. Only the subject is used: a session for a different user is not used for
// the request (see authorize-flow.ts).

import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from "jose";
import type { Config } from "../config.ts";
import { authorizationError } from "../errors.ts";
import type { KeyStore } from "../keys/keystore.ts";

const ACCESS_TOKEN_TYP = "at+jwt";

type HintClaims = { iss?: unknown; sub?: unknown };

/** The `sub` of a valid hint; invalid_request when it is not an ID token of this issuer. */
export async function idTokenHintSubject(
  hint: string,
  deps: { keys: Pick<KeyStore, "jwks">; config: Pick<Config, "issuer"> },
): Promise<string> {
  const invalid = (detail: string) =>
    authorizationError(
      "invalid_request",
      "id_token_hint is not an ID token issued by this server.",
      detail,
    );
  const jwks = createLocalJWKSet(JSON.parse(deps.keys.jwks().body) as JSONWebKeySet);
  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(hint, jwks, { algorithms: ["RS256"] });
  } catch (err) {
    throw invalid(`id_token_hint: ${(err as Error).message}`);
  }
  // An access token is signed with the same keys; it must not pass for an ID token.
  if (verified.protectedHeader.typ?.toLowerCase() === ACCESS_TOKEN_TYP) {
    throw invalid("id_token_hint is an access token");
  }
  let claims: HintClaims | null = null;
  try {
    claims = JSON.parse(new TextDecoder().decode(verified.payload)) as HintClaims | null;
  } catch {}
  if (typeof claims !== "object" || claims === null) {
    throw invalid("id_token_hint payload is not a JSON object");
  }
  if (claims.iss !== deps.config.issuer) throw invalid("id_token_hint has another issuer");
  if (typeof claims.sub !== "string" || claims.sub === "") {
    throw invalid("id_token_hint has no subject");
  }
  return claims.sub;
}
