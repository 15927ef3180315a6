// Responses that carry tokens, credentials or user data must never be cached (RFC 6749 §5.1,
// RFC 6750 §5.1, RFC 7662 §2.2); Pragma is for HTTP/1.0 caches.

import type { FastifyInstance } from "fastify";
import type { RawParams } from "../oauth/params.ts";
import type { EventOrigin } from "../observability/events.ts";
import { requireFormBody } from "./plugins/forms.ts";

export const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" } as const;

export interface FormRequest {
  authorization: string | undefined;
  body: RawParams;
  /** The client address and request id, for audit events. */
  origin: EventOrigin;
}

/**
 * A form-encoded POST endpoint answering JSON (or, for null, an empty 200) that is never
 * cached: the shape shared by the token, introspection and revocation endpoints.
 */
export function postFormEndpoint(
  app: FastifyInstance,
  path: string,
  handle: (request: FormRequest) => Promise<object | null>,
): void {
  app.post(path, { onRequest: requireFormBody }, async (request, reply) => {
    const response = await handle({
      authorization: request.headers.authorization,
      body: (request.body ?? {}) as RawParams,
      origin: { ip: request.ip, requestId: request.id },
    });
    reply.code(200).headers(NO_STORE);
    if (response === null) return reply.send();
    return reply.type("application/json; charset=utf-8").send(response);
  });
}
