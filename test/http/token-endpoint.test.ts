// POST /oauth/token: the rules every grant shares (RFC 6749 §2.3, §3.2, §5.2) and client
// authentication with client_secret_basic, client_secret_post and none.

import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../server/oauth/clients.ts";
import type { User } from "../../server/store/db/users.ts";
import { accessTokenHash } from "../../server/tokens/id-token.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  basicAuth,
  formBody,
  makeClient,
  makeUser,
  mintCode,
  newVerifier,
  postToken,
  REDIRECT_URI,
  verifyWithJwks,
} from "../helpers/token-fixtures.ts";

function expectError(res: LightMyRequestResponse, status: number, error: string): void {
  expect(res.statusCode).toBe(status);
  expect(res.json()).toEqual({ error, error_description: expect.any(String) });
  expect(res.headers["cache-control"]).toBe("no-store");
  expect(res.headers.pragma).toBe("no-cache");
  expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
}

/** A successful exchange, with both tokens verified against the JWKS as a relying party would. */
async function expectTokens(
  app: TestApp["app"],
  res: LightMyRequestResponse,
  client: Client,
  user: User,
): Promise<void> {
  expect(res.statusCode).toBe(200);
  expect(res.headers["cache-control"]).toBe("no-store");
  expect(res.headers.pragma).toBe("no-cache");
  const body = res.json();
  expect(body).toMatchObject({ token_type: "Bearer", expires_in: 900 });
  const access = await verifyWithJwks(app, body.access_token, {
    typ: "at+jwt",
    audience: app.deps.config.defaultAudience,
  });
  expect(access.header).toMatchObject({ alg: "RS256", typ: "at+jwt", kid: expect.any(String) });
  expect(access.payload).toMatchObject({ sub: user.id, client_id: client.id });
  const id = await verifyWithJwks(app, body.id_token, { typ: "JWT", audience: client.id });
  expect(id.header.kid).toBe(access.header.kid);
  expect(id.payload).toMatchObject({
    sub: user.id,
    nonce: "n-0S6_WzA2Mj",
    at_hash: accessTokenHash(body.access_token),
  });
}

function expectInvalidClient(res: LightMyRequestResponse): void {
  expectError(res, 401, "invalid_client");
  expect(res.headers["www-authenticate"]).toBe('Basic realm="latchkey", charset="UTF-8"');
}

