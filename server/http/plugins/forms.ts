// application/x-www-form-urlencoded bodies, as every OAuth endpoint takes them. Parsed with
// URLSearchParams (RFC 6749 Appendix B encoding) into name → value, with a repeated name kept
// as an array so that endpoints can refuse it with invalid_request (RFC 6749 §3.1, §3.2).

import formbody from "@fastify/formbody";
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { invalidRequest } from "../../errors.ts";
import type { RawParams } from "../../oauth/params.ts";

export const FORM_BODY_LIMIT = 16 * 1024;

export function parseForm(body: string): RawParams {
  const params: RawParams = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const existing = params[name];
    if (existing === undefined) params[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else params[name] = [existing, value];
  }
  return params;
}

/**
 * onRequest hook of the endpoints that take form bodies only (RFC 6749 §3.2): any other
 * content type is invalid_request, decided before the body is read.
 */
export async function requireFormBody(request: FastifyRequest): Promise<void> {
  const type = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw invalidRequest("The request body must be application/x-www-form-urlencoded.");
  }
}

async function forms(app: FastifyInstance): Promise<void> {
  await app.register(formbody, { bodyLimit: FORM_BODY_LIMIT, parser: parseForm });
}

export default fp(forms, { name: "forms" });
