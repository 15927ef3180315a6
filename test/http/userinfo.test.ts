// GET and POST /oauth/userinfo (OIDC Core §5.3) with bearer tokens (RFC 6750): where the token
// may come from, every reason to refuse it with its exact challenge, and the claims by scope.

import { randomBytes } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteUser, lockUser } from "../../server/accounts/users.ts";
import type { Client } from "../../server/oauth/clients.ts";
import type { User } from "../../server/store/db/users.ts";
import { issueAccessToken } from "../../server/tokens/access-token.ts";
import { issueIdToken } from "../../server/tokens/id-token.ts";
import { denyAccessToken } from "../../server/tokens/revocation.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import { formBody, makeClient, makeUser } from "../helpers/token-fixtures.ts";

const CHALLENGE_PREFIX = 'Bearer realm="latchkey"';

function expectChallenge(
  res: LightMyRequestResponse,
  status: number,
  error: string,
  extra = "",
): void {
  expect(res.statusCode).toBe(status);
  expect(res.json()).toEqual({ error, error_description: expect.any(String) });
  expect(res.headers["cache-control"]).toBe("no-store");
  const description = res.json().error_description as string;
  expect(res.headers["www-authenticate"]).toBe(
    `${CHALLENGE_PREFIX}, error="${error}", error_description="${description}"${extra}`,
  );
}

