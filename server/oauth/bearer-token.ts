// Where a protected resource finds the access token (RFC 6750 §2): the Authorization header,
// or the form body of a POST. The query string (§2.3) is refused: URLs end up in logs and
// browser histories. A request must use exactly one way (§3.1).

import { bearerInvalidRequest, bearerTokenMissing } from "../errors.ts";
import type { RawParams } from "./params.ts";

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER_HEADER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;
const SCHEME = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?: |$)/;

export interface BearerTokenSources {
  authorization: string | undefined;
  /** The parsed form body of a POST; null for other methods and other content types. */
  form: RawParams | null;
  /** The query parameters, checked only to refuse a token sent there. */
  query: RawParams | null;
}

export function extractBearerToken(sources: BearerTokenSources): string {
  if (sources.query?.access_token !== undefined) {
    throw bearerInvalidRequest(
      "Access tokens are not accepted in the query; use the Authorization header.",
    );
  }
  let fromHeader: string | null = null;
  if (sources.authorization !== undefined) {
    const scheme = SCHEME.exec(sources.authorization)?.[1]?.toLowerCase();
    if (scheme === "bearer") {
      const match = BEARER_HEADER.exec(sources.authorization);
      if (!match) throw bearerInvalidRequest("The Bearer credentials are malformed.");
      fromHeader = match[1] ?? null;
    }
    // Another scheme is no bearer token at all: answered like a request without one (§3.1).
  }

  const bodyValue = sources.form?.access_token;
  if (Array.isArray(bodyValue))
    throw bearerInvalidRequest("The access_token parameter is repeated.");
  const fromBody = bodyValue === undefined || bodyValue === "" ? null : bodyValue;

  if (fromHeader !== null && fromBody !== null) {
    throw bearerInvalidRequest("The access token was sent in more than one way.");
  }
  const token = fromHeader ?? fromBody;
  if (token === null) throw bearerTokenMissing("The request carries no access token.");
  return token;
}
