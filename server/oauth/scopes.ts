// The scopes this server knows by name (OIDC Core §5.4 and §11) and how the consent page
// words them. Clients may be registered for other scopes too (their APIs' own); those are
// granted and shown by name.

export const STANDARD_SCOPES = ["openid", "profile", "email", "offline_access"] as const;

const DESCRIPTIONS: Record<string, string> = {
  openid: "Confirm who you are when you sign in",
  profile: "See your name and basic profile information",
  email: "See your email address and whether it is verified",
  offline_access: "Keep access while you are not using it, until you revoke it",
};

export interface ScopeDescription {
  scope: string;
  description: string;
  /** False for a scope known only by its name. */
  known: boolean;
}

export function describeScopes(scopes: readonly string[]): ScopeDescription[] {
  return scopes.map((scope) => {
    const description = DESCRIPTIONS[scope];
    return description === undefined
      ? { scope, description: "Use the permission", known: false }
      : { scope, description, known: true };
  });
}
