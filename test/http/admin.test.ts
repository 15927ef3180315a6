// The admin API the CLI uses while a server holds the embedded database: loopback peers with
// the published bearer token only, validated JSON bodies, JSON errors, nothing cached.

import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import errorHandler from "../../server/http/plugins/error-handler.ts";
import adminRoutes from "../../server/http/routes/admin.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";

const TOKEN = "test-admin-token-0123456789abcdef";

describe("the admin API", () => {
  let t: TestApp;
  let admin: FastifyInstance;
  beforeAll(async () => {
    t = await buildTestApp({ ADMIN_API: "on" });
    // The same routes and deps as in buildApp, with a token this test knows.
    admin = Fastify({ logger: false });
    await admin.register(errorHandler);
    await admin.register(adminRoutes, { deps: t.app.deps, adminToken: TOKEN });
  });
  afterAll(async () => {
    await admin?.close();
    await t?.close();
  });

  const op = (name: string, body: unknown = {}, options: { token?: string; ip?: string } = {}) =>
    admin.inject({
      method: "POST",
      url: `/admin/ops/${name}`,
      remoteAddress: options.ip ?? "127.0.0.1",
      headers: { authorization: `Bearer ${options.token ?? TOKEN}` },
      payload: body as object,
    });

  it("is served by buildApp when ADMIN_API is on, and not advertised in discovery", async () => {
    const res = await t.app.inject({ method: "POST", url: "/admin/ops/clientList", payload: {} });
    expect(res.statusCode).toBe(401);
    const discovery = await t.app.inject({ url: "/.well-known/openid-configuration" });
    expect(discovery.body).not.toContain("/admin");
  });

  it("refuses a missing or wrong token with 401", async () => {
    const missing = await admin.inject({
      method: "POST",
      url: "/admin/ops/clientList",
      payload: {},
    });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers["www-authenticate"]).toBe('Bearer realm="latchkey"');
    expect(missing.json()).toEqual({
      error: "unauthorized",
      error_description: "The admin token is missing or wrong.",
    });
    for (const token of [`${TOKEN}x`, TOKEN.slice(1), "x"]) {
      expect((await op("clientList", {}, { token })).statusCode).toBe(401);
    }
    const basic = await admin.inject({
      method: "POST",
      url: "/admin/ops/clientList",
      headers: { authorization: `Basic ${TOKEN}` },
      payload: {},
    });
    expect(basic.statusCode).toBe(401);
  });

  it("refuses peers that are not on loopback with 403, even with the token", async () => {
    for (const ip of ["203.0.113.5", "10.0.0.1", "::ffff:192.168.1.2", "fe80::1"]) {
      const res = await op("clientList", {}, { ip });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({
        error: "forbidden",
        error_description: "The admin API accepts local connections only.",
      });
    }
  });

  it.each([
    ["x-forwarded-for", "203.0.113.5"],
    ["forwarded", "for=203.0.113.5"],
    ["x-real-ip", "203.0.113.5"],
  ])("refuses requests relayed by a local reverse proxy (%s)", async (header, value) => {
    const res = await admin.inject({
      method: "POST",
      url: "/admin/ops/clientList",
      headers: { authorization: `Bearer ${TOKEN}`, [header]: value },
      payload: {},
    });
    expect(res.statusCode).toBe(403);
  });

  it("accepts IPv4 and IPv6 loopback peers and never lets responses be cached", async () => {
    for (const ip of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"]) {
      const res = await op("clientList", {}, { ip });
      expect(res.statusCode).toBe(200);
      expect(res.headers["cache-control"]).toBe("no-store");
    }
  });

  it("answers unknown operations with 404, but only to authenticated callers", async () => {
    expect((await op("dropEverything")).statusCode).toBe(404);
    expect((await op("dropEverything")).json()).toMatchObject({ error: "not_found" });
    expect((await op("dropEverything", {}, { token: "x" })).statusCode).toBe(401);
    const get = await admin.inject({
      method: "GET",
      url: "/admin/ops/clientList",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(get.statusCode).toBe(404);
  });

  it("validates bodies with 400 invalid_request", async () => {
    const missing = await op("clientCreate", {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ error: "invalid_request" });
    expect((await op("clientShow", { client_id: { id: "x" } })).statusCode).toBe(400);
    expect((await op("userCreate", { email: "a@example.com" })).statusCode).toBe(400);
    const rule = await op("clientCreate", {
      client_name: "x",
      redirect_uris: ["http://example.com/cb"],
    });
    expect(rule.statusCode).toBe(400);
    expect(rule.json()).toEqual({
      error: "invalid_request",
      error_description:
        'Invalid redirect URI "http://example.com/cb": it must use https (http is allowed only for loopback hosts).',
    });
  });

  it("creates a client whose secret is shown once and never again", async () => {
    const created = await op("clientCreate", {
      client_name: "Web",
      redirect_uris: ["https://app.example.com/cb"],
    });
    expect(created.statusCode).toBe(200);
    const client = created.json() as { client_id: string; client_secret: string };
    expect(client.client_secret).toMatch(/^[\w-]{43}$/);
    const shown = await op("clientShow", { client_id: client.client_id });
    expect(shown.json()).toMatchObject({ client_id: client.client_id, client_name: "Web" });
    const listed = await op("clientList");
    for (const body of [shown.body, listed.body]) {
      expect(body).not.toContain(client.client_secret);
      expect(body).not.toMatch(/secret_digest|secretDigest|"client_secret"/);
    }
  });

  it("reports conflicts and unknown ids with their status", async () => {
    const user = { email: "dup@example.com", password: "long enough" };
    expect((await op("userCreate", user)).statusCode).toBe(200);
    const duplicate = await op("userCreate", { ...user, email: "DUP@example.com" });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toEqual({
      error: "conflict",
      error_description: "A user with email dup@example.com already exists.",
    });
    const unknown = await op("clientDelete", { client_id: "nope" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({
      error: "not_found",
      error_description: "No client with id nope.",
    });
  });

  it("makes a forced key rotation visible in this server's JWKS at once", async () => {
    const res = await op("keysRotate");
    expect(res.statusCode).toBe(200);
    const keys = res.json() as Array<{ kid: string; state: string }>;
    expect(keys.at(-1)?.state).toBe("next");
    expect(t.app.deps.keys.jwks().body).toContain(keys.at(-1)?.kid);
  });
});
