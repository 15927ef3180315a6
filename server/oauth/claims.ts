// Which user claims each scope releases (OIDC Core §5.4), shared by ID tokens and userinfo.
// Users have one free-text `name`: splitting it into given and family names would be a guess
// that is wrong for many of the world's names, so only `name` is released.

import type { User } from "../store/db/users.ts";

export const SCOPE_CLAIMS = {
  profile: ["name", "updated_at"],
  email: ["email", "email_verified"],
} as const;

/** Every claim an ID token or the userinfo response can carry, for discovery. */
export const CLAIMS_SUPPORTED = [
  "sub",
  "iss",
  "aud",
  "exp",
  "iat",
  "auth_time",
  "nonce",
  "at_hash",
  "sid",
  "amr",
  "acr",
  ...SCOPE_CLAIMS.profile,
  ...SCOPE_CLAIMS.email,
];

/**
 * Authentication context classes (the ID token's `acr`, OIDC Core §2): a password alone, or
 * a password and a second factor. Private URNs, as no registry defines these two levels.
 */
export const ACR_PASSWORD = "urn:latchkey:acr:pwd";
export const ACR_MFA = "urn:latchkey:acr:mfa";
export const ACR_VALUES = [ACR_PASSWORD, ACR_MFA] as const;

/** The class of a login from its authentication methods (RFC 8176 `amr` values). */
export function acrFor(amr: readonly string[]): string {
  return amr.includes("mfa") ? ACR_MFA : ACR_PASSWORD;
}

export function scopeList(scope: string): string[] {
  return scope.split(" ").filter((token) => token !== "");
}

/** The user's claims released by the granted scopes; `sub` is added by the caller. */
export function userClaims(user: User, scopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (scopes.includes("profile")) {
    if (user.name !== null) claims.name = user.name;
    claims.updated_at = Math.floor(user.updatedAt.getTime() / 1000);
  }
  if (scopes.includes("email")) {
    claims.email = user.email;
    claims.email_verified = user.emailVerified;
  }
  return claims;
}
