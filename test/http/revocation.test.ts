// POST /oauth/revoke (RFC 7009): what revoking each kind of token takes down, as seen by
// userinfo, introspection and the token endpoint; another client's tokens; tokens that are
// already invalid; and every way the request itself can be wrong.

import type { LightMyRequestResponse } from "fastify";
import { decodeJwt } from "jose";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../server/oauth/clients.ts";
import type { User } from "../../server/store/db/users.ts";
import { generateOpaqueToken } from "../../server/tokens/opaque.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import { REDIS_URL } from "../helpers/redis.ts";
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
type Registered = { client: Client; secret: string | null };

const ACCESS_TTL = 300;
const CLOCK_SKEW = 30;

describe("POST /oauth/revoke", () => {
  let t: TestApp;
  let shift = 0;
  let user: User;
  let rp: Registered;
  let other: Registered;
  let postClient: Registered;
  let spa: Registered;

  beforeAll(async () => {
    t = await buildTestApp(
      { ACCESS_TOKEN_TTL: `${ACCESS_TTL}s`, CLOCK_SKEW: `${CLOCK_SKEW}s` },
      { now: () => new Date(Date.now() + shift * 1000) },
    );
    user = await makeUser(t.app);
    rp = await makeClient(t.app);
    other = await makeClient(t.app);
    postClient = await makeClient(t.app, { authMethod: "client_secret_post" });
    spa = await makeClient(t.app, { authMethod: "none" });
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    shift = 0;
  });

  /** How each client authenticates: Basic, form secret, or only its client_id. */
  function credentials(c: Registered): {
    headers: Record<string, string>;
    params: Record<string, string>;
  } {
    if (c.client.authMethod === "client_secret_basic") {
      return { headers: { authorization: basicAuth(c.client.id, c.secret ?? "") }, params: {} };
    }
    if (c.client.authMethod === "client_secret_post") {
      return { headers: {}, params: { client_id: c.client.id, client_secret: c.secret ?? "" } };
    }
    return { headers: {}, params: { client_id: c.client.id } };
  }

  function post(
    url: string,
    params: Record<string, string | string[]>,
    headers: Record<string, string>,
  ): Promise<LightMyRequestResponse> {
    return t.app.inject({
      method: "POST",
      url,
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      payload: formBody(params),
    });
  }

  function revoke(params: Record<string, string | string[]>, client: Registered = rp) {
    const { headers, params: auth } = credentials(client);
    return post("/oauth/revoke", { ...auth, ...params }, headers);
  }

  async function expectOk(res: Promise<LightMyRequestResponse>): Promise<void> {
    const response = await res;
    expect(response.statusCode, response.body).toBe(200);
    expect(response.body).toBe("");
    expect(response.headers["cache-control"]).toBe("no-store");
  }

  async function expectRefused(res: Promise<LightMyRequestResponse>): Promise<void> {
    const response = await res;
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: "invalid_grant",
      error_description: "The token was issued to another client.",
    });
    expect(response.headers["cache-control"]).toBe("no-store");
  }

  async function signIn(client: Registered = rp): Promise<Tokens> {
    const verifier = newVerifier();
    const code = await mintCode(
      t.app,
      { clientId: client.client.id, userId: user.id },
      { verifier },
    );
    const { headers, params } = credentials(client);
    const res = await postToken(
      t.app,
      {
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
        ...params,
      },
      headers,
    );
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Tokens;
  }

  function refresh(refreshToken: string, client: Registered = rp) {
    const { headers, params } = credentials(client);
    return postToken(
      t.app,
      { grant_type: "refresh_token", refresh_token: refreshToken, ...params },
      headers,
    );
  }

  async function isActive(token: string): Promise<boolean> {
    const { headers } = credentials(rp);
    const res = await post("/oauth/introspect", { token }, headers);
    expect(res.statusCode).toBe(200);
    return res.json().active as boolean;
  }

  async function userinfoStatus(accessToken: string): Promise<number> {
    const res = await t.app.inject({
      method: "GET",
      url: "/oauth/userinfo",
      headers: { authorization: `Bearer ${accessToken}` },
    });
    return res.statusCode;
  }

  describe("a refresh token", () => {
    it("revokes its family: the token, its successors' rotation and its access tokens", async () => {
      const tokens = await signIn();
      expect(await userinfoStatus(tokens.access_token)).toBe(200);

      await expectOk(revoke({ token: tokens.refresh_token, token_type_hint: "refresh_token" }));

      expect(await isActive(tokens.refresh_token)).toBe(false);
      const refreshed = await refresh(tokens.refresh_token);
      expect(refreshed.statusCode).toBe(400);
      expect(refreshed.json().error).toBe("invalid_grant");
      expect(await userinfoStatus(tokens.access_token)).toBe(401);
      expect(await isActive(tokens.access_token)).toBe(false);
    });

    it("revokes the family when a rotated token of it is revoked", async () => {
      const first = await signIn();
      const rotated = await refresh(first.refresh_token);
      expect(rotated.statusCode, rotated.body).toBe(200);
      const second = rotated.json() as Tokens;

      await expectOk(revoke({ token: first.refresh_token }));

      expect(await isActive(second.refresh_token)).toBe(false);
      expect(await isActive(second.access_token)).toBe(false);
      expect((await refresh(second.refresh_token)).statusCode).toBe(400);
    });

    it("answers 200 again for a token that is already revoked", async () => {
      const { refresh_token } = await signIn();
      await expectOk(revoke({ token: refresh_token }));
      await expectOk(revoke({ token: refresh_token }));
    });

    it("may be revoked by a public client that names itself (RFC 7009 §2.1)", async () => {
      const tokens = await signIn(spa);
      expect(tokens.refresh_token).toEqual(expect.any(String));
      await expectOk(revoke({ token: tokens.refresh_token }, spa));
      expect(await isActive(tokens.access_token)).toBe(false);
      expect((await refresh(tokens.refresh_token, spa)).statusCode).toBe(400);
    });

    it("is revoked with client_secret_post", async () => {
      const tokens = await signIn(postClient);
      await expectOk(revoke({ token: tokens.refresh_token }, postClient));
      expect((await refresh(tokens.refresh_token, postClient)).statusCode).toBe(400);
    });
  });

  describe("an access token", () => {
    it("is denied until it expires, while its refresh token keeps working", async () => {
      const tokens = await signIn();
      expect(await userinfoStatus(tokens.access_token)).toBe(200);

      await expectOk(revoke({ token: tokens.access_token, token_type_hint: "access_token" }));

      expect(await userinfoStatus(tokens.access_token)).toBe(401);
      expect(await isActive(tokens.access_token)).toBe(false);
      const refreshed = await refresh(tokens.refresh_token);
      expect(refreshed.statusCode, refreshed.body).toBe(200);
      expect(await isActive(refreshed.json().access_token)).toBe(true);
    });

    it("keeps the deny-list entry only until the token would have expired", async () => {
      const { access_token } = await signIn();
      await expectOk(revoke({ token: access_token }));
      const { jti, exp } = decodeJwt(access_token) as { jti: string; exp: number };
      const redis = createClient({ url: REDIS_URL });
      await redis.connect();
      try {
        const ttl = await redis.ttl(`${t.config.redisPrefix}at-denied:${jti}`);
        expect(ttl).toBeGreaterThan(ACCESS_TTL);
        expect(ttl).toBeLessThanOrEqual(exp + CLOCK_SKEW - Math.floor(Date.now() / 1000) + 1);
      } finally {
        redis.destroy();
      }
    });

    it("answers 200 for an expired token and stores nothing", async () => {
      const { access_token } = await signIn();
      shift = ACCESS_TTL + CLOCK_SKEW + 1;
      await expectOk(revoke({ token: access_token }));
      shift = 0;
      expect(await userinfoStatus(access_token)).toBe(200);
    });
  });

  describe("another client's token", () => {
    it("is refused with invalid_grant for a confidential client and stays valid", async () => {
      const tokens = await signIn(other);
      await expectRefused(revoke({ token: tokens.access_token }));
      await expectRefused(revoke({ token: tokens.refresh_token }));
      expect(await userinfoStatus(tokens.access_token)).toBe(200);
      expect((await refresh(tokens.refresh_token, other)).statusCode).toBe(200);
    });

    it("answers a public client 200, so it cannot probe tokens, and revokes nothing", async () => {
      const tokens = await signIn(other);
      await expectOk(revoke({ token: tokens.access_token }, spa));
      await expectOk(revoke({ token: tokens.refresh_token }, spa));
      expect(await userinfoStatus(tokens.access_token)).toBe(200);
      expect((await refresh(tokens.refresh_token, other)).statusCode).toBe(200);
    });

    it("answers 200 when that token no longer works anyway", async () => {
      const first = await signIn(other);
      expect((await refresh(first.refresh_token, other)).statusCode).toBe(200);
      await expectOk(revoke({ token: first.refresh_token }));
    });
  });

  describe("anything else", () => {
    it.each([
      ["an unknown refresh-token-shaped value", () => generateOpaqueToken()],
      ["a JWT-shaped string", () => "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"],
      ["a random string", () => "not a token"],
    ])("answers 200 for %s", async (_name, token) => {
      await expectOk(revoke({ token: token() }));
    });

    it("answers 200 for an ID token and revokes nothing with it", async () => {
      const tokens = await signIn();
      await expectOk(revoke({ token: tokens.id_token }));
      expect(await userinfoStatus(tokens.access_token)).toBe(200);
      expect(await isActive(tokens.refresh_token)).toBe(true);
    });

    it("ignores a wrong or unknown token_type_hint (never unsupported_token_type)", async () => {
      const tokens = await signIn();
      await expectOk(revoke({ token: tokens.access_token, token_type_hint: "refresh_token" }));
      await expectOk(revoke({ token: tokens.refresh_token, token_type_hint: "something_else" }));
      expect(await isActive(tokens.access_token)).toBe(false);
      expect(await isActive(tokens.refresh_token)).toBe(false);
    });
  });

  describe("the request", () => {
    it.each([
      ["no client authentication", {}],
      ["a wrong secret", () => ({ authorization: basicAuth(rp.client.id, "wrong") })],
      ["an unknown client", { authorization: basicAuth("nobody", "secret") }],
    ])("refuses %s with invalid_client, 401 and a Basic challenge", async (_name, headers) => {
      const tokens = await signIn();
      const res = await post(
        "/oauth/revoke",
        { token: tokens.refresh_token },
        typeof headers === "function" ? headers() : headers,
      );
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({
        error: "invalid_client",
        error_description: expect.any(String),
      });
      expect(res.headers["www-authenticate"]).toBe('Basic realm="latchkey", charset="UTF-8"');
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(await isActive(tokens.refresh_token)).toBe(true);
    });

    it("refuses a confidential client that only names itself", async () => {
      const tokens = await signIn();
      const res = await post(
        "/oauth/revoke",
        { token: tokens.refresh_token, client_id: rp.client.id },
        {},
      );
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toBe("invalid_client");
      expect(await isActive(tokens.refresh_token)).toBe(true);
    });

    it("refuses a request without a token", async () => {
      const res = await revoke({});
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: "invalid_request",
        error_description: "The token parameter is missing.",
      });
      expect(res.headers["cache-control"]).toBe("no-store");
    });

    it("refuses a repeated parameter and revokes nothing", async () => {
      const tokens = await signIn();
      const res = await revoke({ token: [tokens.refresh_token, tokens.refresh_token] });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe("invalid_request");
      expect(await isActive(tokens.refresh_token)).toBe(true);
    });

    it("refuses a body that is not form-encoded", async () => {
      const tokens = await signIn();
      const res = await t.app.inject({
        method: "POST",
        url: "/oauth/revoke",
        headers: { "content-type": "application/json", ...credentials(rp).headers },
        payload: JSON.stringify({ token: tokens.refresh_token }),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe("invalid_request");
      expect(await isActive(tokens.refresh_token)).toBe(true);
    });
  });
});
