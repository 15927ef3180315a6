// The rules a client's registration must satisfy, shared by the CLI and (later) Dynamic
// Client Registration: redirect URIs (RFC 6749 §3.1.2, RFC 9700 §2.1, RFC 8252 §7.3), grant
// types and the authentication method that must fit them, scopes (RFC 6749 §3.3) and the
// keys of private_key_jwt clients (RFC 7523, RFC 7591 §2).

import { isLoopbackHost } from "../config.ts";
import { invalidRequest } from "../errors.ts";
import type { JsonWebKeySet } from "../store/db/clients.ts";

export const AUTH_METHODS = [
  "client_secret_basic",
  "client_secret_post",
  "none",
  "private_key_jwt",
] as const;
export type ClientAuthMethod = (typeof AUTH_METHODS)[number];

export const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

const NAME_MAX_LENGTH = 200;
const URI_MAX_LENGTH = 2000;
const MAX_URIS = 20;
const SCOPE_MAX_LENGTH = 1000;
const MAX_JWKS_KEYS = 10;
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export interface ClientMetadataInput {
  name: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: string[];
  authMethod?: string;
  scope?: string;
  skipConsent?: boolean;
  jwksUri?: string | null;
  jwks?: unknown;
}

export interface ClientMetadata {
  name: string;
  authMethod: ClientAuthMethod;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: GrantType[];
  responseTypes: string[];
  scope: string;
  skipConsent: boolean;
  jwksUri: string | null;
  jwks: JsonWebKeySet | null;
}

/** Why a redirect URI is not acceptable, or null when it is. Matching later is exact. */
export function redirectUriProblem(uri: string): string | null {
  if (uri.length > URI_MAX_LENGTH) return `is longer than ${URI_MAX_LENGTH} characters`;
  // The URL parser would silently strip or encode these, and matching is by exact string.
  if (/[\s\p{Cc}]/u.test(uri)) return "contains whitespace or control characters";
  if (!URL.canParse(uri)) return "is not an absolute URI";
  if (uri.includes("#")) return "must not contain a fragment";
  const url = new URL(uri);
  if (url.username || url.password) return "must not contain credentials";
  if (url.hostname.includes("*")) return "must not contain a wildcard";
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return null;
  return "must use https (http is allowed only for loopback hosts)";
}

function checkUris(uris: string[], label: string): string[] {
  const unique = [...new Set(uris)];
  if (unique.length > MAX_URIS) throw invalidRequest(`At most ${MAX_URIS} ${label}s are allowed.`);
  for (const uri of unique) {
    const problem = redirectUriProblem(uri);
    if (problem) throw invalidRequest(`Invalid ${label} "${uri.slice(0, 200)}": it ${problem}.`);
  }
  return unique;
}

/** Splits, checks and de-duplicates a space-separated scope; "" is no scope. */
export function normalizeScope(scope: string): string {
  if (scope.length > SCOPE_MAX_LENGTH) {
    throw invalidRequest(`The scope is longer than ${SCOPE_MAX_LENGTH} characters.`);
  }
  const tokens = scope.split(" ").filter((token) => token !== "");
  const bad = tokens.find((token) => !SCOPE_TOKEN.test(token));
  if (bad !== undefined) throw invalidRequest(`Invalid scope "${bad.slice(0, 100)}".`);
  return [...new Set(tokens)].join(" ");
}

function checkJwks(jwks: unknown): JsonWebKeySet {
  const set = jwks as { keys?: unknown } | null;
  if (typeof set !== "object" || set === null || !Array.isArray(set.keys)) {
    throw invalidRequest('The JWK Set must be a JSON object with a "keys" array.');
  }
  if (set.keys.length === 0 || set.keys.length > MAX_JWKS_KEYS) {
    throw invalidRequest(`The JWK Set must hold 1 to ${MAX_JWKS_KEYS} keys.`);
  }
  for (const key of set.keys as unknown[]) {
    if (typeof key !== "object" || key === null || Array.isArray(key)) {
      throw invalidRequest("Every key of the JWK Set must be a JSON object.");
    }
    const jwk = key as Record<string, unknown>;
    if (!["RSA", "EC", "OKP"].includes(jwk.kty as string)) {
      throw invalidRequest("Every key of the JWK Set must have kty RSA, EC or OKP.");
    }
    if (PRIVATE_JWK_MEMBERS.some((member) => member in jwk)) {
      throw invalidRequest("The JWK Set must hold public keys only.");
    }
  }
  return { keys: set.keys as Array<Record<string, unknown>> };
}

