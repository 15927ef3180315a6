// The JSON that operators and scripts see (`latchkey … --json` and the admin API): wire names
// in the spelling of RFC 7591 and OIDC, dates as ISO 8601 strings, and never a stored secret,
// digest or password hash.

import type { KeyInfo } from "../keys/rotation.ts";
import type { Client } from "../store/db/clients.ts";
import type { User } from "../store/db/users.ts";

export interface ClientView {
  client_id: string;
  client_name: string;
  token_endpoint_auth_method: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  scope: string;
  skip_consent: boolean;
  jwks_uri: string | null;
  jwks: { keys: Array<Record<string, unknown>> } | null;
  client_uri: string | null;
  logo_uri: string | null;
  policy_uri: string | null;
  tos_uri: string | null;
  contacts: string[];
  /** Registered through POST /oauth/register, and so manageable by its own token. */
  dynamically_registered: boolean;
  created_at: string;
  updated_at: string;
  secret_updated_at: string | null;
}

/** A client as returned by create and rotate-secret: the only times its secret is shown. */
export type ClientWithSecret = { client_id: string; client_secret?: string } & ClientView;

export interface UserView {
  id: string;
  email: string;
  name: string | null;
  email_verified: boolean;
  locked: boolean;
  locked_at: string | null;
  created_at: string;
  updated_at: string;
}

/** What `user logout-all` did: sessions have no index, so the cut-off stands for their count. */
export interface LogoutAllView {
  user: UserView;
  /** Every session of the user that started at or before this instant has ended. */
  sessions_ended_before: string;
  refresh_families_revoked: number;
}

export interface TotpEnrolmentView {
  user: UserView;
  /** For the QR code an authenticator app scans. */
  otpauth_uri: string;
  /** The same secret in base32, for typing into the app. */
  secret: string;
  /** Shown this once; stored only as digests. */
  recovery_codes: string[];
}

export interface TotpRemovalView {
  user: UserView;
  /** False when the user had no second factor. */
  removed: boolean;
}

export interface KeyView {
  kid: string;
  alg: string;
  state: KeyInfo["state"];
  created_at: string;
  activates_at: string;
  retires_at: string | null;
  expires_at: string | null;
}

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

export function toClientView(client: Client): ClientView {
  return {
    client_id: client.id,
    client_name: client.name,
    token_endpoint_auth_method: client.authMethod,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.grantTypes,
    response_types: client.responseTypes,
    scope: client.scope,
    skip_consent: client.skipConsent,
    jwks_uri: client.jwksUri,
    jwks: client.jwks,
    client_uri: client.clientUri,
    logo_uri: client.logoUri,
    policy_uri: client.policyUri,
    tos_uri: client.tosUri,
    contacts: client.contacts,
    dynamically_registered: client.registrationTokenDigest !== null,
    created_at: client.createdAt.toISOString(),
    updated_at: client.updatedAt.toISOString(),
    secret_updated_at: iso(client.secretUpdatedAt),
  };
}

export function toClientWithSecret(client: Client, secret: string | null): ClientWithSecret {
  const { client_id, ...rest } = toClientView(client);
  return secret === null ? { client_id, ...rest } : { client_id, client_secret: secret, ...rest };
}

export function toUserView(user: User): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    email_verified: user.emailVerified,
    locked: user.lockedAt !== null,
    locked_at: iso(user.lockedAt),
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

export function toKeyView(key: KeyInfo): KeyView {
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    created_at: key.createdAt.toISOString(),
    activates_at: key.activatesAt.toISOString(),
    retires_at: iso(key.retiresAt),
    expires_at: iso(key.expiresAt),
  };
}
