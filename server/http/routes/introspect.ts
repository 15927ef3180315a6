// POST /oauth/introspect (RFC 7662 §2): form-encoded requests only; the answer describes a
// token, so neither it nor an error may be cached (§2.2 refers to RFC 6749 §5.1).

import type { FastifyInstance } from "fastify";
import type { Deps } from "../../deps.ts";
import { introspect } from "../../oauth/introspection.ts";
import type { RawParams } from "../../oauth/params.ts";
import { ENDPOINT_PATHS } from "../../oauth/provider-metadata.ts";
import { requireFormBody } from "../plugins/forms.ts";

export default async function introspectRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  app.post(ENDPOINT_PATHS.introspection, { onRequest: requireFormBody }, async (request, reply) => {
    const response = await introspect(deps, {
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
