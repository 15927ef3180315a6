// The body of a registration request (RFC 7591 §3.1) or of an update (RFC 7592 §2.2): a JSON
// object of client metadata in the RFC's spelling. Every member this server understands is
// type-checked here and handed to the shared rules of client-metadata.ts; a null or empty
// value counts as absent (RFC 7592 §2.2 lets the server ignore it), and members it does not
// understand are ignored (RFC 7591 §2), software statements included (§2.3).

import {
  invalidClientMetadata,
  invalidRedirectUri,
  invalidRequest,
  type OAuthError,
} from "../errors.ts";
import type { ClientMetadataInput, MetadataRules } from "./client-metadata.ts";

/** Self-registered clients get the RFC 7591 §3.2.2 error codes and the stricter key checks. */
export const REGISTRATION_RULES: MetadataRules = {
  redirectUriError: invalidRedirectUri,
  metadataError: invalidClientMetadata,
  selfRegistered: true,
};

/** Members of the client information response that only the server sets (RFC 7592 §2.2). */
const SERVER_MANAGED = [
  "registration_access_token",
  "registration_client_uri",
  "client_secret_expires_at",
  "client_id_issued_at",
] as const;

export interface RegistrationBody {
  /** The metadata with the RFC 7591 §2 defaults; the name is left to the caller. */
  metadata: Omit<ClientMetadataInput, "name">;
  clientName: string | undefined;
  /** Meaningful in an update only: the client must name itself and may repeat its secret. */
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** The server-managed members the body carries, which an update must not. */
  serverManaged: string[];
}

type Members = Record<string, unknown>;

const isEmpty = (value: unknown) =>
  value === undefined ||
  value === null ||
  value === "" ||
  (Array.isArray(value) && value.length === 0);

function text(
  body: Members,
  name: string,
  fail: (description: string) => OAuthError = invalidClientMetadata,
): string | undefined {
  const value = body[name];
  if (isEmpty(value)) return undefined;
  if (typeof value !== "string") throw fail(`${name} must be a string.`);
  return value;
}

function list(
  body: Members,
  name: string,
  fail: (description: string) => OAuthError = invalidClientMetadata,
): string[] | undefined {
  const value = body[name];
  if (isEmpty(value)) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    throw fail(`${name} must be an array of strings.`);
  }
  return value as string[];
}

export function parseRegistrationBody(body: unknown): RegistrationBody {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidRequest("The request body must be a JSON object of client metadata.");
  }
  const members = body as Members;
  const jwks = members.jwks;
  return {
    metadata: {
      redirectUris: list(members, "redirect_uris", invalidRedirectUri),
      postLogoutRedirectUris: list(members, "post_logout_redirect_uris"),
      // RFC 7591 §2: without grant_types the client uses authorization_code only.
      grantTypes: list(members, "grant_types") ?? ["authorization_code"],
      responseTypes: list(members, "response_types"),
      authMethod: text(members, "token_endpoint_auth_method"),
      scope: text(members, "scope"),
      jwksUri: text(members, "jwks_uri"),
      jwks: jwks === null ? undefined : jwks,
      clientUri: text(members, "client_uri"),
      logoUri: text(members, "logo_uri"),
      policyUri: text(members, "policy_uri"),
      tosUri: text(members, "tos_uri"),
      contacts: list(members, "contacts"),
      idTokenSignedResponseAlg: text(members, "id_token_signed_response_alg"),
      // Consent is how a person vets a client nobody else has: never skipped for these.
      skipConsent: false,
    },
    clientName: text(members, "client_name"),
    clientId: text(members, "client_id", invalidRequest),
    clientSecret: text(members, "client_secret", invalidRequest),
    serverManaged: SERVER_MANAGED.filter((name) => members[name] !== undefined),
  };
}
