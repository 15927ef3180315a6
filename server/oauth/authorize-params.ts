// The parameters of an authorization request that have rules of their own: scope (RFC 6749
// §3.3), PKCE (RFC 7636 §4.3), prompt and max_age (OIDC Core §3.1.2.1) and resource
// (RFC 8707 §2). Every failure is an error for the (already trusted) client.

import { authorizationError } from "../errors.ts";
import type { Client } from "../store/db/clients.ts";
import type { RawParams } from "./params.ts";
import { S256_CODE_CHALLENGE } from "./pkce.ts";

export const PROMPT_VALUES = ["none", "login", "consent", "select_account"] as const;
export type Prompt = (typeof PROMPT_VALUES)[number];

const SCOPE_MAX_LENGTH = 1000;
const MAX_RESOURCES = 10;
/** max_age up to ten years; any larger number means the same thing. */
const MAX_AGE_LIMIT = 10 * 365 * 86400;

/** RFC 6749 §3.3: every requested scope must be one the client is registered for. */
export function parseScope(scope: string | null, client: Client): string[] {
  if (scope === null) throw authorizationError("invalid_scope", "scope is missing.");
  if (scope.length > SCOPE_MAX_LENGTH)
    throw authorizationError("invalid_scope", "scope is too long.");
  const requested = [...new Set(scope.split(" ").filter((token) => token !== ""))];
  const allowed = new Set(client.scope.split(" "));
  const refused = requested.find((token) => !allowed.has(token));
  if (refused !== undefined) {
    throw authorizationError(
      "invalid_scope",
      `The scope "${refused.slice(0, 100)}" is unknown or not allowed for this client.`,
    );
  }
  if (requested.length === 0) throw authorizationError("invalid_scope", "scope is empty.");
  return requested;
}

/** RFC 7636 §4.3 with S256 only: `plain`, and a challenge without a method (which means plain), are refused. */
export function parsePkce(
  challenge: string | null,
  method: string | null,
  required: boolean,
): { codeChallenge: string | null; codeChallengeMethod: "S256" | null } {
  const fail = (description: string) => authorizationError("invalid_request", description);
  if (challenge === null) {
    if (method !== null) throw fail("code_challenge_method was sent without code_challenge.");
    if (required) throw fail("code_challenge is required (PKCE with S256).");
    return { codeChallenge: null, codeChallengeMethod: null };
  }
  if (method === null) throw fail("code_challenge_method is required and must be S256.");
  if (method !== "S256") throw fail("code_challenge_method must be S256; plain is not allowed.");
  if (!S256_CODE_CHALLENGE.test(challenge)) {
    throw fail("code_challenge must be the base64url SHA-256 of the code verifier.");
  }
  return { codeChallenge: challenge, codeChallengeMethod: "S256" };
}

/** OIDC Core §3.1.2.1: space-separated values; `none` stands alone. */
export function parsePrompt(prompt: string | null): Prompt[] {
  if (prompt === null) return [];
  const values = [...new Set(prompt.split(" ").filter((value) => value !== ""))];
  const unknown = values.find((value) => !(PROMPT_VALUES as readonly string[]).includes(value));
  if (unknown !== undefined) {
    throw authorizationError("invalid_request", `Unknown prompt value "${unknown.slice(0, 50)}".`);
  }
  if (values.includes("none") && values.length > 1) {
    throw authorizationError(
      "invalid_request",
      "prompt=none cannot be combined with other values.",
    );
  }
  return values as Prompt[];
}

/** OIDC Core §3.1.2.1: a non-negative number of seconds. */
export function parseMaxAge(maxAge: string | null): number | null {
  if (maxAge === null) return null;
  if (!/^\d{1,12}$/.test(maxAge)) {
    throw authorizationError("invalid_request", "max_age must be a non-negative integer.");
  }
  return Math.min(Number(maxAge), MAX_AGE_LIMIT);
}

/** RFC 8707 §2: absolute URIs without a fragment; the parameter may repeat. */
export function parseResources(raw: RawParams): string[] {
  const value = raw.resource;
  const values = (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter(
    (v) => v !== "",
  );
  if (values.length > MAX_RESOURCES) {
    throw authorizationError("invalid_target", `At most ${MAX_RESOURCES} resources are allowed.`);
  }
  for (const resource of values) {
    if (!URL.canParse(resource) || resource.includes("#") || /[\s\p{Cc}]/u.test(resource)) {
      throw authorizationError(
        "invalid_target",
        "Each resource must be an absolute URI without a fragment.",
      );
    }
  }
  return [...new Set(values)];
}