describe("POST /oauth/token", () => {
  let t: TestApp;
  let user: User;
  let basicClient: { client: Client; secret: string };
  let postClient: { client: Client; secret: string };
  let publicClient: Client;

  beforeAll(async () => {
    t = await buildTestApp();
    user = await makeUser(t.app);
    const basic = await makeClient(t.app);
    basicClient = { client: basic.client, secret: basic.secret! };
    const post = await makeClient(t.app, { authMethod: "client_secret_post" });
    postClient = { client: post.client, secret: post.secret! };
    publicClient = (await makeClient(t.app, { authMethod: "none" })).client;
  });
  afterAll(async () => {
    await t?.close();
  });

  async function codeParams(client: Client) {
    const verifier = newVerifier();
    const code = await mintCode(t.app, { clientId: client.id, userId: user.id }, { verifier });
    return {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    };
  }

  describe("client authentication", () => {
    it("accepts client_secret_basic", async () => {
      const c = basicClient;
      const res = await postToken(t.app, await codeParams(c.client), {
        authorization: basicAuth(c.client.id, c.secret),
      });
      await expectTokens(t.app, res, c.client, user);
    });

    it("accepts client_secret_basic with a client_id of the same client in the body", async () => {
      const c = basicClient;
      const res = await postToken(
        t.app,
        { ...(await codeParams(c.client)), client_id: c.client.id },
        { authorization: basicAuth(c.client.id, c.secret) },
      );
      expect(res.statusCode).toBe(200);
    });

    it("accepts client_secret_post", async () => {
      const c = postClient;
      const res = await postToken(t.app, {
        ...(await codeParams(c.client)),
        client_id: c.client.id,
        client_secret: c.secret,
      });
      await expectTokens(t.app, res, c.client, user);
    });

    it("accepts a public client by its client_id", async () => {
      const res = await postToken(t.app, {
        ...(await codeParams(publicClient)),
        client_id: publicClient.id,
      });
      await expectTokens(t.app, res, publicClient, user);
      // A public client has no secret to protect a refresh token with, but it is registered
      // for the refresh_token grant by default, so it gets the first one of a family.
      expect(res.json().refresh_token).toEqual(expect.any(String));
    });

    it("rejects a wrong secret with 401 and a Basic challenge", async () => {
      const c = basicClient;
      expectInvalidClient(
        await postToken(t.app, await codeParams(c.client), {
          authorization: basicAuth(
            c.client.id,
            `${c.secret.slice(0, -1)}${c.secret.endsWith("A") ? "B" : "A"}`,
          ),
        }),
      );
      expectInvalidClient(
        await postToken(t.app, {
          ...(await codeParams(postClient.client)),
          client_id: postClient.client.id,
          client_secret: "wrong",
        }),
      );
    });

    it("rejects an unknown client", async () => {
      expectInvalidClient(
        await postToken(t.app, await codeParams(basicClient.client), {
          authorization: basicAuth("no-such-client", "secret"),
        }),
      );
    });

    it("rejects a request that names no client", async () => {
      expectInvalidClient(await postToken(t.app, await codeParams(basicClient.client)));
    });

    it("rejects a method other than the registered one", async () => {
      // A basic client posting its secret in the body.
      expectInvalidClient(
        await postToken(t.app, {
          ...(await codeParams(basicClient.client)),
          client_id: basicClient.client.id,
          client_secret: basicClient.secret,
        }),
      );
      // A confidential client leaving out its secret, as if it were public.
      expectInvalidClient(
        await postToken(t.app, {
          ...(await codeParams(basicClient.client)),
          client_id: basicClient.client.id,
        }),
      );
      // A post client using Basic.
      expectInvalidClient(
        await postToken(t.app, await codeParams(postClient.client), {
          authorization: basicAuth(postClient.client.id, postClient.secret),
        }),
      );
      // A public client sending a secret.
      expectInvalidClient(
        await postToken(t.app, {
          ...(await codeParams(publicClient)),
          client_id: publicClient.id,
          client_secret: "anything",
        }),
      );
    });

    it("rejects two authentication methods in one request as invalid_request", async () => {
      const c = basicClient;
      expectError(
        await postToken(
          t.app,
          { ...(await codeParams(c.client)), client_id: c.client.id, client_secret: c.secret },
          { authorization: basicAuth(c.client.id, c.secret) },
        ),
        400,
        "invalid_request",
      );
    });

    it("refuses a client assertion whose iss and sub name no client", async () => {
      const res = await postToken(t.app, {
        ...(await codeParams(basicClient.client)),
        client_id: basicClient.client.id,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: "eyJhbGciOiJSUzI1NiJ9.e30.sig",
      });
      expectInvalidClient(res);
      expect(res.json().error_description).toMatch(/iss and sub/);
    });

    it("rejects a client that is not registered for the grant as unauthorized_client", async () => {
      const machine = await makeClient(t.app, { redirectUris: [] });
      expect(machine.client.grantTypes).toEqual(["client_credentials"]);
      expectError(
        await postToken(t.app, await codeParams(basicClient.client), {
          authorization: basicAuth(machine.client.id, machine.secret!),
        }),
        400,
        "unauthorized_client",
      );
    });
  });

  describe("request format", () => {
    const auth = () => ({ authorization: basicAuth(basicClient.client.id, basicClient.secret) });

    it("rejects a missing grant_type as invalid_request", async () => {
      const { grant_type: _, ...rest } = await codeParams(basicClient.client);
      expectError(await postToken(t.app, rest, auth()), 400, "invalid_request");
    });

    it.each(["password", "implicit", "urn:ietf:params:oauth:grant-type:device_code"])(
      "rejects grant_type=%s as unsupported_grant_type",
      async (grantType) => {
        expectError(
          await postToken(t.app, { grant_type: grantType }, auth()),
          400,
          "unsupported_grant_type",
        );
      },
    );

    it.each(["application/json", "text/plain", "multipart/form-data; boundary=x"])(
      "rejects a %s body as invalid_request",
      async (type) => {
        const res = await t.app.inject({
          method: "POST",
          url: "/oauth/token",
          headers: { ...auth(), "content-type": type },
          payload: type === "application/json" ? '{"grant_type":"authorization_code"}' : "x",
        });
        expectError(res, 400, "invalid_request");
      },
    );

    it("rejects a request without a body as invalid_request", async () => {
      const res = await t.app.inject({ method: "POST", url: "/oauth/token", headers: auth() });
      expectError(res, 400, "invalid_request");
    });

    it("accepts a form content type with a charset", async () => {
      const res = await t.app.inject({
        method: "POST",
        url: "/oauth/token",
        headers: { ...auth(), "content-type": "application/x-www-form-urlencoded; charset=UTF-8" },
        payload: formBody(await codeParams(basicClient.client)),
      });
      expect(res.statusCode).toBe(200);
    });

    it.each(["grant_type", "code", "redirect_uri", "code_verifier", "client_id"])(
      "rejects a repeated %s as invalid_request",
      async (name) => {
        const params: Record<string, string | string[]> = {
          ...(await codeParams(basicClient.client)),
          client_id: basicClient.client.id,
        };
        params[name] = [params[name] as string, params[name] as string];
        const res = await postToken(t.app, params, auth());
        expectError(res, 400, "invalid_request");
        expect(res.json().error_description).toContain(name);
      },
    );

    it.each(["code", "redirect_uri"])("rejects a missing %s as invalid_request", async (name) => {
      const params: Record<string, string> = await codeParams(basicClient.client);
      delete params[name];
      const res = await postToken(t.app, params, auth());
      expectError(res, 400, "invalid_request");
      expect(res.json().error_description).toContain(name);
    });

    it("answers only POST", async () => {
      const res = await t.app.inject({ method: "GET", url: "/oauth/token" });
      expect(res.statusCode).toBe(404);
    });
  });
});
