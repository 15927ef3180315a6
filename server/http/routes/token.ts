// POST /oauth/token (RFC 6749 §3.2): form-encoded requests only; the response carries tokens,
// so neither it nor its errors may be cached (§5.1).

import type { FastifyInstance } from "fastify";
import type { Deps } from "../../deps.ts";
import type { RawParams } from "../../oauth/params.ts";
import { ENDPOINT_PATHS } from "../../oauth/provider-metadata.ts";
import { handleTokenRequest } from "../../oauth/token-request.ts";
import { requireFormBody } from "../plugins/forms.ts";

export default async function tokenRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  app.post(ENDPOINT_PATHS.token, { onRequest: requireFormBody }, async (request, reply) => {
    const response = await handleTokenRequest(deps, {
      authorization: request.headers.authorization,
      body: (request.body ?? {}) as RawParams,
    });
    return reply
      .header("cache-control", "no-store")
      .header("pragma", "no-cache")
      .type("application/json; charset=utf-8")
      .send(response);
  });
}
