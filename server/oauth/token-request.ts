// The token endpoint's checklist (RFC 6749 §3.2, §5), common to every grant: one grant_type
// the server supports, no repeated parameters, an authenticated client registered for the
// grant, the grant's required parameters; then the grant module takes over.

import type { Deps } from "../deps.ts";
import { invalidRequest, unauthorizedClient, unsupportedGrantType } from "../errors.ts";
import { authenticateClient } from "./client-auth.ts";
import { ENDPOINT_PATHS } from "./endpoints.ts";
import type { GrantDeps, TokenResponse } from "./grants/grant.ts";
import { GRANTS } from "./grants/index.ts";
import { type RawParams, singleValued } from "./params.ts";

export async function handleTokenRequest(
  deps: GrantDeps & Pick<Deps, "clientJwks">,
  request: { authorization: string | undefined; body: RawParams },
): Promise<TokenResponse> {
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
  return grant.handle(deps, { client, params, raw: body });
}
