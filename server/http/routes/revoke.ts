// POST /oauth/revoke (RFC 7009 §2): form-encoded requests only. Success is a 200 with an
// empty body (§2.2: the client ignores the body; the status code says it all).

import type { FastifyInstance } from "fastify";
import type { Deps } from "../../deps.ts";
import { ENDPOINT_PATHS } from "../../oauth/provider-metadata.ts";
import { revokeToken } from "../../oauth/revocation-request.ts";
import { postFormEndpoint } from "../no-store.ts";

export default async function revokeRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  postFormEndpoint(app, ENDPOINT_PATHS.revocation, async (request) => {
    await revokeToken(deps, request);
    return null;
  });
}
