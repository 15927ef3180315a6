// GET /oauth/jwks: the public signing keys (RFC 7517 §5), which resource servers cache for
// JWKS_MAX_AGE and revalidate with If-None-Match. The key rotation policy publishes a key
// at least that long before it signs, so a cached copy never lacks a signing key.

import type { FastifyInstance } from "fastify";
import type { Deps } from "../../deps.ts";
import { ENDPOINT_PATHS } from "../../oauth/provider-metadata.ts";

/**
 * If-None-Match uses the weak comparison (RFC 9110 §13.1.2): a W/ prefix is ignored, and "*"
 * matches any current representation.
 */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const opaque = etag.replace(/^W\//, "");
  return ifNoneMatch
    .split(",")
    .map((candidate) => candidate.trim())
    .some((candidate) => candidate === "*" || candidate.replace(/^W\//, "") === opaque);
}

export default async function jwksRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  app.get(ENDPOINT_PATHS.jwks, async (request, reply) => {
    const { body, etag } = deps.keys.jwks();
    reply.header("cache-control", `public, max-age=${deps.config.jwksMaxAge}`).header("etag", etag);
    if (etagMatches(request.headers["if-none-match"], etag)) return reply.code(304).send();
    // application/json rather than application/jwk-set+json: some JWKS clients still accept
    // only the former, and RFC 7517 does not require the specific type.
    return reply.type("application/json; charset=utf-8").send(body);
  });
}
