// POST /oauth/token (RFC 6749 §3.2): form-encoded requests only; the response carries tokens,
// so neither it nor its errors may be cached (§5.1).

import type { FastifyInstance } from "fastify";
import type { Deps } from "../../deps.ts";
import { ENDPOINT_PATHS } from "../../oauth/provider-metadata.ts";
import { handleTokenRequest } from "../../oauth/token-request.ts";
import { postFormEndpoint } from "../no-store.ts";

export default async function tokenRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  postFormEndpoint(app, ENDPOINT_PATHS.token, (request) => handleTokenRequest(deps, request));
}
