// CORS for the endpoints browser apps call (server/oauth/cors.ts says which and for whom):
// preflights (OPTIONS) are answered here, and every response of those endpoints, errors
// included, carries Access-Control-Allow-Origin when the origin may read it. Never with
// credentials. Hand-written rather than @fastify/cors: the rules are a few lines, and the
// per-request origin lookup and per-endpoint policies would need its callbacks anyway.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { Deps } from "../../deps.ts";
import { allowedOrigin, type CorsEndpoint, corsEndpoints } from "../../oauth/cors.ts";

// Preflight results may be cached by the browser for this long, in seconds.
const PREFLIGHT_MAX_AGE = "600";
// Bearer tokens and client credentials travel in Authorization; forms and JSON in Content-Type.
const ALLOWED_HEADERS = "authorization, content-type";
// So that a browser app can read why a bearer token was refused (RFC 6750 §3).
const EXPOSED_HEADERS = "www-authenticate";

async function cors(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const endpoints = new Map(corsEndpoints(deps.config).map((e) => [e.path, e]));

  /** Sets Vary and Access-Control-Allow-Origin; true when the origin may read the answer. */
  async function allowOrigin(
    request: FastifyRequest,
    reply: FastifyReply,
    endpoint: CorsEndpoint,
  ): Promise<boolean> {
    const origin = request.headers.origin;
    const everyone = endpoint.policy === "public" || deps.config.corsOrigins.includes("*");
    // The answer depends on the Origin header, so caches must keep one answer per origin.
    if (!everyone) reply.header("vary", varyWithOrigin(reply.getHeader("vary")));
    const allowed = everyone
      ? "*"
      : typeof origin === "string"
        ? await allowedOrigin(deps, endpoint.policy, origin)
        : null;
    if (allowed === null) return false;
    reply.header("access-control-allow-origin", allowed);
    return true;
  }

  for (const endpoint of endpoints.values()) {
    app.options(endpoint.path, async (request, reply) => {
      reply.header("allow", ["OPTIONS", ...endpoint.methods].join(", "));
      const method = request.headers["access-control-request-method"];
      const preflight = typeof request.headers.origin === "string" && typeof method === "string";
      if (preflight && endpoint.methods.includes(method)) {
        if (await allowOrigin(request, reply, endpoint)) {
          reply.headers({
            "access-control-allow-methods": endpoint.methods.join(", "),
            "access-control-allow-headers": ALLOWED_HEADERS,
            "access-control-max-age": PREFLIGHT_MAX_AGE,
          });
        }
      }
      return reply.code(204).send();
    });
  }

  // Callback form: most responses are of no CORS endpoint and must not pay for a promise.
  app.addHook("onSend", (request, reply, payload, done) => {
    const endpoint =
      request.method === "OPTIONS" ? undefined : endpoints.get(request.routeOptions.url ?? "");
    if (!endpoint) return done(null, payload);
    if (endpoint.policy === "public") {
      reply.header("access-control-allow-origin", "*");
      reply.header("access-control-expose-headers", EXPOSED_HEADERS);
      return done(null, payload);
    }
    allowOrigin(request, reply, endpoint).then((allowed) => {
      if (allowed) reply.header("access-control-expose-headers", EXPOSED_HEADERS);
      done(null, payload);
    }, done);
  });
}

function varyWithOrigin(current: unknown): string {
  const values = typeof current === "string" && current !== "" ? current.split(/\s*,\s*/) : [];
  return values.some((v) => v.toLowerCase() === "origin" || v === "*")
    ? values.join(", ")
    : [...values, "Origin"].join(", ");
}

export default fp(cors, { name: "cors" });
