// Client authentication at the token endpoint and at the endpoints that share its rules
// (introspection, revocation): RFC 6749 §2.3 and §3.2.1, OIDC Core §9. A request names its
// client in exactly one way; the way must be the one the client registered; every failure is
// invalid_client with a Basic challenge (RFC 6749 §5.2), and secrets are compared in constant
// time on their digests. private_key_jwt assertions are checked in client-assertion.ts.

import type { Deps } from "../deps.ts";
import { invalidClient, invalidRequest } from "../errors.ts";
import { readClientAssertion, verifyClientAssertion } from "./client-assertion.ts";
import type { ClientAuthMethod } from "./client-metadata.ts";
import { type Client, verifyClientSecret } from "./clients.ts";
import { ENDPOINT_PATHS } from "./endpoints.ts";
import type { Params } from "./params.ts";

/** The methods this server verifies, as advertised in discovery. */
export const TOKEN_ENDPOINT_AUTH_METHODS = [
  "client_secret_basic",
  "client_secret_post",
  "private_key_jwt",
  "none",
] as const satisfies readonly ClientAuthMethod[];

// Far above any id or secret this server makes; it bounds the work done for a bogus header.
const CREDENTIAL_MAX_LENGTH = 512;

export interface PresentedCredentials {
  method: ClientAuthMethod;
  clientId: string;
  /** The secret of client_secret_basic and client_secret_post. */
  secret: string | null;
  /** The (not yet verified) JWT of private_key_jwt. */
  assertion: string | null;
}

export interface AuthenticatedClient {
  client: Client;
  method: ClientAuthMethod;
}

/**
 * Decodes `Authorization: Basic …` (RFC 7617). RFC 6749 §2.3.1 has the client form-urlencode
 * its id and secret before joining them with ":", so both halves are decoded again here.
 * Returns null when the header uses another scheme.
 */
export function parseBasicCredentials(
  authorization: string,
): { clientId: string; secret: string } | null {
  const match = /^Basic[ ]+([^ ]*)[ ]*$/i.exec(authorization);
  if (!match) return null;
  const encoded = match[1] ?? "";
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw invalidClient("The Basic credentials are not valid base64.");
  }
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) throw invalidClient("The Basic credentials lack the ':' separator.");
  const clientId = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  if (clientId === "") throw invalidClient("The Basic credentials name no client.");
  return { clientId, secret };
}

/** application/x-www-form-urlencoded decoding of one value: "+" is a space, then %XX. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    throw invalidClient("The Basic credentials are not correctly form-urlencoded.");
  }
}

/** Works out which single method the request uses and the credentials it carries. */
export function presentedCredentials(
  authorization: string | undefined,
  params: Params,
): PresentedCredentials {
  const basic = authorization === undefined ? null : parseBasicCredentials(authorization);
  if (authorization !== undefined && basic === null) {
    throw invalidClient("Only the Basic authentication scheme is accepted here.");
  }
  const post = params.client_secret !== undefined;
  const assertion =
    params.client_assertion !== undefined || params.client_assertion_type !== undefined;
  const methods = [basic !== null, post, assertion].filter(Boolean).length;
  if (methods > 1) {
    throw invalidRequest("The request uses more than one client authentication method.");
  }

  if (assertion) {
    const read = readClientAssertion(params);
    return {
      method: "private_key_jwt",
      clientId: read.clientId,
      secret: null,
      assertion: read.assertion,
    };
  }

  let credentials: PresentedCredentials;
  if (basic !== null) {
    // A client_id in the body is allowed next to Basic, but it must name the same client.
    if (params.client_id !== undefined && params.client_id !== basic.clientId) {
      throw invalidRequest("The client_id parameter differs from the authenticated client.");
    }
    credentials = { method: "client_secret_basic", ...basic, assertion: null };
  } else if (params.client_id === undefined) {
    throw invalidClient("The request does not identify a client.");
  } else {
    credentials = {
      method: post ? "client_secret_post" : "none",
      clientId: params.client_id,
      secret: post ? (params.client_secret ?? "") : null,
      assertion: null,
    };
  }
  if (
    credentials.clientId.length > CREDENTIAL_MAX_LENGTH ||
    (credentials.secret?.length ?? 0) > CREDENTIAL_MAX_LENGTH
  ) {
    throw invalidClient("Client authentication failed.", "oversized client credentials");
  }
  return credentials;
}

export type ClientAuthDeps = Pick<Deps, "config" | "db" | "kv" | "now" | "clientJwks" | "clients">;

/**
 * The audiences a client assertion may name (RFC 7523 §3 item 3): the issuer, the token
 * endpoint, and the endpoint being called, since OIDC Core §9 has clients put "the URL of
 * the endpoint" there and introspection and revocation share the token endpoint's rules.
 */
export function assertionAudiences(issuer: string, endpointPath: string): string[] {
  return [...new Set([issuer, `${issuer}${ENDPOINT_PATHS.token}`, `${issuer}${endpointPath}`])];
}

/**
 * Authenticates the client of a request from its Authorization header and its (single-valued)
 * form parameters, at the endpoint whose path is given. Every failure reads the same to the
 * caller, except for client assertions, whose problems (expiry, audience) the client must be
 * able to fix; which part failed is logged.
 */
export async function authenticateClient(
  deps: ClientAuthDeps,
  request: { authorization: string | undefined; params: Params; endpointPath: string },
): Promise<AuthenticatedClient> {
  const presented = presentedCredentials(request.authorization, request.params);
  const client = await deps.clients.find(presented.clientId);
  const failed = (detail: string) => invalidClient("Client authentication failed.", detail);
  if (!client) throw failed(`unknown client ${presented.clientId.slice(0, 64)}`);
  if (client.authMethod !== presented.method) {
    throw failed(
      `client ${client.id} is registered for ${client.authMethod}, used ${presented.method}`,
    );
  }
  if (presented.assertion !== null) {
    const audiences = assertionAudiences(deps.config.issuer, request.endpointPath);
    await verifyClientAssertion(deps, client, presented.assertion, audiences);
  }
  if (presented.secret !== null && !verifyClientSecret(client, presented.secret)) {
    throw failed(`wrong secret for client ${client.id}`);
  }
  return { client, method: presented.method };
}
