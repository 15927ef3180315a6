// id_token_hint (OIDC Core §3.1.2.1, RP-Initiated Logout 1.0 §2): an ID token this server
// issued earlier, sent back as a hint about who the client thinks is signed in. It is
// commonly expired by the time it is sent, and both specs accept that, so only its signature,
// issuer and type are checked here, not its expiry. The authorization endpoint uses only the
// subject: a session for a different user is not used for the request (see authorize-flow.ts).
// The logout endpoint also uses the audience (which client sent it) and the sid (which login
// session it came from).

import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from "jose";
import type { Config } from "../config.ts";
import { authorizationError, invalidRequest, OAuthError } from "../errors.ts";
import type { KeyStore } from "../keys/keystore.ts";

const ACCESS_TOKEN_TYP = "at+jwt";

type HintClaims = { iss?: unknown; sub?: unknown; aud?: unknown; azp?: unknown; sid?: unknown };

/** What a valid hint says. */
export interface IdTokenHint {
  sub: string;
  /** The clients the token was issued to (the `aud` claim as a list). */
  aud: string[];
  azp: string | null;
  /** The login session the token came from, when it names one. */
  sid: string | null;
}

type HintDeps = { keys: Pick<KeyStore, "jwks">; config: Pick<Config, "issuer"> };

/**
 * The claims of a valid hint; a non-redirectable invalid_request when it is not an ID token
 * of this issuer (a bad signature, a foreign key or issuer, an access token, garbage).
 */
export async function verifyIdTokenHint(hint: string, deps: HintDeps): Promise<IdTokenHint> {
  const invalid = (detail: string) =>
    invalidRequest("id_token_hint is not an ID token issued by this server.", detail);
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
  const aud = typeof claims.aud === "string" ? [claims.aud] : claims.aud;
  if (!Array.isArray(aud) || !aud.every((a): a is string => typeof a === "string")) {
    throw invalid("id_token_hint has no audience");
  }
  return {
    sub: claims.sub,
    aud,
    azp: typeof claims.azp === "string" ? claims.azp : null,
    sid: typeof claims.sid === "string" && claims.sid !== "" ? claims.sid : null,
  };
}

/** The `sub` of a valid hint; a redirectable invalid_request for the authorization endpoint. */
export async function idTokenHintSubject(hint: string, deps: HintDeps): Promise<string> {
  try {
    return (await verifyIdTokenHint(hint, deps)).sub;
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    throw authorizationError(err.error, err.description, err.detail);
  }
}
