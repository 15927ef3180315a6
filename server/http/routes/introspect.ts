// POST /oauth/introspect (RFC 7662 §2): form-encoded requests only; the answer describes a
// token, so neither it nor an error may be cached (§2.2 refers to RFC 6749 §5.1).

import type { FastifyInstance } from "fastify";
import type { Deps } from "../../deps.ts";
import { introspect } from "../../oauth/introspection.ts";
import { ENDPOINT_PATHS } from "../../oauth/provider-metadata.ts";
import { postFormEndpoint } from "../no-store.ts";

export default async function introspectRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  postFormEndpoint(app, ENDPOINT_PATHS.introspection, (request) => introspect(deps, request));
}
