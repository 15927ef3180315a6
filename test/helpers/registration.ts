// Requests to the registration endpoints (RFC 7591, RFC 7592) through app.inject, and the
// checks every one of their responses must pass.

import { generateKeyPairSync } from "node:crypto";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { expect } from "vitest";

export type Json = Record<string, unknown>;

export function register(
  app: FastifyInstance,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: "POST",
    url: "/oauth/register",
    headers: { "content-type": "application/json", ...headers },
    payload: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function manage(
  app: FastifyInstance,
  method: "GET" | "PUT" | "DELETE",
  clientId: string,
  token: string | null,
  body?: unknown,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url: `/oauth/register/${encodeURIComponent(clientId)}`,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

// The members only the server sets (RFC 7592 §2.2), and the secret, which the client keeps.
const NOT_SENT = [
  "registration_access_token",
  "registration_client_uri",
  "client_secret_expires_at",
  "client_id_issued_at",
  "client_secret",
];

/** A client information response turned into an update request (RFC 7592 §2.2), with changes. */
export function asUpdate(info: Json, changes: Json = {}): Json {
  const metadata = Object.entries(info).filter(([name]) => !NOT_SENT.includes(name));
  return { ...Object.fromEntries(metadata), ...changes };
}

/** A successful response: status, JSON, never cached. */
export function expectClientInformation(res: LightMyRequestResponse, status = 201): Json {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
  expect(res.headers["cache-control"]).toBe("no-store");
  expect(res.headers.pragma).toBe("no-cache");
  return res.json() as Json;
}

/** An RFC 7591 §3.2.2 error response with exactly this code. */
export function expectRegistrationError(
  res: LightMyRequestResponse,
  error: string,
  status = 400,
): string {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers["cache-control"]).toBe("no-store");
  const body = res.json() as { error: string; error_description: string };
  expect(body).toEqual({ error, error_description: expect.any(String) });
  return body.error_description;
}

/** A 401 with a Bearer challenge (RFC 6750 §3). */
export function expectBearerRefusal(res: LightMyRequestResponse): void {
  expectRegistrationError(res, "invalid_token", 401);
  expect(res.headers["www-authenticate"]).toMatch(/^Bearer realm="latchkey"/);
}

/** A public JWK Set of one fresh signing key, as a private_key_jwt client would publish. */
export function publicJwks(kid = "key-1"): { keys: Json[] } {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { keys: [{ ...(publicKey.export({ format: "jwk" }) as Json), kid, use: "sig" }] };
}
