// A resource server as its developers would write one: a small Fastify API that verifies
// Latchkey's access tokens offline with jose against the published JWKS (RFC 9068 §4: issuer,
// audience = its own resource URI, typ at+jwt, RS256), fed by a machine client that uses the
// client_credentials grant with an RFC 8707 resource. Latchkey runs as a real process on
// Postgres and Redis, with 5-second access tokens so that expiry can be watched.

import { setTimeout as sleep } from "node:timers/promises";
import Fastify, { type FastifyInstance } from "fastify";
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerOnServices, startServerOnServices } from "../helpers/services.ts";
import { basicAuth, formBody } from "../helpers/token-fixtures.ts";

const ACCESS_TOKEN_TTL = 5;

interface Registration {
  clientId: string;
  secret: string | null;
}

interface Metadata {
  issuer: string;
  jwks_uri: string;
  token_endpoint: string;
  introspection_endpoint: string;
  introspection_endpoint_auth_methods_supported: string[];
  revocation_endpoint: string;
  revocation_endpoint_auth_methods_supported: string[];
}

/** The API: GET /orders for a valid bearer token meant for it; 401 with the reason otherwise. */
async function ordersApi(issuer: string): Promise<{ app: FastifyInstance; resource: string }> {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/oauth/jwks`));
  const app = Fastify();
  let resource = "";
  app.get("/orders", async (request, reply) => {
    const match = /^Bearer ([^ ]+)$/.exec(request.headers.authorization ?? "");
    if (!match?.[1]) {
      return reply.code(401).header("www-authenticate", 'Bearer realm="orders"').send();
    }
    try {
      const { payload } = await jwtVerify(match[1], jwks, {
        issuer,
        audience: resource,
        typ: "at+jwt",
        algorithms: ["RS256"],
      });
      return { client_id: payload.client_id, scope: payload.scope, orders: [] };
    } catch (err) {
      const reason = err instanceof errors.JOSEError ? err.code : "unexpected";
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="orders", error="invalid_token"')
        .send({ error: "invalid_token", reason });
    }
  });
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  resource = `${address}/`;
  return { app, resource };
}

describe("a resource server verifying Latchkey access tokens against the JWKS", () => {
  let latchkey: ServerOnServices;
  let api: { app: FastifyInstance; resource: string };
  let worker: Registration;
  let apiRegistration: Registration;
  let metadata: Metadata;

  beforeAll(async () => {
    latchkey = await startServerOnServices({ ACCESS_TOKEN_TTL: `${ACCESS_TOKEN_TTL}s` });
    worker = await latchkey.data.client({
      name: "Orders worker",
      grantTypes: ["client_credentials"],
      scope: "orders:read orders:write",
    });
    // The API's own registration, used only to call introspection.
    apiRegistration = await latchkey.data.client({
      name: "Orders API",
      grantTypes: ["client_credentials"],
    });
    api = await ordersApi(latchkey.issuer);
    const res = await fetch(`${latchkey.issuer}/.well-known/oauth-authorization-server`);
    metadata = (await res.json()) as Metadata;
  });
  afterAll(async () => {
    await api?.app.close();
    await latchkey?.close();
  });

  const basic = (r: Registration) => basicAuth(r.clientId, r.secret ?? "");

  async function post(url: string, params: Record<string, string>, auth: Registration) {
    return fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: basic(auth),
      },
      body: formBody(params),
    });
  }

  async function clientCredentialsToken(params: Record<string, string>): Promise<string> {
    const res = await post(
      metadata.token_endpoint,
      { grant_type: "client_credentials", ...params },
      worker,
    );
    const body = (await res.json()) as { access_token: string; token_type: string };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.token_type).toBe("Bearer");
    return body.access_token;
  }

  async function callApi(token: string) {
    const res = await fetch(new URL("/orders", api.resource), {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it("finds the JWKS, introspection and revocation in the server's metadata", () => {
    expect(metadata).toMatchObject({
      issuer: latchkey.issuer,
      jwks_uri: `${latchkey.issuer}/oauth/jwks`,
      introspection_endpoint: `${latchkey.issuer}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
      ],
      revocation_endpoint: `${latchkey.issuer}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
      ],
    });
  });

  it("accepts a client_credentials token requested for its resource URI", async () => {
    const token = await clientCredentialsToken({ resource: api.resource, scope: "orders:read" });
    expect(await callApi(token)).toEqual({
      status: 200,
      body: { client_id: worker.clientId, scope: "orders:read", orders: [] },
    });
  });

  it("rejects a tampered token: a widened scope breaks the signature", async () => {
    const token = await clientCredentialsToken({ resource: api.resource, scope: "orders:read" });
    const [header, , signature] = token.split(".");
    const payload = { ...decodeJwt(token), scope: "orders:read orders:write" };
    const tampered = `${header}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${signature}`;
    expect(await callApi(tampered)).toEqual({
      status: 401,
      body: { error: "invalid_token", reason: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" },
    });
  });

  it("rejects a token for another audience, and one requested without a resource", async () => {
    const elsewhere = await clientCredentialsToken({ resource: "https://billing.example.com/" });
    expect(decodeJwt(elsewhere).aud).toBe("https://billing.example.com/");
    expect(await callApi(elsewhere)).toEqual({
      status: 401,
      body: { error: "invalid_token", reason: "ERR_JWT_CLAIM_VALIDATION_FAILED" },
    });
    const defaultAudience = await clientCredentialsToken({});
    expect(decodeJwt(defaultAudience).aud).toBe(latchkey.issuer);
    expect((await callApi(defaultAudience)).status).toBe(401);
  });

  it("rejects a token once it has expired", async () => {
    const token = await clientCredentialsToken({ resource: api.resource });
    expect((await callApi(token)).status).toBe(200);
    const exp = Number(decodeJwt(token).exp);
    await sleep(Math.max(0, exp * 1000 - Date.now()) + 200);
    expect(await callApi(token)).toEqual({
      status: 401,
      body: { error: "invalid_token", reason: "ERR_JWT_EXPIRED" },
    });
  });

  it("rejects a request without a bearer token", async () => {
    const res = await fetch(new URL("/orders", api.resource));
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="orders"');
  });

  it("learns of a revocation only through introspection", async () => {
    const token = await clientCredentialsToken({ resource: api.resource });
    const introspect = async () => {
      const res = await post(metadata.introspection_endpoint, { token }, apiRegistration);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      return (await res.json()) as Record<string, unknown>;
    };
    expect(await introspect()).toMatchObject({
      active: true,
      client_id: worker.clientId,
      sub: worker.clientId,
      aud: api.resource,
      token_type: "Bearer",
    });

    const revoked = await post(metadata.revocation_endpoint, { token }, worker);
    expect(revoked.status).toBe(200);
    expect(await revoked.text()).toBe("");

    expect(await introspect()).toEqual({ active: false });
    // Offline verification cannot know: the token stays usable until it expires, which is
    // why access tokens are short-lived.
    expect((await callApi(token)).status).toBe(200);
  });
});