function defaultScope(grantTypes: GrantType[]): string {
  if (!grantTypes.includes("authorization_code")) return "";
  return grantTypes.includes("refresh_token")
    ? "openid profile email offline_access"
    : "openid profile email";
}

/**
 * Checks a registration and fills in the defaults: client_secret_basic; with redirect URIs
 * (or for a public client) authorization_code + refresh_token, otherwise client_credentials;
 * the OpenID scopes for clients that sign users in, no scope for machine clients.
 */
export function resolveClientMetadata(input: ClientMetadataInput): ClientMetadata {
  const name = input.name.trim();
  if (name === "" || [...name].length > NAME_MAX_LENGTH) {
    throw invalidRequest(`The client name must have 1 to ${NAME_MAX_LENGTH} characters.`);
  }

  const authMethod = (input.authMethod ?? "client_secret_basic") as ClientAuthMethod;
  if (!AUTH_METHODS.includes(authMethod)) {
    throw invalidRequest(
      `Unknown auth method "${authMethod}"; use one of ${AUTH_METHODS.join(", ")}.`,
    );
  }

  const redirectUris = checkUris(input.redirectUris ?? [], "redirect URI");
  const postLogoutRedirectUris = checkUris(
    input.postLogoutRedirectUris ?? [],
    "post-logout redirect URI",
  );

  const userFacing = redirectUris.length > 0 || authMethod === "none";
  const requested = input.grantTypes?.length
    ? input.grantTypes
    : userFacing
      ? ["authorization_code", "refresh_token"]
      : ["client_credentials"];
  const unknown = requested.find((grant) => !(GRANT_TYPES as readonly string[]).includes(grant));
  if (unknown !== undefined) {
    throw invalidRequest(`Unknown grant type "${unknown}"; use ${GRANT_TYPES.join(", ")}.`);
  }
  const grantTypes = [...new Set(requested)] as GrantType[];
  const authorizationCode = grantTypes.includes("authorization_code");

  if (authorizationCode && redirectUris.length === 0) {
    throw invalidRequest("The authorization_code grant needs at least one redirect URI.");
  }
  if (!authorizationCode && redirectUris.length > 0) {
    throw invalidRequest("Redirect URIs are used only with the authorization_code grant.");
  }
  if (!authorizationCode && postLogoutRedirectUris.length > 0) {
    throw invalidRequest("Post-logout redirect URIs need the authorization_code grant.");
  }
  if (grantTypes.includes("refresh_token") && !authorizationCode) {
    throw invalidRequest("The refresh_token grant needs the authorization_code grant.");
  }
  if (authMethod === "none" && grantTypes.includes("client_credentials")) {
    throw invalidRequest("A public client (auth method none) cannot use client_credentials.");
  }

  const jwksUri = input.jwksUri ?? null;
  const hasJwks = input.jwks !== undefined && input.jwks !== null;
  if (authMethod === "private_key_jwt") {
    if ((jwksUri === null) === !hasJwks) {
      throw invalidRequest(
        "A private_key_jwt client needs exactly one of a JWKS URI and a JWK Set.",
      );
    }
  } else if (jwksUri !== null || hasJwks) {
    throw invalidRequest("A JWKS URI or JWK Set is used only with private_key_jwt.");
  }
  if (jwksUri !== null) {
    const problem = redirectUriProblem(jwksUri);
    if (problem)
      throw invalidRequest(`Invalid JWKS URI "${jwksUri.slice(0, 200)}": it ${problem}.`);
  }

  return {
    name,
    authMethod,
    redirectUris,
    postLogoutRedirectUris,
    grantTypes,
    responseTypes: authorizationCode ? ["code"] : [],
    scope: input.scope === undefined ? defaultScope(grantTypes) : normalizeScope(input.scope),
    skipConsent: input.skipConsent ?? false,
    jwksUri,
    jwks: hasJwks ? checkJwks(input.jwks) : null,
  };
}
