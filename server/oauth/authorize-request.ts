// The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636 §4.3, RFC 8707),
// checked in the order the specs demand: first the client and its redirect URI, whose
// failures are shown to the user and never redirected (RFC 6749 §4.1.2.1); then everything
// else, whose failures go back to the now trusted redirect URI.

import { authorizationError, OAuthError } from "../errors.ts";
import type { Client } from "../store/db/clients.ts";
import {
  type Prompt,
  parseMaxAge,
  parsePkce,
  parsePrompt,
  parseResources,
  parseScope,
} from "./authorize-params.ts";
import { type RawParams, repeatedParam } from "./params.ts";

export type ResponseMode = "query" | "form_post";
export const RESPONSE_MODES: readonly ResponseMode[] = ["query", "form_post"];

/** Where and how an authorization response, success or error, is sent. */
export interface ResponseTarget {
  redirectUri: string;
  responseMode: ResponseMode;
  state: string | null;
}

/** A validated request, as stored with an interaction (so: plain JSON). */
export interface AuthorizationRequest extends ResponseTarget {
  clientId: string;
  /** The requested scopes, de-duplicated, in the order given. */
  scopes: string[];
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: "S256" | null;
  prompt: Prompt[];
  /** Seconds; null when absent. */
  maxAge: number | null;
  loginHint: string | null;
  /** The `sub` of a verified id_token_hint. */
  idTokenHintSubject: string | null;
  uiLocales: string | null;
  claimsLocales: string | null;
  acrValues: string | null;
  display: string | null;
  resources: string[];
}

/** Longest value accepted for any parameter: generous for state, short of abuse. */
const PARAM_MAX_LENGTH = 4096;
const NONCE_MAX_LENGTH = 512;

function pageError(error: string, description: string): OAuthError {
  return new OAuthError(error, description, { redirectable: false });
}

/** The one value of a parameter, null when absent or empty; undefined when it repeats. */
function single(raw: RawParams, name: string): string | null | undefined {
  const value = raw[name];
  if (Array.isArray(value)) return undefined;
  return value === undefined || value === "" ? null : value;
}

/**
 * Step 1: the client and the redirect URI. Failures are non-redirectable errors for an error
 * page. The redirect URI must be given and match a registered one exactly (RFC 9700 §2.1).
 * OIDC Core §3.1.2.1 requires it for OpenID requests; we require it for every request,
 * although RFC 6749 §3.1.2.3 would let a client with one registered URI leave it out, so that
 * every code is bound to a redirect URI the token endpoint must see again (RFC 6749 §4.1.3).
 */
export async function resolveClientAndTarget(
  raw: RawParams,
  findClient: (id: string) => Promise<Client | null>,
): Promise<{ client: Client; target: ResponseTarget }> {
  const clientId = single(raw, "client_id");
  if (clientId === undefined) throw pageError("invalid_request", "client_id is repeated.");
  if (clientId === null) throw pageError("invalid_request", "client_id is missing.");
  const client = clientId.length > 200 ? null : await findClient(clientId);
  if (!client) throw pageError("invalid_client", "The client is not registered.");

  const redirectUri = single(raw, "redirect_uri");
  if (redirectUri === undefined) throw pageError("invalid_request", "redirect_uri is repeated.");
  if (redirectUri === null) throw pageError("invalid_request", "redirect_uri is missing.");
  if (!client.redirectUris.includes(redirectUri)) {
    throw pageError("invalid_request", "redirect_uri is not registered for this client.");
  }

  // The response mode and state of the error responses that follow. A repeated or unknown
  // response_mode is an error of its own (step 2), answered in the default mode.
  const mode = single(raw, "response_mode");
  const responseMode = RESPONSE_MODES.find((m) => m === mode) ?? "query";
  const state = single(raw, "state") ?? null;
  return { client, target: { redirectUri, responseMode, state } };
}

export interface ValidationOptions {
  pkceRequired: boolean;
  /** The subject of a valid id_token_hint; throws a redirectable error for an invalid one. */
  idTokenHintSubject: (hint: string) => Promise<string>;
}

/** Step 2: everything else, with errors that go back to the client. */
export async function validateAuthorizationRequest(
  raw: RawParams,
  client: Client,
  target: ResponseTarget,
  options: ValidationOptions,
): Promise<AuthorizationRequest> {
  const fail = authorizationError;
  const repeated = repeatedParam({ ...raw, resource: undefined });
  if (repeated !== null) throw fail("invalid_request", `The "${repeated}" parameter is repeated.`);
  const oversized = Object.entries(raw).find(([, value]) =>
    (Array.isArray(value) ? value : [value]).some((v) => (v?.length ?? 0) > PARAM_MAX_LENGTH),
  );
  if (oversized) throw fail("invalid_request", `The "${oversized[0]}" parameter is too long.`);
  const param = (name: string): string | null => single(raw, name) ?? null;

  const mode = param("response_mode");
  if (mode !== null && mode !== target.responseMode) {
    throw fail("invalid_request", "response_mode must be query or form_post.");
  }
  if (param("request") !== null) {
    throw fail("request_not_supported", "Request objects are not supported.");
  }
  if (param("request_uri") !== null) {
    throw fail("request_uri_not_supported", "request_uri is not supported.");
  }

  const responseType = param("response_type");
  if (responseType === null) throw fail("invalid_request", "response_type is missing.");
  if (responseType !== "code") {
    throw fail("unsupported_response_type", "Only response_type=code is supported.");
  }
  if (!client.responseTypes.includes("code") || !client.grantTypes.includes("authorization_code")) {
    throw fail("unauthorized_client", "The client may not use the authorization code grant.");
  }

  const scopes = parseScope(param("scope"), client);

  const nonce = param("nonce");
  if (nonce !== null && nonce.length > NONCE_MAX_LENGTH) {
    throw fail("invalid_request", `nonce must be at most ${NONCE_MAX_LENGTH} characters.`);
  }

  const { codeChallenge, codeChallengeMethod } = parsePkce(
    param("code_challenge"),
    param("code_challenge_method"),
    options.pkceRequired || client.authMethod === "none",
  );

  const prompt = parsePrompt(param("prompt"));
  const maxAge = parseMaxAge(param("max_age"));
  const resources = parseResources(raw);
  const hint = param("id_token_hint");
  return {
    ...target,
    clientId: client.id,
    scopes,
    nonce,
    codeChallenge,
    codeChallengeMethod,
    prompt,
    maxAge,
    loginHint: param("login_hint"),
    idTokenHintSubject: hint === null ? null : await options.idTokenHintSubject(hint),
    uiLocales: param("ui_locales"),
    claimsLocales: param("claims_locales"),
    acrValues: param("acr_values"),
    display: param("display"),
    resources,
  };
}
