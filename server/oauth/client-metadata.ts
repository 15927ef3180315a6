// The rules a client's registration must satisfy, shared by the CLI and Dynamic Client
// Registration: redirect URIs (RFC 6749 §3.1.2, RFC 9700 §2.1, RFC 8252 §7.3), grant and
// response types and the authentication method that must fit them (RFC 7591 §2.1), scopes
// (RFC 6749 §3.3), the keys of private_key_jwt clients (client-jwks.ts) and the descriptive
// metadata of RFC 7591 §2. The two callers differ only in the error codes they answer with
// and in how far they trust the input: see MetadataRules.

import { invalidRequest, type OAuthError } from "../errors.ts";
import type { JsonWebKeySet } from "../store/db/clients.ts";
import { resolveClientKeys } from "./client-jwks.ts";
import { checkUris, webUriProblem } from "./client-uris.ts";

export { redirectUriProblem, webUriProblem } from "./client-uris.ts";

export const AUTH_METHODS = [
  "client_secret_basic",
  "client_secret_post",
  "none",
  "private_key_jwt",
] as const;
export type ClientAuthMethod = (typeof AUTH_METHODS)[number];

export const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** RFC 7591 §2.1: "code" goes with authorization_code; implicit ("token") is not offered. */
export const RESPONSE_TYPES = ["code"] as const;

/** The one algorithm ID tokens are signed with (OIDC Registration §2, the default). */
export const ID_TOKEN_SIGNING_ALG = "RS256";

const NAME_MAX_LENGTH = 200;
const SCOPE_MAX_LENGTH = 1000;
const MAX_CONTACTS = 10;
const CONTACT_MAX_LENGTH = 320;
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export interface ClientMetadataInput {
  name: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: string[];
  responseTypes?: string[];
  authMethod?: string;
  scope?: string;
  skipConsent?: boolean;
  jwksUri?: string | null;
  jwks?: unknown;
  clientUri?: string | null;
  logoUri?: string | null;
  policyUri?: string | null;
  tosUri?: string | null;
  contacts?: string[];
  /** Checked, not stored: ID tokens are always signed with ID_TOKEN_SIGNING_ALG. */
  idTokenSignedResponseAlg?: string;
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
  clientUri: string | null;
  logoUri: string | null;
  policyUri: string | null;
  tosUri: string | null;
  contacts: string[];
}

export interface MetadataRules {
  /** The error for a problem with the redirect URIs. */
  redirectUriError: (description: string) => OAuthError;
  /** The error for a problem with any other value. */
  metadataError: (description: string) => OAuthError;
  /** Self-registered clients are untrusted: stricter key checks (see client-jwks.ts). */
  selfRegistered: boolean;
}

/** The CLI and admin API: invalid_request for every problem, keys as the operator gives them. */
export const OPERATOR_RULES: MetadataRules = {
  redirectUriError: invalidRequest,
  metadataError: invalidRequest,
  selfRegistered: false,
};

/** Splits, checks and de-duplicates a space-separated scope; "" is no scope. */
export function normalizeScope(
  scope: string,
  fail: (description: string) => OAuthError = invalidRequest,
): string {
  if (scope.length > SCOPE_MAX_LENGTH) {
    throw fail(`The scope is longer than ${SCOPE_MAX_LENGTH} characters.`);
  }
  const tokens = scope.split(" ").filter((token) => token !== "");
  const bad = tokens.find((token) => !SCOPE_TOKEN.test(token));
  if (bad !== undefined) throw fail(`Invalid scope "${bad.slice(0, 100)}".`);
  return [...new Set(tokens)].join(" ");
}

function defaultScope(grantTypes: GrantType[]): string {
  if (!grantTypes.includes("authorization_code")) return "";
  return grantTypes.includes("refresh_token")
    ? "openid profile email offline_access"
    : "openid profile email";
}

/** Without response types, those that fit the grants; with them, they must fit. */
function resolveResponseTypes(
  requested: string[] | undefined,
  authorizationCode: boolean,
  fail: MetadataRules["metadataError"],
): string[] {
  if (!requested?.length) return authorizationCode ? ["code"] : [];
  const unique = [...new Set(requested)];
  const unsupported = unique.find((type) => !(RESPONSE_TYPES as readonly string[]).includes(type));
  if (unsupported !== undefined) {
    throw fail(`Unsupported response type "${unsupported.slice(0, 100)}"; only "code" is offered.`);
  }
  if (!authorizationCode) throw fail("The response type code needs the authorization_code grant.");
  return unique;
}

