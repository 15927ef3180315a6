// The client_credentials grant (RFC 6749 §4.4, RFC 9068, RFC 8707): an access token for a
// confidential client on its own behalf, with the client's registered scopes, the requested
// audience, and nothing else: no refresh token, no ID token, nothing written.

import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertClient } from "../../server/store/db/clients.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import { clientAuth, expectTokenError, type TestClient } from "../helpers/refresh-fixtures.ts";
import { basicAuth, makeClient, postToken, verifyWithJwks } from "../helpers/token-fixtures.ts";

describe("the client_credentials grant", () => {
  let t: TestApp;
  let machine: TestClient;

  beforeAll(async () => {
    t = await buildTestApp();
    machine = await makeClient(t.app, {
      redirectUris: [],
      grantTypes: ["client_credentials"],
      scope: "api:read api:write",
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  function requestToken(
    client: TestClient,
    extra: Record<string, string | string[]> = {},
    headers: Record<string, string> = clientAuth(client).headers,
  ) {
    return postToken(
      t.app,
      { grant_type: "client_credentials", ...clientAuth(client).params, ...extra },
      headers,
    );
  }

  describe("a successful request", () => {
    it("returns only a bearer access token, never cached", async () => {
      const res = await requestToken(machine, { scope: "api:read" });
      expect(res.statusCode).toBe(200);
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.headers.pragma).toBe("no-cache");
      expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(res.json()).toEqual({
        access_token: expect.any(String),
        token_type: "Bearer",
        expires_in: 900,
        scope: "api:read",
      });
    });

    it("issues an RFC 9068 access token whose subject is the client", async () => {
      const res = await requestToken(machine, { scope: "api:write api:read" });
      const { payload, header } = await verifyWithJwks(t.app, res.json().access_token, {
        typ: "at+jwt",
        audience: t.config.defaultAudience,
      });
      expect(header).toMatchObject({ alg: "RS256", typ: "at+jwt" });
      expect(payload).toEqual({
        iss: t.config.issuer,
        sub: machine.client.id,
        aud: t.config.defaultAudience,
        client_id: machine.client.id,
        scope: "api:write api:read",
        jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        iat: expect.any(Number),
        exp: expect.any(Number),
      });
    });

    it("grants every registered scope when no scope is requested", async () => {
      const res = await requestToken(machine);
      expect(res.statusCode).toBe(200);
      expect(res.json().scope).toBe("api:read api:write");
    });

    it("leaves openid and offline_access out of the default scope", async () => {
      const mixed = await makeClient(t.app, {
        redirectUris: [],
        grantTypes: ["client_credentials"],
        scope: "openid api:read offline_access",
      });
      const res = await requestToken(mixed);
      expect(res.statusCode).toBe(200);
      expect(res.json().scope).toBe("api:read");
    });

    it("accepts client_secret_post", async () => {
      const post = await makeClient(t.app, {
        redirectUris: [],
        authMethod: "client_secret_post",
        scope: "api:read",
      });
      const res = await postToken(t.app, {
        grant_type: "client_credentials",
        client_id: post.client.id,
        client_secret: post.secret!,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().scope).toBe("api:read");
    });

    it("writes nothing to the database", async () => {
      const count = async () => {
        const rows = await Promise.all(
          (["refresh_families", "refresh_tokens", "consents", "audit_events"] as const).map(
            (table) =>
              t.app.deps.db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll<string>().as("n"))
                .executeTakeFirstOrThrow(),
          ),
        );
        return rows.map((row) => Number(row.n));
      };
      const before = await count();
      expect((await requestToken(machine)).statusCode).toBe(200);
      expect(await count()).toEqual(before);
    });
  });

  describe("resource indicators (RFC 8707)", () => {
    const api = "https://api.example.com/";
    const reports = "https://reports.example.com/";

    it("makes one requested resource the audience", async () => {
      const res = await requestToken(machine, { resource: api });
      const { payload } = await verifyWithJwks(t.app, res.json().access_token, {
        typ: "at+jwt",
        audience: api,
      });
      expect(payload.aud).toBe(api);
    });

    it("makes several requested resources the audience", async () => {
      const res = await requestToken(machine, { resource: [api, reports, api] });
      const { payload } = await verifyWithJwks(t.app, res.json().access_token, { typ: "at+jwt" });
      expect(payload.aud).toEqual([api, reports]);
    });

    it.each([
      ["a relative URI", "/api"],
      ["a URI with a fragment", "https://api.example.com/#x"],
    ])("rejects %s as invalid_target", async (_, resource) => {
      expectTokenError(await requestToken(machine, { resource }), "invalid_target");
    });
  });

  describe("scope", () => {
    it.each([
      ["a scope the client is not registered for", "api:read api:admin"],
      ["openid, which needs a user", "openid"],
      ["offline_access, which needs a refresh token", "api:read offline_access"],
      ["a malformed scope", "api:read\\x"],
    ])("rejects %s as invalid_scope", async (_, scope) => {
      expectTokenError(await requestToken(machine, { scope }), "invalid_scope");
    });

    it("rejects openid even for a client registered for it", async () => {
      const oidc = await makeClient(t.app, {
        redirectUris: [],
        grantTypes: ["client_credentials"],
        scope: "openid api:read",
      });
      expectTokenError(await requestToken(oidc, { scope: "openid api:read" }), "invalid_scope");
    });
  });

  describe("clients that may not use it", () => {
    it("rejects a client without the grant as unauthorized_client", async () => {
      const rp = await makeClient(t.app);
      expect(rp.client.grantTypes).not.toContain("client_credentials");
      expectTokenError(await requestToken(rp), "unauthorized_client");
    });

    it("rejects a public client as unauthorized_client", async () => {
      const spa = await makeClient(t.app, { authMethod: "none" });
      expectTokenError(await requestToken(spa), "unauthorized_client");
    });

    it("rejects a public client even when its registration lists the grant", async () => {
      // Registration refuses this combination; the grant holds the line on its own too.
      const client = await insertClient(t.app.deps.db, {
        id: randomBytes(16).toString("hex"),
        name: "Legacy public machine",
        secretDigest: null,
        authMethod: "none",
        redirectUris: [],
        postLogoutRedirectUris: [],
        grantTypes: ["client_credentials"],
        responseTypes: [],
        scope: "api:read",
        skipConsent: false,
        jwks: null,
        jwksUri: null,
        secretUpdatedAt: null,
        createdAt: new Date(),
      });
      const res = await requestToken({ client: client!, secret: null });
      expectTokenError(res, "unauthorized_client");
    });

    it("rejects a wrong secret as invalid_client with a Basic challenge", async () => {
      const res = await requestToken(
        machine,
        {},
        {
          authorization: basicAuth(machine.client.id, "wrong"),
        },
      );
      expectTokenError(res, "invalid_client", 401);
      expect(res.headers["www-authenticate"]).toMatch(/^Basic /);
    });

    it("rejects a request without client authentication as invalid_client", async () => {
      const res = await postToken(t.app, { grant_type: "client_credentials" });
      expectTokenError(res, "invalid_client", 401);
    });
  });
});
