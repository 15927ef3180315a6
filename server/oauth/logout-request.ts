// The logout request at the end_session_endpoint (OpenID Connect RP-Initiated Logout 1.0 §2,
// §3), checked like the spec's list:
// - id_token_hint: an ID token of this issuer, expired or not; a bad signature, a foreign key
//   or issuer is an error (the request cannot be trusted at all).
// - client_id: must be one of the hint's audiences when both are given. Without it the client
//   is the hint's audience.
// - post_logout_redirect_uri: used only when it exactly matches one registered for that
//   client (§3). When it does not, or no client can be told, the user is not redirected but
//   shown a page: never an error, since logging out must still work.
// - state: echoed on the redirect. ui_locales: accepted (the pages speak English only).
// A repeated parameter is an error. Whether the user must confirm is decided by
// tiedToSession().

import { invalidRequest, OAuthError } from "../errors.ts";
import type { Client } from "../store/db/clients.ts";
import type { IdTokenHint } from "./id-token-hint.ts";
import { type Params, type RawParams, singleValued } from "./params.ts";

/** The parameters of a logout request; the confirmation form carries them on. */
export const LOGOUT_PARAMS = [
  "id_token_hint",
  "logout_hint",
  "client_id",
  "post_logout_redirect_uri",
  "state",
  "ui_locales",
] as const;

const PARAM_MAX_LENGTH = 4096;
// An ID token with profile claims is longer than the other parameters.
const HINT_MAX_LENGTH = 16384;

export interface LogoutRequest {
  /** The logout parameters as given (absent and empty ones left out). */
  params: Partial<Record<(typeof LOGOUT_PARAMS)[number], string>>;
  /** The verified id_token_hint. */
  hint: IdTokenHint | null;
  /** The registered client the request is from, when one can be told. */
  client: Pick<Client, "id" | "name" | "postLogoutRedirectUris"> | null;
  /** The post_logout_redirect_uri, only when it is registered for the client. */
  redirectUri: string | null;
  /** Why a given post_logout_redirect_uri is not used (for the log); null when none was refused. */
  redirectRefused: string | null;
  state: string | null;
}

export interface LogoutRequestDeps {
  verifyHint(hint: string): Promise<IdTokenHint>;
  findClient(id: string): Promise<Pick<Client, "id" | "name" | "postLogoutRedirectUris"> | null>;
}

function pageError(error: string, description: string): OAuthError {
  return new OAuthError(error, description, { redirectable: false });
}

/** The client a hint was issued to: its one audience, or its azp among several. */
function hintClientId(hint: IdTokenHint): string | null {
  if (hint.aud.length === 1) return hint.aud[0] ?? null;
  return hint.azp !== null && hint.aud.includes(hint.azp) ? hint.azp : null;
}

export async function validateLogoutRequest(
  raw: RawParams,
  deps: LogoutRequestDeps,
): Promise<LogoutRequest> {
  const all: Params = singleValued(raw);
  const params: LogoutRequest["params"] = {};
  for (const name of LOGOUT_PARAMS) {
    const value = all[name];
    if (value === undefined) continue;
    const max = name === "id_token_hint" ? HINT_MAX_LENGTH : PARAM_MAX_LENGTH;
    if (value.length > max) throw invalidRequest(`The "${name}" parameter is too long.`);
    params[name] = value;
  }

  const hint =
    params.id_token_hint === undefined ? null : await deps.verifyHint(params.id_token_hint);
  let client: LogoutRequest["client"] = null;
  if (params.client_id !== undefined) {
    if (hint !== null && !hint.aud.includes(params.client_id)) {
      throw invalidRequest("client_id is not the client the id_token_hint was issued to.");
    }
    client = params.client_id.length > 200 ? null : await deps.findClient(params.client_id);
    if (client === null) throw pageError("invalid_client", "The client is not registered.");
  } else if (hint !== null) {
    const id = hintClientId(hint);
    // The client may have been deleted since: the logout still goes ahead, without redirect.
    client = id === null ? null : await deps.findClient(id);
  }

  const requested = params.post_logout_redirect_uri ?? null;
  let redirectUri: string | null = null;
  let redirectRefused: string | null = null;
  if (requested !== null) {
    if (client === null) {
      redirectRefused = "post_logout_redirect_uri without a known client";
    } else if (!client.postLogoutRedirectUris.includes(requested)) {
      redirectRefused = "post_logout_redirect_uri is not registered for the client";
    } else {
      redirectUri = requested;
    }
  }
  return { params, hint, client, redirectUri, redirectRefused, state: params.state ?? null };
}

/**
 * True when the request proves it comes from a client of this very login session, so the
 * user need not confirm: a hint for the session's user that carries the session's sid. The
 * subject alone is not enough: an ID token from an earlier session, or one that leaked from
 * any client the user ever signed in to, would then sign the user out of every later session
 * through a forged link. A sid names one session, and only its clients received it.
 */
export function tiedToSession(
  request: Pick<LogoutRequest, "hint">,
  session: { userId: string; sid: string },
): boolean {
  const { hint } = request;
  return hint !== null && hint.sub === session.userId && hint.sid === session.sid;
}

/** Where the browser goes afterwards: the registered URI with the state, or null for a page. */
export function returnLocation(
  request: Pick<LogoutRequest, "redirectUri" | "state">,
): string | null {
  if (request.redirectUri === null) return null;
  if (request.state === null) return request.redirectUri;
  const url = new URL(request.redirectUri);
  url.searchParams.set("state", request.state);
  return url.href;
}

export type LogoutDecision = "yes" | "no";

/** The answer of the confirmation form, or null when it is missing or unknown. */
export function parseLogoutDecision(value: unknown): LogoutDecision | null {
  return value === "yes" || value === "no" ? value : null;
}