function checkDescriptive(
  input: ClientMetadataInput,
  fail: MetadataRules["metadataError"],
): Pick<ClientMetadata, "clientUri" | "logoUri" | "policyUri" | "tosUri" | "contacts"> {
  const uri = (value: string | null | undefined, label: string): string | null => {
    if (value === undefined || value === null) return null;
    const problem = webUriProblem(value);
    if (problem) throw fail(`Invalid ${label} "${value.slice(0, 200)}": it ${problem}.`);
    return value;
  };
  const contacts = [...new Set(input.contacts ?? [])];
  if (contacts.length > MAX_CONTACTS) throw fail(`At most ${MAX_CONTACTS} contacts are allowed.`);
  for (const contact of contacts) {
    if (contact.length === 0 || contact.length > CONTACT_MAX_LENGTH || /\p{Cc}/u.test(contact)) {
      throw fail(`Every contact must have 1 to ${CONTACT_MAX_LENGTH} printable characters.`);
    }
  }
  return {
    clientUri: uri(input.clientUri, "client_uri"),
    logoUri: uri(input.logoUri, "logo_uri"),
    policyUri: uri(input.policyUri, "policy_uri"),
    tosUri: uri(input.tosUri, "tos_uri"),
    contacts,
  };
}

/**
 * Checks a registration and fills in the defaults: client_secret_basic; with redirect URIs
 * (or for a public client) authorization_code + refresh_token, otherwise client_credentials;
 * the response types that fit the grants; the OpenID scopes for clients that sign users in,
 * no scope for machine clients.
 */
export function resolveClientMetadata(
  input: ClientMetadataInput,
  rules: MetadataRules = OPERATOR_RULES,
): ClientMetadata {
  const { redirectUriError, metadataError: fail } = rules;
  const name = input.name.trim();
  if (name === "" || [...name].length > NAME_MAX_LENGTH) {
    throw fail(`The client name must have 1 to ${NAME_MAX_LENGTH} characters.`);
  }

  const authMethod = (input.authMethod ?? "client_secret_basic") as ClientAuthMethod;
  if (!AUTH_METHODS.includes(authMethod)) {
    throw fail(
      `Unknown auth method "${authMethod.slice(0, 100)}"; use one of ${AUTH_METHODS.join(", ")}.`,
    );
  }

  const redirectUris = checkUris(input.redirectUris ?? [], "redirect URI", redirectUriError);
  const postLogoutRedirectUris = checkUris(
    input.postLogoutRedirectUris ?? [],
    "post-logout redirect URI",
    fail,
  );

  const userFacing = redirectUris.length > 0 || authMethod === "none";
  const requested = input.grantTypes?.length
    ? input.grantTypes
    : userFacing
      ? ["authorization_code", "refresh_token"]
      : ["client_credentials"];
  const unknown = requested.find((grant) => !(GRANT_TYPES as readonly string[]).includes(grant));
  if (unknown !== undefined) {
    throw fail(`Unknown grant type "${unknown.slice(0, 100)}"; use ${GRANT_TYPES.join(", ")}.`);
  }
  const grantTypes = [...new Set(requested)] as GrantType[];
  const authorizationCode = grantTypes.includes("authorization_code");
  const responseTypes = resolveResponseTypes(input.responseTypes, authorizationCode, fail);

  if (authorizationCode && redirectUris.length === 0) {
    throw redirectUriError("The authorization_code grant needs at least one redirect URI.");
  }
  if (!authorizationCode && redirectUris.length > 0) {
    throw redirectUriError("Redirect URIs are used only with the authorization_code grant.");
  }
  if (!authorizationCode && postLogoutRedirectUris.length > 0) {
    throw fail("Post-logout redirect URIs need the authorization_code grant.");
  }
  if (grantTypes.includes("refresh_token") && !authorizationCode) {
    throw fail("The refresh_token grant needs the authorization_code grant.");
  }
  if (authMethod === "none" && grantTypes.includes("client_credentials")) {
    throw fail("A public client (auth method none) cannot use client_credentials.");
  }
  if (
    input.idTokenSignedResponseAlg !== undefined &&
    input.idTokenSignedResponseAlg !== ID_TOKEN_SIGNING_ALG
  ) {
    throw fail(`ID tokens are signed with ${ID_TOKEN_SIGNING_ALG} only.`);
  }

  return {
    name,
    authMethod,
    redirectUris,
    postLogoutRedirectUris,
    grantTypes,
    responseTypes,
    scope: input.scope === undefined ? defaultScope(grantTypes) : normalizeScope(input.scope, fail),
    skipConsent: input.skipConsent ?? false,
    ...resolveClientKeys(authMethod, input, { fail, selfRegistered: rules.selfRegistered }),
    ...checkDescriptive(input, fail),
  };
}
