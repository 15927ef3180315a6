// The authorization_code grant (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 8707, OIDC Core §3.1.3):
// what a successful exchange returns, verified as a relying party would, and every rule that
// makes an exchange fail.

import { setTimeout as sleep } from "node:timers/promises";
import type { LightMyRequestResponse } from "fastify";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockUser } from "../../server/accounts/users.ts";
import type { Client } from "../../server/oauth/clients.ts";
import { handle } from "../../server/oauth/grants/authorization-code.ts";
import { findRefreshFamilyById } from "../../server/store/db/refresh-families.ts";
import type { User } from "../../server/store/db/users.ts";
import type { KvStore } from "../../server/store/kv/types.ts";
import { type AuthorizationCodeGrant, redeemAuthorizationCode } from "../../server/tokens/codes.ts";
import { accessTokenHash } from "../../server/tokens/id-token.ts";
import { digestToken } from "../../server/tokens/opaque.ts";
import { isAccessTokenDenied } from "../../server/tokens/revocation.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  basicAuth,
  makeClient,
  makeUser,
  mintCode,
  newVerifier,
  postToken,
  REDIRECT_URI,
  verifyWithJwks,
} from "../helpers/token-fixtures.ts";

function expectInvalidGrant(res: LightMyRequestResponse): void {
  expect(res.statusCode).toBe(400);
  expect(res.json()).toEqual({ error: "invalid_grant", error_description: expect.any(String) });
  expect(res.headers["cache-control"]).toBe("no-store");
}

