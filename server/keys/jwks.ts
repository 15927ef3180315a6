// The JWK Set document. Every instance serialises the same keys into the same bytes (fixed
// member order, keys in signing order), so the strong ETag is the same behind a load
// balancer and a resource server's conditional request works whichever instance answers.

import { createHash } from "node:crypto";
import type { PublicSigningJwk } from "./crypto.ts";

export interface JwksDocument {
  body: string;
  etag: string;
}

export function serializeJwks(keys: readonly PublicSigningJwk[]): JwksDocument {
  const body = JSON.stringify({
    keys: keys.map(({ kty, use, alg, kid, n, e }) => ({ kty, use, alg, kid, n, e })),
  });
  const etag = `"${createHash("sha256").update(body).digest("base64url")}"`;
  return { body, etag };
}
