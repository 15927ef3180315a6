// POST /oauth/revoke (RFC 7009 §2): form-encoded requests only. Success is a 200 with an
// empty body (§2.2: the client ignores the body; the status code says it all).

import type { FastifyInstance } from "fastify";
import type { Deps } from "../../deps.ts";
import type { RawParams } from "../../oauth/params.ts";
import { ENDPOINT_PATHS } from "../../oauth/provider-metadata.ts";
import { revokeToken } from "../../oauth/revocation-request.ts";
import { requireFormBody } from "../plugins/forms.ts";

export default async function revokeRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  app.post(ENDPOINT_PATHS.revocation, { onRequest: requireFormBody }, async (request, reply) => {
    await revokeToken(deps, {
      authorization: request.headers.authorization,
      body: (request.body ?? {}) as RawParams,
    });
    return reply.code(200).header("cache-control", "no-store").header("pragma", "no-cache").send();
  });
}
