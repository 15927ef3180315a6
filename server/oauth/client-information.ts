// The client information response (RFC 7591 §3.2.1, RFC 7592 §3): the registered metadata as
// the server holds it, defaults included, so the client learns what it really got. The secret
// is stored only as a digest, so it appears only in the response that issued it; the
// registration access token is echoed from the request that presented it.

import type { Client } from "../store/db/clients.ts";
import { ID_TOKEN_SIGNING_ALG } from "./client-metadata.ts";
import { usesClientSecret } from "./clients.ts";
import { ENDPOINT_PATHS } from "./provider-metadata.ts";

export type ClientInformation = Record<string, string | number | string[] | object>;

export function registrationClientUri(issuer: string, clientId: string): string {
  return `${issuer}${ENDPOINT_PATHS.registration}/${encodeURIComponent(clientId)}`;
}

export function clientInformation(
  client: Client,
  options: { issuer: string; registrationToken: string; secret: string | null },
): ClientInformation {
  const info: ClientInformation = { client_id: client.id };
  if (options.secret !== null) info.client_secret = options.secret;
  info.client_id_issued_at = Math.floor(client.createdAt.getTime() / 1000);
  // 0: the secret does not expire (RFC 7591 §3.2.1); rotation is the operator's business.
  if (usesClientSecret(client.authMethod)) info.client_secret_expires_at = 0;
  info.registration_access_token = options.registrationToken;
  info.registration_client_uri = registrationClientUri(options.issuer, client.id);
  info.client_name = client.name;
  info.token_endpoint_auth_method = client.authMethod;
  info.grant_types = client.grantTypes;
  info.response_types = client.responseTypes;
  info.redirect_uris = client.redirectUris;
  info.post_logout_redirect_uris = client.postLogoutRedirectUris;
  if (client.scope !== "") info.scope = client.scope;
  info.id_token_signed_response_alg = ID_TOKEN_SIGNING_ALG;
  const optional = {
    jwks_uri: client.jwksUri,
    jwks: client.jwks,
    client_uri: client.clientUri,
    logo_uri: client.logoUri,
    policy_uri: client.policyUri,
    tos_uri: client.tosUri,
  };
  for (const [name, value] of Object.entries(optional)) if (value !== null) info[name] = value;
  if (client.contacts.length > 0) info.contacts = client.contacts;
  return info;
}
