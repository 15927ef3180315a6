// POST /oauth/introspect (RFC 7662): every state a token can be in, who may learn what about
// it, and every way the request itself can be wrong.

import { generateKeyPairSync } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deleteUser, lockUser } from "../../server/accounts/users.ts";
import type { Client } from "../../server/oauth/clients.ts";
import type { User } from "../../server/store/db/users.ts";
import { generateOpaqueToken } from "../../server/tokens/opaque.ts";
import { denyAccessToken, revokeFamily } from "../../server/tokens/revocation.ts";
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
} from "../helpers/token-fixtures.ts";

interface Tokens {
  access_token: string;
  refresh_token: string;
  id_token: string;
}
type Registered = { client: Client; secret: string };

const ACCESS_TTL = 300;
const CLOCK_SKEW = 30;
const IDLE_TTL = 3600;

describe("POST /oauth/introspect", () => {
  let t: TestApp;
  // The app's clock runs this many seconds ahead of the real one.
  let shift = 0;
  let user: User;
  let rp: Registered;
  let other: Registered;
  let postClient: Registered;
  let machine: Registered;
  let publicClient: Client;

  beforeAll(async () => {
    t = await buildTestApp(
      {
        ACCESS_TOKEN_TTL: `${ACCESS_TTL}s`,
        CLOCK_SKEW: `${CLOCK_SKEW}s`,
        REFRESH_TOKEN_IDLE_TTL: `${IDLE_TTL}s`,
        REFRESH_TOKEN_ABSOLUTE_TTL: "1d",
      },
      { now: () => new Date(Date.now() + shift * 1000) },
    );
    user = await makeUser(t.app);
    const registered = async (input: Parameters<typeof makeClient>[1] = {}) => {
      const { client, secret } = await makeClient(t.app, input);
      return { client, secret: secret ?? "" };
    };
    rp = await registered();
    other = await registered();
    postClient = await registered({ authMethod: "client_secret_post" });
    machine = await registered({
      redirectUris: [],
      grantTypes: ["client_credentials"],
      scope: "orders:read",
    });
    publicClient = (await makeClient(t.app, { authMethod: "none" })).client;
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    shift = 0;
  });

  const basic = (c: Registered) => ({ authorization: basicAuth(c.client.id, c.secret) });

  function introspect(
    params: Record<string, string | string[]>,
    headers: Record<string, string> = basic(rp),
  ): Promise<LightMyRequestResponse> {
    return t.app.inject({
      method: "POST",
      url: "/oauth/introspect",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      payload: formBody(params),
    });
  }

  async function expectInactive(res: Promise<LightMyRequestResponse>): Promise<void> {
    const response = await res;
    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(response.body).toBe('{"active":false}');
  }

  async function active(token: string, headers?: Record<string, string>) {
    const res = await introspect({ token }, headers);
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    return res.json() as Record<string, unknown>;
  }

  /** The code flow as the token endpoint serves it: access, refresh and ID token. */
  async function signIn(
    options: { client?: Registered; user?: User; scope?: string } = {},
  ): Promise<Tokens> {
    const client = options.client ?? rp;
    const verifier = newVerifier();
    const code = await mintCode(
      t.app,
      {
        clientId: client.client.id,
        userId: (options.user ?? user).id,
        ...(options.scope ? { scope: options.scope } : {}),
      },
      { verifier },
    );
    const res = await postToken(
      t.app,
      {
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      },
      basic(client),
    );
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Tokens;
  }

  async function refresh(refreshToken: string, client: Registered = rp) {
    return postToken(
      t.app,
      { grant_type: "refresh_token", refresh_token: refreshToken },
      basic(client),
    );
  }

  describe("an access token", () => {
    it("is active with its claims, its type and the user's email as username", async () => {
      const { access_token } = await signIn();
      const claims = decodeJwt(access_token);
      expect(await active(access_token)).toEqual({
        active: true,
        scope: "openid profile email",
        client_id: rp.client.id,
        sub: user.id,
        aud: t.config.issuer,
        iss: t.config.issuer,
        exp: claims.exp,
        iat: claims.iat,
        token_type: "Bearer",
        jti: claims.jti,
        username: user.email,
      });
      expect(Number(claims.exp) - Number(claims.iat)).toBe(ACCESS_TTL);
    });

    it("leaves out username when the token's scope does not release the email", async () => {
      const { access_token } = await signIn({ scope: "openid profile" });
      const body = await active(access_token);
      expect(body).toMatchObject({ active: true, scope: "openid profile", sub: user.id });
      expect(body).not.toHaveProperty("username");
    });

    it("describes a client_credentials token: the client is the subject, no username", async () => {
      const issued = await postToken(
        t.app,
        { grant_type: "client_credentials", resource: "https://orders.example.com/" },
        basic(machine),
      );
      expect(issued.statusCode, issued.body).toBe(200);
      const token = issued.json().access_token as string;
      const claims = decodeJwt(token);
      expect(await active(token, basic(machine))).toEqual({
        active: true,
        scope: "orders:read",
        client_id: machine.client.id,
        sub: machine.client.id,
        aud: "https://orders.example.com/",
        iss: t.config.issuer,
        exp: claims.exp,
        iat: claims.iat,
        token_type: "Bearer",
        jti: claims.jti,
      });
    });

    it("is described to another confidential client (a resource server), aud included", async () => {
      const { access_token } = await signIn();
      expect(await active(access_token, basic(other))).toMatchObject({
        active: true,
        client_id: rp.client.id,
        aud: t.config.issuer,
      });
      expect((await active(access_token, basic(machine))).active).toBe(true);
    });

    it("is inactive once expired (past exp and the clock skew)", async () => {
      const { access_token } = await signIn();
      shift = ACCESS_TTL - 5;
      expect((await active(access_token)).active).toBe(true);
      shift = ACCESS_TTL + CLOCK_SKEW + 1;
      await expectInactive(introspect({ token: access_token }));
    });

    it("is inactive once its jti is denied", async () => {
      const { access_token } = await signIn();
      const { jti, exp } = decodeJwt(access_token) as { jti: string; exp: number };
      await denyAccessToken(t.app.deps.kv, { jti, exp }, new Date(), CLOCK_SKEW);
      await expectInactive(introspect({ token: access_token }));
    });

    it("is inactive once its refresh family is revoked", async () => {
      const { access_token } = await signIn();
      const familyId = decodeJwt(access_token).fid as string;
      expect(familyId).toEqual(expect.any(String));
      expect((await active(access_token)).active).toBe(true);
      await revokeFamily(t.app.deps, familyId, "test");
      await expectInactive(introspect({ token: access_token }));
    });

    it("is inactive, with every token of its family, after refresh-token reuse", async () => {
      const first = await signIn();
      const rotated = await refresh(first.refresh_token);
      expect(rotated.statusCode, rotated.body).toBe(200);
      const second = rotated.json() as Tokens;
      expect((await active(second.access_token)).active).toBe(true);

      const reuse = await refresh(first.refresh_token);
      expect(reuse.statusCode).toBe(400);
      expect(reuse.json().error).toBe("invalid_grant");
      for (const token of [
        first.access_token,
        second.access_token,
        first.refresh_token,
        second.refresh_token,
      ]) {
        await expectInactive(introspect({ token }));
      }
    });

    it("is inactive when its user is locked or deleted", async () => {
      const locked = await makeUser(t.app);
      const deleted = await makeUser(t.app);
      const lockedTokens = await signIn({ user: locked });
      const deletedTokens = await signIn({ user: deleted });
      await lockUser(t.app.deps.db, locked.email, new Date());
      await deleteUser(t.app.deps.db, deleted.email);
      await expectInactive(introspect({ token: lockedTokens.access_token }));
      await expectInactive(introspect({ token: lockedTokens.refresh_token }));
      await expectInactive(introspect({ token: deletedTokens.access_token }));
    });

    it("is inactive when signed by a key this server never published", async () => {
      const { access_token } = await signIn();
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const forged = await new SignJWT(decodeJwt(access_token))
        .setProtectedHeader(decodeProtectedHeader(access_token) as { alg: string })
        .sign(privateKey);
      await expectInactive(introspect({ token: forged }));
    });

    it("is inactive when tampered with", async () => {
      const { access_token } = await signIn({ scope: "openid" });
      const [header, , signature] = access_token.split(".");
      const payload = { ...decodeJwt(access_token), scope: "openid profile email" };
      const tampered = `${header}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${signature}`;
      await expectInactive(introspect({ token: tampered }));
    });

    it("does not take an ID token for an access token", async () => {
      const { id_token } = await signIn();
      await expectInactive(introspect({ token: id_token }));
      await expectInactive(introspect({ token: id_token, token_type_hint: "access_token" }));
    });
  });

  describe("a refresh token", () => {
    it("is active for its own client, with the family's scope and the sooner deadline", async () => {
      const before = Math.floor(Date.now() / 1000);
      const { refresh_token } = await signIn();
      const body = await active(refresh_token);
      expect(body).toEqual({
        active: true,
        scope: "openid profile email",
        client_id: rp.client.id,
        sub: user.id,
        aud: t.config.issuer,
        iss: t.config.issuer,
        exp: expect.any(Number),
        iat: expect.any(Number),
        username: user.email,
      });
      // The idle deadline (1 h) comes before the absolute one (1 d).
      expect(body.iat).toBeGreaterThanOrEqual(before);
      expect(Number(body.exp) - Number(body.iat)).toBeGreaterThanOrEqual(IDLE_TTL - 1);
      expect(Number(body.exp) - Number(body.iat)).toBeLessThanOrEqual(IDLE_TTL);
    });

    it("is inactive once rotated, while its successor is active", async () => {
      const { refresh_token } = await signIn();
      const rotated = await refresh(refresh_token);
      expect(rotated.statusCode, rotated.body).toBe(200);
      await expectInactive(introspect({ token: refresh_token }));
      expect((await active(rotated.json().refresh_token)).active).toBe(true);
    });

    it("is inactive once its family is revoked", async () => {
      const { refresh_token, access_token } = await signIn();
      await revokeFamily(t.app.deps, decodeJwt(access_token).fid as string, "test");
      await expectInactive(introspect({ token: refresh_token }));
    });

    it("is inactive after the idle lifetime", async () => {
      const { refresh_token } = await signIn();
      shift = IDLE_TTL - 60;
      expect((await active(refresh_token)).active).toBe(true);
      shift = IDLE_TTL + 1;
      await expectInactive(introspect({ token: refresh_token }));
    });

    it("is inactive for any other client, even a confidential one", async () => {
      const { refresh_token } = await signIn();
      await expectInactive(introspect({ token: refresh_token }, basic(other)));
      await expectInactive(introspect({ token: refresh_token }, basic(machine)));
    });
  });

  describe("anything else", () => {
    it.each([
      ["a random string", "not-a-token"],
      ["a JWT-shaped string", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"],
      ["an unknown refresh-token-shaped value", generateOpaqueToken()],
      ["a very long value", "x".repeat(8000)],
      ["a value with spaces", "two words"],
    ])("is inactive: %s", async (_name, token) => {
      await expectInactive(introspect({ token }));
    });
  });

  describe("token_type_hint", () => {
    it("is only a hint: a wrong or unknown hint changes nothing", async () => {
      const { access_token, refresh_token } = await signIn();
      for (const hint of ["refresh_token", "access_token", "id_token", "something"]) {
        const withHint = (token: string) =>
          introspect({ token, token_type_hint: hint }).then((res) => res.json().active);
        expect(await withHint(access_token)).toBe(true);
        expect(await withHint(refresh_token)).toBe(true);
      }
    });
  });

  describe("the request", () => {
    it("accepts client_secret_post", async () => {
      const { access_token } = await signIn();
      const res = await introspect(
        { token: access_token, client_id: postClient.client.id, client_secret: postClient.secret },
        {},
      );
      expect(res.json()).toMatchObject({ active: true, client_id: rp.client.id });
    });

    it.each([
      ["no client authentication", () => ({})],
      ["a wrong secret", () => ({ authorization: basicAuth(rp.client.id, "wrong") })],
      ["an unknown client", () => ({ authorization: basicAuth("nobody", "secret") })],
      [
        "the wrong method for the client",
        () => ({ authorization: basicAuth(postClient.client.id, postClient.secret) }),
      ],
    ])("refuses %s with invalid_client, 401 and a Basic challenge", async (_name, headers) => {
      const { access_token } = await signIn();
      const res = await introspect({ token: access_token }, headers());
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({
        error: "invalid_client",
        error_description: expect.any(String),
      });
      expect(res.headers["www-authenticate"]).toBe('Basic realm="latchkey", charset="UTF-8"');
      expect(res.headers["cache-control"]).toBe("no-store");
    });

    it("refuses a public client, even for its own token (RFC 7662 §2.1)", async () => {
      const res = await introspect({ token: "anything", client_id: publicClient.id }, {});
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toBe("invalid_client");
      expect(res.headers["www-authenticate"]).toMatch(/^Basic /);
    });

    it("refuses a request without a token", async () => {
      const res = await introspect({});
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: "invalid_request",
        error_description: "The token parameter is missing.",
      });
      expect(res.headers["cache-control"]).toBe("no-store");
      expect((await introspect({ token: "" })).json().error).toBe("invalid_request");
    });

    it("refuses a repeated parameter", async () => {
      const { access_token } = await signIn();
      const repeated: Array<Record<string, string | string[]>> = [
        { token: [access_token, access_token] },
        { token: access_token, token_type_hint: ["access_token", "refresh_token"] },
      ];
      for (const params of repeated) {
        const res = await introspect(params);
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toBe("invalid_request");
      }
    });

    it("refuses a body that is not form-encoded", async () => {
      const { access_token } = await signIn();
      const res = await t.app.inject({
        method: "POST",
        url: "/oauth/introspect",
        headers: { "content-type": "application/json", ...basic(rp) },
        payload: JSON.stringify({ token: access_token }),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe("invalid_request");
    });

    it("does not serve GET", async () => {
      const res = await t.app.inject({ method: "GET", url: "/oauth/introspect?token=x" });
      expect(res.statusCode).toBe(404);
    });
  });
});
