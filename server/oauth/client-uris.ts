// What makes a URI in client metadata acceptable: absolute, no credentials or wildcards, https
// except on loopback hosts (RFC 8252 §7.3), and kept exactly as given, because redirect URIs
// are matched by exact string (RFC 9700 §2.1).

import { isLoopbackHost } from "../config.ts";
import type { OAuthError } from "../errors.ts";

const URI_MAX_LENGTH = 2000;
const MAX_URIS = 20;

function uriProblem(uri: string, allowFragment: boolean): string | null {
  if (uri.length > URI_MAX_LENGTH) return `is longer than ${URI_MAX_LENGTH} characters`;
  // The URL parser would silently strip or encode these, and matching is by exact string.
  if (/[\s\p{Cc}]/u.test(uri)) return "contains whitespace or control characters";
  if (!URL.canParse(uri)) return "is not an absolute URI";
  if (!allowFragment && uri.includes("#")) return "must not contain a fragment";
  const url = new URL(uri);
  if (url.username || url.password) return "must not contain credentials";
  if (url.hostname.includes("*")) return "must not contain a wildcard";
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return null;
  return "must use https (http is allowed only for loopback hosts)";
}

/** Why a redirect URI is not acceptable, or null when it is. Matching later is exact. */
export function redirectUriProblem(uri: string): string | null {
  return uriProblem(uri, false);
}

/**
 * Why a web page or image URI (client_uri, logo_uri, policy_uri, tos_uri) is not acceptable:
 * the redirect URI rules, except that a fragment does no harm in a link.
 */
export function webUriProblem(uri: string): string | null {
  return uriProblem(uri, true);
}

/** De-duplicates a list of redirect URIs (or JWKS-like URIs) and checks every one. */
export function checkUris(
  uris: string[],
  label: string,
  fail: (description: string) => OAuthError,
): string[] {
  const unique = [...new Set(uris)];
  if (unique.length > MAX_URIS) throw fail(`At most ${MAX_URIS} ${label}s are allowed.`);
  for (const uri of unique) {
    const problem = redirectUriProblem(uri);
    if (problem) throw fail(`Invalid ${label} "${uri.slice(0, 200)}": it ${problem}.`);
  }
  return unique;
}
