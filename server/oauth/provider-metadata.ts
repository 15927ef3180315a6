// The authorization server's metadata (RFC 8414) and OpenID Provider metadata (OIDC
// Discovery 1.0), built from the config and from the routes the app really registered: an
// endpoint's metadata is advertised only while its route exists, so discovery can never
// promise something the server does not do.
//
// A new endpoint adds its entry to CONTRIBUTIONS below. Mind the OIDC Discovery defaults that
// apply when a member is absent: grant_types_supported defaults to authorization_code and
// implicit, response_modes_supported to query and fragment, request_uri_parameter_supported
// to true, and token_endpoint_auth_methods_supported to client_secret_basic. The endpoints
// that make these relevant must state their real values.

import type { Config } from "../config.ts";
import { SIGNING_ALG } from "../keys/crypto.ts";
import { PROMPT_VALUES } from "./authorize-params.ts";
import { RESPONSE_MODES } from "./authorize-request.ts";
import { ACR_VALUES, CLAIMS_SUPPORTED } from "./claims.ts";
import { ASSERTION_SIGNING_ALGS } from "./client-assertion.ts";
import { TOKEN_ENDPOINT_AUTH_METHODS } from "./client-auth.ts";
import { ENDPOINT_PATHS } from "./endpoints.ts";
import { supportedGrantTypes } from "./grants/index.ts";
import { INTROSPECTION_ENDPOINT_AUTH_METHODS } from "./introspection.ts";
import { REVOCATION_ENDPOINT_AUTH_METHODS } from "./revocation-request.ts";
import { STANDARD_SCOPES } from "./scopes.ts";

// Kept importable from here: the routes and tests name endpoints through this module.
export { ENDPOINT_PATHS } from "./endpoints.ts";

export type ProviderMetadata = Record<string, string | boolean | string[]>;

export interface MetadataContribution {
  /** The route whose registration turns this metadata on. */
  method: "GET" | "POST";
  path: string;
  metadata(config: Config): ProviderMetadata;
}

export const CONTRIBUTIONS: readonly MetadataContribution[] = [
  {
    method: "GET",
    path: ENDPOINT_PATHS.jwks,
    metadata: (config) => ({ jwks_uri: `${config.issuer}${ENDPOINT_PATHS.jwks}` }),
  },
  {
    method: "GET",
    path: ENDPOINT_PATHS.authorization,
    metadata: (config) => ({
      authorization_endpoint: `${config.issuer}${ENDPOINT_PATHS.authorization}`,
      response_types_supported: ["code"],
      response_modes_supported: [...RESPONSE_MODES],
      code_challenge_methods_supported: ["S256"],
      scopes_supported: [...STANDARD_SCOPES],
      prompt_values_supported: [...PROMPT_VALUES],
      subject_types_supported: ["public"],
      authorization_response_iss_parameter_supported: true,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      claims_parameter_supported: false,
      acr_values_supported: [...ACR_VALUES],
    }),
  },
  {
    method: "POST",
    path: ENDPOINT_PATHS.token,
    metadata: (config) => ({
      token_endpoint: `${config.issuer}${ENDPOINT_PATHS.token}`,
      grant_types_supported: supportedGrantTypes(),
      token_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
      token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGS],
      // ID tokens are issued by the token endpoint.
      id_token_signing_alg_values_supported: [SIGNING_ALG],
      subject_types_supported: ["public"],
      claims_supported: [...CLAIMS_SUPPORTED],
    }),
  },
  {
    method: "GET",
    path: ENDPOINT_PATHS.userinfo,
    metadata: (config) => ({
      userinfo_endpoint: `${config.issuer}${ENDPOINT_PATHS.userinfo}`,
      claims_supported: [...CLAIMS_SUPPORTED],
    }),
  },
  {
    method: "POST",
    path: ENDPOINT_PATHS.introspection,
    metadata: (config) => ({
      introspection_endpoint: `${config.issuer}${ENDPOINT_PATHS.introspection}`,
      introspection_endpoint_auth_methods_supported: [...INTROSPECTION_ENDPOINT_AUTH_METHODS],
      introspection_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGS],
    }),
  },
  {
    method: "POST",
    path: ENDPOINT_PATHS.revocation,
    metadata: (config) => ({
      revocation_endpoint: `${config.issuer}${ENDPOINT_PATHS.revocation}`,
      revocation_endpoint_auth_methods_supported: [...REVOCATION_ENDPOINT_AUTH_METHODS],
      revocation_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGS],
    }),
  },
  {
    method: "GET",
    path: ENDPOINT_PATHS.endSession,
    metadata: (config) => ({
      end_session_endpoint: `${config.issuer}${ENDPOINT_PATHS.endSession}`,
    }),
  },
  {
    // Registered only while REGISTRATION is not off.
    method: "POST",
    path: ENDPOINT_PATHS.registration,
    metadata: (config) => ({
      registration_endpoint: `${config.issuer}${ENDPOINT_PATHS.registration}`,
    }),
  },
];

/**
 * One document serves both well-known URIs: RFC 8414 registers the OpenID members for
 * authorization server metadata too, and RFC 8414 §3.3 requires `issuer` to be identical.
 * Lists contributed by several endpoints (e.g. grant types) are merged.
 */
export function buildProviderMetadata(
  config: Config,
  isRegistered: (method: string, path: string) => boolean,
  contributions: readonly MetadataContribution[] = CONTRIBUTIONS,
): ProviderMetadata {
  const document: ProviderMetadata = { issuer: config.issuer };
  for (const contribution of contributions) {
    if (!isRegistered(contribution.method, contribution.path)) continue;
    for (const [name, value] of Object.entries(contribution.metadata(config))) {
      const existing = document[name];
      if (existing === undefined) {
        document[name] = value;
      } else if (Array.isArray(existing) && Array.isArray(value)) {
        document[name] = [...new Set([...existing, ...value])];
      } else if (existing !== value) {
        throw new Error(`conflicting provider metadata for ${name}`);
      }
    }
  }
  return document;
}
