// Scope at the token endpoint (RFC 6749 §3.3). A refresh may ask for less than its grant but
// never more (§6); client credentials may ask for any part of the client's registered scope
// (§4.4.2), and without a scope parameter get all of it that the grant can carry. Every
// violation is invalid_scope (§5.2).

import { invalidScope } from "../errors.ts";
import { scopeList } from "./claims.ts";

const SCOPE_MAX_LENGTH = 1000;
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * Scopes that stand for a signed-in user, so client credentials cannot carry them: `openid`
 * (OIDC Core §3.1.2.1; there is no user to describe) and `offline_access` (§11; there is no
 * refresh token).
 */
export const USER_ONLY_SCOPES: readonly string[] = ["openid", "offline_access"];

/** The scope parameter's tokens, de-duplicated in the order given; null when it is absent. */
export function parseScopeParameter(value: string | undefined): string[] | null {
  if (value === undefined) return null;
  if (value.length > SCOPE_MAX_LENGTH) throw invalidScope("The scope parameter is too long.");
  const tokens = [...new Set(scopeList(value))];
  const bad = tokens.find((token) => !SCOPE_TOKEN.test(token));
  if (bad !== undefined) throw invalidScope(`The scope "${bad.slice(0, 100)}" is malformed.`);
  if (tokens.length === 0) throw invalidScope("The scope parameter is empty.");
  return tokens;
}

/**
 * The scope of a refreshed access token (RFC 6749 §6): the grant's own without a scope
 * parameter, else the requested part of it, in the grant's order. A scope beyond the grant
 * is invalid_scope; the grant itself (the family) keeps its full scope either way.
 */
export function narrowScope(requested: string | undefined, granted: string): string {
  const tokens = parseScopeParameter(requested);
  if (tokens === null) return granted;
  const grantedTokens = scopeList(granted);
  const beyond = tokens.find((token) => !grantedTokens.includes(token));
  if (beyond !== undefined) {
    throw invalidScope(`The scope "${beyond.slice(0, 100)}" was not granted.`);
  }
  return grantedTokens.filter((token) => tokens.includes(token)).join(" ");
}

/**
 * The scope of a client credentials token (RFC 6749 §4.4.2, §3.3): the requested scopes,
 * each registered for the client; without a scope parameter, every registered scope except
 * the user-only ones (the documented default of §3.3).
 */
export function clientCredentialsScope(requested: string | undefined, registered: string): string {
  const tokens = parseScopeParameter(requested);
  const registeredTokens = scopeList(registered);
  if (tokens === null) {
    return registeredTokens.filter((token) => !USER_ONLY_SCOPES.includes(token)).join(" ");
  }
  const userOnly = tokens.find((token) => USER_ONLY_SCOPES.includes(token));
  if (userOnly !== undefined) {
    throw invalidScope(`The scope "${userOnly}" cannot be granted to a client on its own behalf.`);
  }
  const beyond = tokens.find((token) => !registeredTokens.includes(token));
  if (beyond !== undefined) {
    throw invalidScope(`The scope "${beyond.slice(0, 100)}" is not allowed for this client.`);
  }
  return tokens.join(" ");
}
