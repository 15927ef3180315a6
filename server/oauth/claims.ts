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
  ...SCOPE_CLAIMS.profile,
  ...SCOPE_CLAIMS.email,
];

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
