// The one error type of protocol and business code. It is turned into a response in exactly
// two places: the root error handler (JSON) and the authorize endpoint (redirect or page).

export interface OAuthErrorOptions {
  status?: number;
  /** Logged with the request id, never sent to the client. */
  detail?: string;
  /** True once the client and redirect URI are trusted, so the error may go back to them. */
  redirectable?: boolean;
  /** Extra response headers, e.g. WWW-Authenticate for failed client authentication. */
  headers?: Record<string, string>;
}

export class OAuthError extends Error {
  readonly error: string;
  readonly description: string;
  readonly status: number;
  readonly detail: string | undefined;
  readonly redirectable: boolean;
  readonly headers: Record<string, string>;

  constructor(error: string, description: string, options: OAuthErrorOptions = {}) {
    super(`${error}: ${description}`);
    this.name = "OAuthError";
    this.error = error;
    this.description = description;
    this.status = options.status ?? 400;
    this.detail = options.detail;
    this.redirectable = options.redirectable ?? false;
    this.headers = options.headers ?? {};
  }
}

export interface ErrorBody {
  error: string;
  error_description?: string;
}

export function toErrorBody(err: OAuthError): ErrorBody {
  return err.description
    ? { error: err.error, error_description: err.description }
    : { error: err.error };
}

/** Adds error, error_description, state and iss (RFC 9207) to a trusted redirect URI. */
export function toErrorRedirect(
  err: OAuthError,
  redirectUri: string,
  params: { state?: string | undefined; iss: string },
): string {
  const url = new URL(redirectUri);
  url.searchParams.set("error", err.error);
  if (err.description) url.searchParams.set("error_description", err.description);
  if (params.state !== undefined) url.searchParams.set("state", params.state);
  url.searchParams.set("iss", params.iss);
  return url.href;
}

export const invalidRequest = (description: string, detail?: string) =>
  new OAuthError("invalid_request", description, { detail });

export const invalidClient = (description: string, detail?: string) =>
  new OAuthError("invalid_client", description, {
    status: 401,
    detail,
    headers: { "WWW-Authenticate": 'Basic realm="latchkey", charset="UTF-8"' },
  });

export const invalidGrant = (description: string, detail?: string) =>
  new OAuthError("invalid_grant", description, { detail });

export const invalidScope = (description: string, detail?: string) =>
  new OAuthError("invalid_scope", description, { detail });

export const unauthorizedClient = (description: string, detail?: string) =>
  new OAuthError("unauthorized_client", description, { detail });

export const unsupportedGrantType = (description: string) =>
  new OAuthError("unsupported_grant_type", description);

/** RFC 7591 §3.2.2: a redirect_uris value of a registration request is not acceptable. */
export const invalidRedirectUri = (description: string, detail?: string) =>
  new OAuthError("invalid_redirect_uri", description, { detail });

/** RFC 7591 §3.2.2: any other client metadata value of a registration request is not acceptable. */
export const invalidClientMetadata = (description: string, detail?: string) =>
  new OAuthError("invalid_client_metadata", description, { detail });

/** RFC 8707 §2: a resource that is malformed or not authorized for this grant. */
export const invalidTarget = (description: string, detail?: string) =>
  new OAuthError("invalid_target", description, { detail });

// Bearer-token errors of a protected resource (RFC 6750 §3). The challenge repeats the error
// in WWW-Authenticate, whose quoted strings allow neither `"` nor `\` nor non-ASCII (§3).
const BEARER_REALM = "latchkey";

function bearerChallenge(error?: string, description?: string, scope?: string): string {
  const quoted = (value: string) => `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, "")}"`;
  const parts = [`realm=${quoted(BEARER_REALM)}`];
  if (error) parts.push(`error=${quoted(error)}`);
  if (description) parts.push(`error_description=${quoted(description)}`);
  if (scope) parts.push(`scope=${quoted(scope)}`);
  return `Bearer ${parts.join(", ")}`;
}

/** No access token at all: a bare challenge without an error code (RFC 6750 §3.1). */
export const bearerTokenMissing = (description: string) =>
  new OAuthError("invalid_token", description, {
    status: 401,
    headers: { "WWW-Authenticate": bearerChallenge() },
  });

/** A malformed request to a protected resource, e.g. a token sent two ways (RFC 6750 §3.1). */
export const bearerInvalidRequest = (description: string) =>
  new OAuthError("invalid_request", description, {
    status: 400,
    headers: { "WWW-Authenticate": bearerChallenge("invalid_request", description) },
  });

export const invalidToken = (description: string, detail?: string) =>
  new OAuthError("invalid_token", description, {
    status: 401,
    detail,
    headers: { "WWW-Authenticate": bearerChallenge("invalid_token", description) },
  });

export const insufficientScope = (description: string, scope: string) =>
  new OAuthError("insufficient_scope", description, {
    status: 403,
    headers: { "WWW-Authenticate": bearerChallenge("insufficient_scope", description, scope) },
  });

export const notFound = (description: string) =>
  new OAuthError("not_found", description, { status: 404 });

export const unauthorized = (description: string) =>
  new OAuthError("unauthorized", description, {
    status: 401,
    headers: { "WWW-Authenticate": 'Bearer realm="latchkey"' },
  });

export const conflict = (description: string) =>
  new OAuthError("conflict", description, { status: 409 });

export const serverError = (detail: string) =>
  new OAuthError("server_error", "The server encountered an unexpected condition.", {
    status: 500,
    detail,
  });

/**
 * An authorization endpoint error for a trusted client and redirect URI: it goes back to the
 * client (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6) instead of being shown to the user.
 */
export const authorizationError = (error: string, description: string, detail?: string) =>
  new OAuthError(error, description, { redirectable: true, detail });
