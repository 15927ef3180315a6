// Which origins may call which endpoints from a browser (CORS, never with credentials: no
// cookie or session reaches these endpoints, and Access-Control-Allow-Credentials is never
// sent). The JWKS and the discovery documents are public data: any origin. The token,
// userinfo and revocation endpoints (and introspection when CORS_INTROSPECTION is on) answer
// the origins of registered redirect URIs, where browser apps live, plus CORS_ORIGINS.

import type { Config } from "../config.ts";
import { anyClientRedirectsToOrigin } from "../store/db/clients.ts";
import type { Db } from "../store/db/index.ts";
import { ENDPOINT_PATHS } from "./endpoints.ts";

export type CorsPolicy = "public" | "clients";

export interface CorsEndpoint {
  path: string;
  methods: readonly string[];
  policy: CorsPolicy;
}

export function corsEndpoints(config: Pick<Config, "corsIntrospection">): CorsEndpoint[] {
  const endpoints: CorsEndpoint[] = [
    { path: ENDPOINT_PATHS.openidConfiguration, methods: ["GET"], policy: "public" },
    { path: ENDPOINT_PATHS.authorizationServerMetadata, methods: ["GET"], policy: "public" },
    { path: ENDPOINT_PATHS.jwks, methods: ["GET"], policy: "public" },
    { path: ENDPOINT_PATHS.token, methods: ["POST"], policy: "clients" },
    { path: ENDPOINT_PATHS.userinfo, methods: ["GET", "POST"], policy: "clients" },
    { path: ENDPOINT_PATHS.revocation, methods: ["POST"], policy: "clients" },
  ];
  if (config.corsIntrospection) {
    endpoints.push({ path: ENDPOINT_PATHS.introspection, methods: ["POST"], policy: "clients" });
  }
  return endpoints;
}

// An origin as browsers serialise it: scheme, host, optional port (no "null", no path).
const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9a-f:.]+\](:\d{1,5})?$/;

/**
 * The Access-Control-Allow-Origin value for a request from this origin, or null to send none:
 * "*" where any origin may call, else the origin itself.
 */
export async function allowedOrigin(
  deps: { db: Db; config: Pick<Config, "corsOrigins"> },
  policy: CorsPolicy,
  origin: string,
): Promise<string | null> {
  if (policy === "public" || deps.config.corsOrigins.includes("*")) return "*";
  const normalized = origin.toLowerCase();
  if (normalized.length > 300 || !ORIGIN.test(normalized)) return null;
  if (deps.config.corsOrigins.includes(normalized)) return origin;
  return (await anyClientRedirectsToOrigin(deps.db, normalized)) ? origin : null;
}