describe("the authorization_code grant", () => {
  let t: TestApp;
  let user: User;
  let rp: { client: Client; secret: string };
  let publicClient: Client;

  beforeAll(async () => {
    t = await buildTestApp();
    user = await makeUser(t.app, { name: "Ada Lovelace", emailVerified: true });
    const created = await makeClient(t.app);
    rp = { client: created.client, secret: created.secret! };
    publicClient = (await makeClient(t.app, { authMethod: "none" })).client;
  });
  afterAll(async () => {
    await t?.close();
  });

  const auth = () => ({ authorization: basicAuth(rp.client.id, rp.secret) });

  async function exchange(
    overrides: Record<string, string | string[] | undefined> = {},
    mint: Partial<AuthorizationCodeGrant> = {},
  ) {
    const verifier = newVerifier();
    const code = await mintCode(
      t.app,
      { clientId: rp.client.id, userId: user.id, ...mint },
      { verifier },
    );
    const all: Record<string, string | string[] | undefined> = {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      ...overrides,
    };
    const params = Object.fromEntries(
      Object.entries(all).filter(
        (entry): entry is [string, string | string[]] => entry[1] !== undefined,
      ),
    );
    return { code, verifier, res: await postToken(t.app, params, auth()) };
  }

  describe("a successful exchange", () => {
    it("returns a bearer access token, an ID token and a refresh token, never cached", async () => {
      const { res } = await exchange();
      expect(res.statusCode).toBe(200);
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.headers.pragma).toBe("no-cache");
      expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual(
        ["access_token", "expires_in", "id_token", "refresh_token", "scope", "token_type"].sort(),
      );
      expect(body).toMatchObject({
        token_type: "Bearer",
        expires_in: 900,
        scope: "openid profile email",
      });
      expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it("issues an RFC 9068 access token that verifies against the JWKS", async () => {
      const { res } = await exchange();
      const { access_token: accessToken } = res.json();
      const { payload, header } = await verifyWithJwks(t.app, accessToken, {
        typ: "at+jwt",
        audience: t.config.issuer,
      });
      const jwks = (await t.app.inject({ method: "GET", url: "/oauth/jwks" })).json();
      expect(header).toMatchObject({ alg: "RS256", typ: "at+jwt" });
      expect(jwks.keys.map((key: { kid: string }) => key.kid)).toContain(header.kid);
      expect(payload).toEqual({
        iss: t.config.issuer,
        sub: user.id,
        aud: t.config.issuer,
        client_id: rp.client.id,
        scope: "openid profile email",
        jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        iat: expect.any(Number),
        exp: expect.any(Number),
        auth_time: expect.any(Number),
        fid: expect.stringMatching(/^[0-9a-f]{32}$/),
      });
      expect(payload.exp! - payload.iat!).toBe(900);
    });

    it("issues an ID token with nonce, at_hash, sid, amr and the scoped claims", async () => {
      const sid = "session-public-id";
      const { res } = await exchange({}, { sid, nonce: "n-0S6_WzA2Mj", authTime: 1_900_000_000 });
      const { access_token: accessToken, id_token: idToken } = res.json();
      expect(decodeProtectedHeader(idToken)).toMatchObject({ alg: "RS256", typ: "JWT" });
      const { payload, header } = await verifyWithJwks(t.app, idToken, {
        typ: "JWT",
        audience: rp.client.id,
      });
      expect(header.kid).toBe(decodeProtectedHeader(accessToken).kid);
      expect(payload).toEqual({
        iss: t.config.issuer,
        sub: user.id,
        aud: rp.client.id,
        iat: expect.any(Number),
        exp: expect.any(Number),
        auth_time: 1_900_000_000,
        nonce: "n-0S6_WzA2Mj",
        at_hash: accessTokenHash(accessToken),
        sid,
        amr: ["pwd"],
        acr: "urn:latchkey:acr:pwd",
        name: "Ada Lovelace",
        updated_at: Math.floor(user.updatedAt.getTime() / 1000),
        email: user.email,
        email_verified: true,
      });
      expect(payload.exp! - payload.iat!).toBe(3600);
    });

    it("leaves out nonce when none was sent and the claims of scopes not granted", async () => {
      const { res } = await exchange({}, { nonce: null, scope: "openid" });
      const { payload } = await verifyWithJwks(t.app, res.json().id_token, { typ: "JWT" });
      expect(payload).not.toHaveProperty("nonce");
      expect(payload).not.toHaveProperty("name");
      expect(payload).not.toHaveProperty("email");
      expect(res.json().scope).toBe("openid");
    });

    it("issues no ID token without the openid scope", async () => {
      const { res } = await exchange({}, { scope: "profile" });
      expect(res.statusCode).toBe(200);
      expect(res.json()).not.toHaveProperty("id_token");
    });

    it("starts a refresh family bound to the client, the user and the login session", async () => {
      const now = Date.now();
      const { res } = await exchange({}, { sid: "sid-family", authTime: 1_900_000_000 });
      const row = await t.app.deps.db
        .selectFrom("refresh_tokens")
        .innerJoin("refresh_families", "refresh_families.id", "refresh_tokens.family_id")
        .selectAll()
        .where("digest", "=", digestToken(res.json().refresh_token))
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        client_id: rp.client.id,
        user_id: user.id,
        scope: "openid profile email",
        resources: [],
        amr: ["pwd"],
        session_id: "sid-family",
        revoked_at: null,
        rotated_at: null,
        successor_sealed: null,
      });
      const { payload } = await verifyWithJwks(t.app, res.json().access_token, { typ: "at+jwt" });
      expect(payload.fid).toBe(row.family_id);
      expect(row.auth_time.getTime()).toBe(1_900_000_000_000);
      const lifetime = (row.expires_at.getTime() - now) / 1000;
      expect(Math.abs(lifetime - t.config.refreshTokenAbsoluteTtl)).toBeLessThan(60);
      const stored = await t.app.deps.db.selectFrom("refresh_tokens").selectAll().execute();
      expect(stored.some((token) => token.digest === res.json().refresh_token)).toBe(false);
    });

    it("issues no refresh token to a client not registered for the refresh_token grant", async () => {
      const noRefresh = await makeClient(t.app, { grantTypes: ["authorization_code"] });
      const verifier = newVerifier();
      const code = await mintCode(
        t.app,
        { clientId: noRefresh.client.id, userId: user.id },
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
        { authorization: basicAuth(noRefresh.client.id, noRefresh.secret!) },
      );
      expect(res.statusCode).toBe(200);
      expect(res.json()).not.toHaveProperty("refresh_token");
      const { payload } = await verifyWithJwks(t.app, res.json().access_token, { typ: "at+jwt" });
      expect(payload).not.toHaveProperty("fid");
    });

    it("accepts a confidential client's code issued without PKCE", async () => {
      const code = await mintCode(t.app, { clientId: rp.client.id, userId: user.id });
      const res = await postToken(
        t.app,
        { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI },
        auth(),
      );
      expect(res.statusCode).toBe(200);
    });
  });

  describe("resource indicators (RFC 8707)", () => {
    const api = "https://api.example.com/";
    const reports = "https://reports.example.com/";

    it("makes the authorized resources the audience", async () => {
      const { res } = await exchange({}, { resources: [api, reports] });
      const { payload } = await verifyWithJwks(t.app, res.json().access_token, { typ: "at+jwt" });
      expect(payload.aud).toEqual([api, reports]);
    });

    it("narrows the audience to the resources requested at the token endpoint", async () => {
      const { res } = await exchange({ resource: [api] }, { resources: [api, reports] });
      const { payload } = await verifyWithJwks(t.app, res.json().access_token, { typ: "at+jwt" });
      expect(payload.aud).toBe(api);
    });

    it.each([
      ["a resource that was not authorized", [api, "https://evil.example.com/"], [api]],
      ["a resource when none was authorized", [api], []],
      ["a malformed resource", ["not a uri"], [api]],
    ])("rejects %s as invalid_target", async (_, requested, authorized) => {
      const { res } = await exchange({ resource: requested }, { resources: authorized });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe("invalid_target");
    });
  });

  describe("failures", () => {
    it("rejects an unknown code", async () => {
      expectInvalidGrant((await exchange({ code: "x".repeat(43) })).res);
    });

    it("rejects an expired code", async () => {
      const verifier = newVerifier();
      const code = await mintCode(
        t.app,
        { clientId: rp.client.id, userId: user.id },
        { verifier, ttl: 0.2 },
      );
      await sleep(400);
      expectInvalidGrant(
        await postToken(
          t.app,
          {
            grant_type: "authorization_code",
            code,
            redirect_uri: REDIRECT_URI,
            code_verifier: verifier,
          },
          auth(),
        ),
      );
    });

    it("rejects a code issued to another client", async () => {
      const { res } = await exchange({}, { clientId: publicClient.id });
      expectInvalidGrant(res);
      expect(res.json().error_description).toMatch(/another client/);
    });

    it.each([
      ["another registered-looking URI", "https://rp.example.com/other"],
      ["a trailing slash", `${REDIRECT_URI}/`],
      ["a different case", REDIRECT_URI.toUpperCase()],
      ["an added query", `${REDIRECT_URI}?x=1`],
    ])("rejects a redirect_uri with %s", async (_, redirectUri) => {
      expectInvalidGrant((await exchange({ redirect_uri: redirectUri })).res);
    });

    it("rejects a missing redirect_uri", async () => {
      const { res } = await exchange({ redirect_uri: undefined });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe("invalid_request");
    });

    it("rejects a wrong code_verifier", async () => {
      expectInvalidGrant((await exchange({ code_verifier: newVerifier() })).res);
    });

    it("rejects a missing code_verifier when the code has a challenge", async () => {
      expectInvalidGrant((await exchange({ code_verifier: undefined })).res);
    });

    it("rejects a code_verifier for a code issued without a challenge (PKCE downgrade)", async () => {
      const code = await mintCode(t.app, { clientId: rp.client.id, userId: user.id });
      const res = await postToken(
        t.app,
        {
          grant_type: "authorization_code",
          code,
          redirect_uri: REDIRECT_URI,
          code_verifier: newVerifier(),
        },
        auth(),
      );
      expectInvalidGrant(res);
    });

    it("rejects a public client's code issued without PKCE", async () => {
      const code = await mintCode(t.app, { clientId: publicClient.id, userId: user.id });
      const res = await postToken(t.app, {
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT_URI,
        client_id: publicClient.id,
      });
      expectInvalidGrant(res);
    });

    it("burns the code on a failed attempt", async () => {
      const { code, verifier, res } = await exchange({ code_verifier: newVerifier() });
      expectInvalidGrant(res);
      const retry = await postToken(
        t.app,
        {
          grant_type: "authorization_code",
          code,
          redirect_uri: REDIRECT_URI,
          code_verifier: verifier,
        },
        auth(),
      );
      expectInvalidGrant(retry);
    });

    it("rejects the code of a user who was locked after signing in", async () => {
      const locked = await makeUser(t.app);
      const verifier = newVerifier();
      const code = await mintCode(
        t.app,
        { clientId: rp.client.id, userId: locked.id },
        { verifier },
      );
      await lockUser(t.app.deps.db, locked.email, new Date());
      expectInvalidGrant(
        await postToken(
          t.app,
          {
            grant_type: "authorization_code",
            code,
            redirect_uri: REDIRECT_URI,
            code_verifier: verifier,
          },
          auth(),
        ),
      );
    });
  });

  describe("a code presented twice", () => {
    it("fails the second time and revokes the tokens of the first", async () => {
      const first = await exchange();
      expect(first.res.statusCode).toBe(200);
      const { access_token: accessToken, refresh_token: refreshToken } = first.res.json();
      const userinfo = () =>
        t.app.inject({
          method: "GET",
          url: "/oauth/userinfo",
          headers: { authorization: `Bearer ${accessToken}` },
        });
      expect((await userinfo()).statusCode).toBe(200);

      const second = await postToken(
        t.app,
        {
          grant_type: "authorization_code",
          code: first.code,
          redirect_uri: REDIRECT_URI,
          code_verifier: first.verifier,
        },
        auth(),
      );
      expectInvalidGrant(second);
      expect(second.json().error_description).toMatch(/already been used/);

      const rejected = await userinfo();
      expect(rejected.statusCode).toBe(401);
      expect(rejected.json().error).toBe("invalid_token");
      const family = await t.app.deps.db
        .selectFrom("refresh_tokens")
        .innerJoin("refresh_families", "refresh_families.id", "refresh_tokens.family_id")
        .select(["revoked_at", "revoked_reason"])
        .where("digest", "=", digestToken(refreshToken))
        .executeTakeFirstOrThrow();
      expect(family.revoked_at).toBeInstanceOf(Date);
      expect(family.revoked_reason).toBe("authorization code reused");
    });

    it("revokes its own tokens when the code is presented again while they are issued", async () => {
      const verifier = newVerifier();
      const code = await mintCode(t.app, { clientId: rp.client.id, userId: user.id }, { verifier });
      const kv = t.app.deps.kv;
      // The second presentation lands between the take of the code and the record of what
      // was issued from it.
      let recorded: { accessTokenJtis: Array<{ jti: string }>; refreshFamilyId: string } | null =
        null;
      const racingKv: KvStore = {
        set: async (key, value, ttl) => {
          if (key === `code-used:${digestToken(code)}` && value !== "null") {
            recorded = JSON.parse(value);
            expect((await redeemAuthorizationCode(kv, code, ttl)).status).toBe("reused");
          }
          return kv.set(key, value, ttl);
        },
        setIfAbsent: (key, value, ttl) => kv.setIfAbsent(key, value, ttl),
        get: (key) => kv.get(key),
        take: (key) => kv.take(key),
        increment: (key, ttl) => kv.increment(key, ttl),
        delete: (key) => kv.delete(key),
        indexAdd: (index, member, deadline, ttl) => kv.indexAdd(index, member, deadline, ttl),
        indexRemove: (index, members) => kv.indexRemove(index, members),
        indexMembers: (index, now) => kv.indexMembers(index, now),
        indexCount: (index, now) => kv.indexCount(index, now),
        ping: () => kv.ping(),
        close: async () => {},
      };
      await expect(
        handle(
          { ...t.app.deps, kv: racingKv },
          {
            client: rp.client,
            params: { code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
            raw: {},
            origin: {},
          },
        ),
      ).rejects.toMatchObject({ error: "invalid_grant" });
      expect(recorded).not.toBeNull();
      const { accessTokenJtis, refreshFamilyId } = recorded!;
      expect(await isAccessTokenDenied(kv, accessTokenJtis[0]!.jti)).toBe(true);
      const family = await findRefreshFamilyById(t.app.deps.db, refreshFamilyId);
      expect(family?.revokedAt).toBeInstanceOf(Date);
    });
  });
});
