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