describe("/oauth/userinfo", () => {
  let t: TestApp;
  let user: User;
  let client: Client;

  beforeAll(async () => {
    t = await buildTestApp();
    user = await makeUser(t.app, { name: "Grace Hopper", emailVerified: false });
    client = (await makeClient(t.app)).client;
  });
  afterAll(async () => {
    await t?.close();
  });

  async function accessToken(
    input: { scope?: string; subject?: string; audience?: string[]; now?: Date } = {},
  ) {
    const deps = input.now ? { ...t.app.deps, now: () => input.now! } : t.app.deps;
    return issueAccessToken(deps, {
      subject: input.subject ?? user.id,
      clientId: client.id,
      scope: input.scope ?? "openid profile email",
      audience: input.audience ?? [t.config.defaultAudience],
      authTime: Math.floor(Date.now() / 1000),
    });
  }

  const get = (headers: Record<string, string> = {}, url = "/oauth/userinfo") =>
    t.app.inject({ method: "GET", url, headers });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  describe("the token's location", () => {
    it("reads the token from the Authorization header of a GET", async () => {
      const res = await get(bearer((await accessToken()).token));
      expect(res.statusCode).toBe(200);
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(res.json()).toEqual({
        sub: user.id,
        name: "Grace Hopper",
        updated_at: Math.floor(user.updatedAt.getTime() / 1000),
        email: user.email,
        email_verified: false,
      });
    });

    it("accepts the scheme name in any case", async () => {
      const token = (await accessToken()).token;
      expect((await get({ authorization: `bearer ${token}` })).statusCode).toBe(200);
    });

    it("reads the token from the Authorization header of a POST", async () => {
      const res = await t.app.inject({
        method: "POST",
        url: "/oauth/userinfo",
        headers: bearer((await accessToken()).token),
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().sub).toBe(user.id);
    });

    it("reads the token from the form body of a POST", async () => {
      const res = await t.app.inject({
        method: "POST",
        url: "/oauth/userinfo",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: formBody({ access_token: (await accessToken()).token }),
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.json().sub).toBe(user.id);
    });

    it("rejects a token sent both in the header and in the body", async () => {
      const token = (await accessToken()).token;
      const res = await t.app.inject({
        method: "POST",
        url: "/oauth/userinfo",
        headers: { ...bearer(token), "content-type": "application/x-www-form-urlencoded" },
        payload: formBody({ access_token: token }),
      });
      expectChallenge(res, 400, "invalid_request");
    });

    it("rejects a token repeated in the body", async () => {
      const token = (await accessToken()).token;
      const res = await t.app.inject({
        method: "POST",
        url: "/oauth/userinfo",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: formBody({ access_token: [token, token] }),
      });
      expectChallenge(res, 400, "invalid_request");
    });

    it("refuses a token in the query string", async () => {
      const token = (await accessToken()).token;
      expectChallenge(
        await get({}, `/oauth/userinfo?access_token=${token}`),
        400,
        "invalid_request",
      );
    });

    it("does not read a token from a JSON body", async () => {
      const res = await t.app.inject({
        method: "POST",
        url: "/oauth/userinfo",
        headers: { "content-type": "application/json" },
        payload: JSON.stringify({ access_token: (await accessToken()).token }),
      });
      expect(res.statusCode).toBe(401);
      expect(res.headers["www-authenticate"]).toBe(CHALLENGE_PREFIX);
    });

    it.each([
      ["no Authorization header", {}],
      ["a Basic Authorization header", { authorization: "Basic YTpi" }],
    ])("answers %s with a bare challenge and no error code in it", async (_, headers) => {
      const res = await get(headers);
      expect(res.statusCode).toBe(401);
      expect(res.headers["www-authenticate"]).toBe(CHALLENGE_PREFIX);
      expect(res.headers["cache-control"]).toBe("no-store");
    });

    it.each([
      ["no credentials", "Bearer"],
      ["two credentials", "Bearer abc def"],
      ["characters outside b64token", "Bearer abc$def"],
    ])("rejects a Bearer header with %s as invalid_request", async (_, authorization) => {
      expectChallenge(await get({ authorization }), 400, "invalid_request");
    });
  });

  describe("tokens that are refused", () => {
    it("rejects a value that is not a JWT", async () => {
      expectChallenge(await get(bearer("not-a-jwt")), 401, "invalid_token");
    });

    it("rejects an expired token", async () => {
      const past = new Date(
        Date.now() - (t.config.accessTokenTtl + t.config.clockSkew + 60) * 1000,
      );
      expectChallenge(
        await get(bearer((await accessToken({ now: past })).token)),
        401,
        "invalid_token",
      );
    });

    it("rejects an ID token presented as an access token (typ JWT)", async () => {
      const { token } = await accessToken();
      const idToken = await issueIdToken(t.app.deps, {
        user,
        clientId: client.id,
        scope: "openid profile email",
        nonce: null,
        authTime: Math.floor(Date.now() / 1000),
        sid: null,
        amr: ["pwd"],
        accessToken: token,
      });
      expectChallenge(await get(bearer(idToken)), 401, "invalid_token");
    });

    it("accepts the long form typ application/at+jwt (RFC 9068 §4)", async () => {
      const now = Math.floor(Date.now() / 1000);
      const token = await t.app.deps.keys.sign(
        {
          iss: t.config.issuer,
          sub: user.id,
          aud: t.config.defaultAudience,
          client_id: client.id,
          scope: "openid",
          jti: randomBytes(16).toString("base64url"),
          iat: now,
        },
        { typ: "application/at+jwt", expiresIn: 60 },
      );
      expect((await get(bearer(token))).statusCode).toBe(200);
    });

    it("rejects a token with a tampered signature or payload", async () => {
      const { token } = await accessToken();
      const [header, payload, signature] = token.split(".") as [string, string, string];
      const flipped = `${signature.slice(0, 10)}${signature[10] === "A" ? "B" : "A"}${signature.slice(11)}`;
      expectChallenge(await get(bearer(`${header}.${payload}.${flipped}`)), 401, "invalid_token");
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
      const forged = Buffer.from(JSON.stringify({ ...claims, scope: "openid admin" })).toString(
        "base64url",
      );
      expectChallenge(await get(bearer(`${header}.${forged}.${signature}`)), 401, "invalid_token");
    });

    it("rejects an unsigned token (alg none)", async () => {
      const { token } = await accessToken();
      const payload = token.split(".")[1];
      const header = Buffer.from(JSON.stringify({ alg: "none", typ: "at+jwt" })).toString(
        "base64url",
      );
      expectChallenge(await get(bearer(`${header}.${payload}.`)), 401, "invalid_token");
    });

    it("rejects a revoked token", async () => {
      const issued = await accessToken();
      await denyAccessToken(t.app.deps.kv, issued, new Date(), t.config.clockSkew);
      expectChallenge(await get(bearer(issued.token)), 401, "invalid_token");
    });

    it("rejects a token whose audience is only another resource server", async () => {
      const { token } = await accessToken({ audience: ["https://api.example.com/"] });
      expectChallenge(await get(bearer(token)), 401, "invalid_token");
    });

    it("rejects a token without the openid scope with 403 insufficient_scope", async () => {
      const { token } = await accessToken({ scope: "profile email" });
      expectChallenge(await get(bearer(token)), 403, "insufficient_scope", ', scope="openid"');
    });

    it("rejects the token of a locked or deleted user", async () => {
      const gone = await makeUser(t.app);
      const locked = await makeUser(t.app);
      const goneToken = (await accessToken({ subject: gone.id })).token;
      const lockedToken = (await accessToken({ subject: locked.id })).token;
      expect((await get(bearer(lockedToken))).statusCode).toBe(200);
      await lockUser(t.app.deps.db, locked.email, new Date());
      await deleteUser(t.app.deps.db, gone.email);
      expectChallenge(await get(bearer(lockedToken)), 401, "invalid_token");
      expectChallenge(await get(bearer(goneToken)), 401, "invalid_token");
    });
  });

  describe("claims by scope", () => {
    it.each([
      ["openid", ["sub"]],
      ["openid profile", ["name", "sub", "updated_at"]],
      ["openid email", ["email", "email_verified", "sub"]],
      [
        "openid profile email offline_access",
        ["email", "email_verified", "name", "sub", "updated_at"],
      ],
    ])("%s releases %j", async (scope, claims) => {
      const res = await get(bearer((await accessToken({ scope })).token));
      expect(res.statusCode).toBe(200);
      expect(Object.keys(res.json()).sort()).toEqual(claims);
    });

    it("leaves out name for a user who has none", async () => {
      const nameless = await makeUser(t.app, { name: null });
      const res = await get(
        bearer((await accessToken({ subject: nameless.id, scope: "openid profile" })).token),
      );
      expect(res.json()).toEqual({
        sub: nameless.id,
        updated_at: Math.floor(nameless.updatedAt.getTime() / 1000),
      });
    });
  });
});
