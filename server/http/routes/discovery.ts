// GET /.well-known/openid-configuration (OIDC Discovery 1.0 §4) and
// GET /.well-known/oauth-authorization-server (RFC 8414 §3). The document is built on the
// first request, when every route of the app is registered, and then served as is.

import type { FastifyInstance } from "fastify";
import type { Deps } from "../../deps.ts";
import { buildProviderMetadata, ENDPOINT_PATHS } from "../../oauth/provider-metadata.ts";

// Metadata changes only with a deployment; five minutes keeps clients current after one.
const MAX_AGE_SECONDS = 300;

export default async function discoveryRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  let body: string | null = null;
  const document = (): string => {
    body ??= JSON.stringify(
      buildProviderMetadata(deps.config, (method, url) => app.hasRoute({ method, url })),
    );
    return body;
  };

  for (const path of [
    ENDPOINT_PATHS.openidConfiguration,
    ENDPOINT_PATHS.authorizationServerMetadata,
  ]) {
    app.get(path, async (_request, reply) =>
      reply
        .header("cache-control", `public, max-age=${MAX_AGE_SECONDS}`)
        .type("application/json; charset=utf-8")
        .send(document()),
    );
  }
}
