// The authorization response, success or error, in the client's response mode: `query`
// (RFC 6749 §4.1.2) or `form_post` (OAuth 2.0 Form Post Response Mode), always with `iss`
// (RFC 9207) so that a client talking to several servers can tell which one answered.

import { type OAuthError, toErrorRedirect } from "../errors.ts";
import type { ResponseTarget } from "./authorize-request.ts";

export type AuthorizationResponse =
  | { mode: "query"; location: string }
  | { mode: "form_post"; action: string; fields: Array<{ name: string; value: string }> };

function respond(
  target: ResponseTarget,
  params: Array<[string, string | null | undefined]>,
  location: () => string,
): AuthorizationResponse {
  if (target.responseMode === "form_post") {
    const fields = params
      .filter((entry): entry is [string, string] => typeof entry[1] === "string")
      .map(([name, value]) => ({ name, value }));
    return { mode: "form_post", action: target.redirectUri, fields };
  }
  return { mode: "query", location: location() };
}

export function codeResponse(
  target: ResponseTarget,
  code: string,
  issuer: string,
): AuthorizationResponse {
  return respond(
    target,
    [
      ["code", code],
      ["state", target.state],
      ["iss", issuer],
    ],
    () => {
      const url = new URL(target.redirectUri);
      url.searchParams.set("code", code);
      if (target.state !== null) url.searchParams.set("state", target.state);
      url.searchParams.set("iss", issuer);
      return url.href;
    },
  );
}

export function errorResponse(
  target: ResponseTarget,
  err: OAuthError,
  issuer: string,
): AuthorizationResponse {
  return respond(
    target,
    [
      ["error", err.error],
      ["error_description", err.description || null],
      ["state", target.state],
      ["iss", issuer],
    ],
    () =>
      toErrorRedirect(err, target.redirectUri, { state: target.state ?? undefined, iss: issuer }),
  );
}
