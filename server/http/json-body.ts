// The registration endpoints take JSON (RFC 7591 §3.1, RFC 7592 §2.2). Any other content type
// is refused with invalid_request before the body is read, like a non-form body at the token
// endpoint: the request is malformed, not its metadata.

import type { FastifyRequest } from "fastify";
import { invalidRequest } from "../errors.ts";

/** onRequest hook of the endpoints whose body must be application/json. */
export async function requireJsonBody(request: FastifyRequest): Promise<void> {
  const type = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    throw invalidRequest("The request body must be application/json.");
  }
}
