// The token endpoint's checklist (RFC 6749 §3.2, §5), common to every grant: one grant_type
// the server supports, no repeated parameters, an authenticated client registered for the
// grant, the grant's required parameters; then the grant module takes over.

import type { Deps } from "../deps.ts";
import { invalidRequest, OAuthError, unauthorizedClient, unsupportedGrantType } from "../errors.ts";
import type { EventOrigin } from "../observability/events.ts";
import { authenticateClient } from "./client-auth.ts";
import { ENDPOINT_PATHS } from "./endpoints.ts";
import type { GrantDeps, TokenResponse } from "./grants/grant.ts";
import { GRANTS } from "./grants/index.ts";
import { type RawParams, singleValued } from "./params.ts";

type TokenRequest = { authorization: string | undefined; body: RawParams; origin?: EventOrigin };

/** Counts every answer: tokens by grant type, errors by their RFC code. */
export async function handleTokenRequest(
  deps: GrantDeps & Pick<Deps, "clientJwks" | "clients">,
  request: TokenRequest,
): Promise<TokenResponse> {
  try {
    const { response, grantType } = await tokenResponse(deps, request);
    deps.metrics.tokensIssued.inc({ grant_type: grantType });
    return response;
  } catch (err) {
    deps.metrics.tokenErrors.inc({ error: err instanceof OAuthError ? err.error : "server_error" });
    throw err;
  }
}

async function tokenResponse(
  deps: GrantDeps & Pick<Deps, "clientJwks" | "clients">,
  request: TokenRequest,
): Promise<{ response: TokenResponse; grantType: string }> {
  const { body } = request;
  const grantType = body.grant_type;
  if (Array.isArray(grantType)) throw invalidRequest('The "grant_type" parameter is repeated.');
  if (grantType === undefined || grantType === "") {
    throw invalidRequest("The grant_type parameter is missing.");
  }
  const grant = GRANTS.get(grantType);
  if (!grant) {
    throw unsupportedGrantType(`The grant type "${grantType.slice(0, 100)}" is not supported.`);
  }
  const params = singleValued(body, grant.parameters.repeatable);
  const { client } = await authenticateClient(deps, {
    authorization: request.authorization,
    params,
    endpointPath: ENDPOINT_PATHS.token,
  });
  if (!client.grantTypes.includes(grant.grantType)) {
    throw unauthorizedClient(`This client is not registered for the ${grantType} grant.`);
  }
  const missing = grant.parameters.required.find((name) => params[name] === undefined);
  if (missing !== undefined) throw invalidRequest(`The ${missing} parameter is missing.`);
  const origin = request.origin ?? {};
  const response = await grant.handle(deps, { client, params, raw: body, origin });
  return { response, grantType: grant.grantType };
}
