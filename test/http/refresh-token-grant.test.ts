// The refresh_token grant (RFC 6749 §6, RFC 9700 §4.14.2, OIDC Core §12): rotation, reuse
// detection that revokes the family and its access tokens, the reuse grace period, lifetimes,
// the client binding, scope narrowing, users who can no longer sign in, and refreshed ID
// tokens. Real Postgres and Redis; a hand-moved clock where time matters.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteUser, lockUser, unlockUser } from "../../server/accounts/users.ts";
import type { User } from "../../server/store/db/users.ts";
import { accessTokenHash } from "../../server/tokens/id-token.ts";
import { digestToken } from "../../server/tokens/opaque.ts";
import { findRefreshToken } from "../../server/tokens/refresh-tokens.ts";
import { revokeFamily } from "../../server/tokens/revocation.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  clientAuth,
  expectTokenError,
  getUserinfo,
  manualClock,
  refresh,
  signIn,
  type TestClient,
} from "../helpers/refresh-fixtures.ts";
import { makeClient, makeUser, postToken, verifyWithJwks } from "../helpers/token-fixtures.ts";

async function familyOf(t: TestApp, refreshToken: string) {
  const found = await findRefreshToken(t.app.deps.db, refreshToken);
  if (!found) throw new Error("refresh token not found");
  return found.family;
}

describe("the refresh_token grant, without a reuse grace period", () => {
  let t: TestApp;
  let user: User;
  let rp: TestClient;
  let otherRp: TestClient;
  let publicRp: TestClient;

  beforeAll(async () => {
    t = await buildTestApp();
    user = await makeUser(t.app);
    rp = await makeClient(t.app);
    otherRp = await makeClient(t.app);
    publicRp = await makeClient(t.app, { authMethod: "none" });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe("rotation", () => {
    it("returns new tokens in an RFC 6749 §5.1 response that is never cached", async () => {
      const login = await signIn(t.app, rp, user.id);
      const res = await refresh(t.app, rp, login.refresh_token);
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
      expect(body.refresh_token).not.toBe(login.refresh_token);
      expect(body.access_token).not.toBe(login.access_token);
    });

    it("lets the successor be used, and refuses the rotated token", async () => {
      const login = await signIn(t.app, rp, user.id);
      const first = await refresh(t.app, rp, login.refresh_token);
      const second = await refresh(t.app, rp, first.json().refresh_token);
      expect(second.statusCode).toBe(200);
      expectTokenError(await refresh(t.app, rp, first.json().refresh_token), "invalid_grant");
    });

    it("records the rotation by digest, keeps one family and touches its last use", async () => {
      const login = await signIn(t.app, rp, user.id);
      const before = await familyOf(t, login.refresh_token);
      const next = (await refresh(t.app, rp, login.refresh_token)).json().refresh_token;
      const rows = await t.app.deps.db
        .selectFrom("refresh_tokens")
        .selectAll()
        .where("family_id", "=", before.id)
        .orderBy("created_at")
        .execute();
      expect(rows.map((row) => row.digest).sort()).toEqual(
        [digestToken(login.refresh_token), digestToken(next)].sort(),
      );
      const old = rows.find((row) => row.digest === digestToken(login.refresh_token))!;
      expect(old.rotated_at).toBeInstanceOf(Date);
      expect(old.successor_digest).toBe(digestToken(next));
      // Without a grace period the successor is never needed again, so nothing is sealed.
      expect(old.successor_sealed).toBeNull();
      const after = await familyOf(t, next);
      expect(after.id).toBe(before.id);
      expect(after.lastUsedAt.getTime()).toBeGreaterThanOrEqual(before.lastUsedAt.getTime());
    });

    it("issues access tokens that keep sub, client_id, aud, auth_time and the family claim", async () => {
      const login = await signIn(t.app, rp, user.id, { authTime: 1_900_000_000 });
      const family = await familyOf(t, login.refresh_token);
      const res = await refresh(t.app, rp, login.refresh_token);
      const { payload } = await verifyWithJwks(t.app, res.json().access_token, { typ: "at+jwt" });
      expect(payload).toEqual({
        iss: t.config.issuer,
        sub: user.id,
        aud: t.config.issuer,
        client_id: rp.client.id,
        scope: "openid profile email",
        jti: expect.any(String),
        iat: expect.any(Number),
        exp: expect.any(Number),
        auth_time: 1_900_000_000,
        fid: family.id,
      });
      expect((await getUserinfo(t.app, res.json().access_token)).statusCode).toBe(200);
    });

    it("lets a public client refresh with its client_id, rotating its token", async () => {
      const login = await signIn(t.app, publicRp, user.id);
      const res = await refresh(t.app, publicRp, login.refresh_token);
      expect(res.statusCode).toBe(200);
      expect(res.json().refresh_token).not.toBe(login.refresh_token);
      expectTokenError(await refresh(t.app, publicRp, login.refresh_token), "invalid_grant");
    });
  });

  describe("reuse of a rotated token", () => {
    it("rejects a reused refresh token and revokes its family and every access token from it", async () => {
      const login = await signIn(t.app, rp, user.id);
      const rotated = (await refresh(t.app, rp, login.refresh_token)).json();
      expect((await getUserinfo(t.app, rotated.access_token)).statusCode).toBe(200);

      expectTokenError(await refresh(t.app, rp, login.refresh_token), "invalid_grant");

      const family = await familyOf(t, login.refresh_token);
      expect(family.revokedAt).toBeInstanceOf(Date);
      expect(family.revokedReason).toBe("refresh token reused");
      expectTokenError(await refresh(t.app, rp, rotated.refresh_token), "invalid_grant");
      for (const accessToken of [login.access_token, rotated.access_token]) {
        const res = await getUserinfo(t.app, accessToken);
        expect(res.statusCode).toBe(401);
        expect(res.json().error).toBe("invalid_token");
        expect(res.headers["www-authenticate"]).toMatch(/^Bearer .*error="invalid_token"/);
      }
    });

    it("rejects the family's access tokens whichever way the family is revoked", async () => {
      const login = await signIn(t.app, rp, user.id);
      const family = await familyOf(t, login.refresh_token);
      expect(await revokeFamily(t.app.deps, family.id, "logout")).toBe(true);
      const res = await getUserinfo(t.app, login.access_token);
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toBe("invalid_token");
      expectTokenError(await refresh(t.app, rp, login.refresh_token), "invalid_grant");
    });

    it("leaves the user's other families alone", async () => {
      const victim = await signIn(t.app, rp, user.id);
      const other = await signIn(t.app, rp, user.id);
      await refresh(t.app, rp, victim.refresh_token);
      await refresh(t.app, rp, victim.refresh_token);
      expect((await refresh(t.app, rp, other.refresh_token)).statusCode).toBe(200);
      expect((await getUserinfo(t.app, other.access_token)).statusCode).toBe(200);
    });
  });

  describe("scope (RFC 6749 §6)", () => {
    it("narrows the access token to a requested subset, while the family keeps its scope", async () => {
      const login = await signIn(t.app, rp, user.id);
      const narrowed = await refresh(t.app, rp, login.refresh_token, { scope: "email openid" });
      expect(narrowed.statusCode).toBe(200);
      expect(narrowed.json().scope).toBe("openid email");
      const { payload } = await verifyWithJwks(t.app, narrowed.json().access_token, {
        typ: "at+jwt",
      });
      expect(payload.scope).toBe("openid email");
      const idToken = await verifyWithJwks(t.app, narrowed.json().id_token, { typ: "JWT" });
      expect(idToken.payload).toHaveProperty("email");
      expect(idToken.payload).not.toHaveProperty("name");
      expect((await familyOf(t, login.refresh_token)).scope).toBe("openid profile email");

      const full = await refresh(t.app, rp, narrowed.json().refresh_token);
      expect(full.json().scope).toBe("openid profile email");
    });

    it("issues no ID token when the narrowed scope lacks openid", async () => {
      const login = await signIn(t.app, rp, user.id);
      const res = await refresh(t.app, rp, login.refresh_token, { scope: "profile" });
      expect(res.statusCode).toBe(200);
      expect(res.json().scope).toBe("profile");
      expect(res.json()).not.toHaveProperty("id_token");
    });

    it.each([
      ["a scope beyond the grant", "openid profile email offline_access"],
      ["an unknown scope", "admin"],
      ["a malformed scope", 'openid "quoted"'],
    ])("rejects %s as invalid_scope and leaves the token live", async (_, scope) => {
      const login = await signIn(t.app, rp, user.id);
      expectTokenError(await refresh(t.app, rp, login.refresh_token, { scope }), "invalid_scope");
      expect((await refresh(t.app, rp, login.refresh_token)).statusCode).toBe(200);
    });
  });

  describe("resource indicators (RFC 8707 §2.2)", () => {
    const api = "https://api.example.com/";
    const reports = "https://reports.example.com/";

    it("keeps the audience the login was authorized for, or narrows it on request", async () => {
      const login = await signIn(t.app, rp, user.id, { resources: [api, reports] });
      const kept = await refresh(t.app, rp, login.refresh_token);
      const keptClaims = await verifyWithJwks(t.app, kept.json().access_token, { typ: "at+jwt" });
      expect(keptClaims.payload.aud).toEqual([api, reports]);
      const narrowed = await refresh(t.app, rp, kept.json().refresh_token, { resource: reports });
      const claims = await verifyWithJwks(t.app, narrowed.json().access_token, { typ: "at+jwt" });
      expect(claims.payload.aud).toBe(reports);
    });

    it("rejects a resource the login was not authorized for, without rotating", async () => {
      const login = await signIn(t.app, rp, user.id, { resources: [api] });
      const res = await refresh(t.app, rp, login.refresh_token, {
        resource: "https://evil.example.com/",
      });
      expectTokenError(res, "invalid_target");
      expect((await refresh(t.app, rp, login.refresh_token)).statusCode).toBe(200);
    });
  });

  describe("the client binding", () => {
    it("rejects a refresh token presented by another client, without touching it", async () => {
      const login = await signIn(t.app, rp, user.id);
      const res = await refresh(t.app, otherRp, login.refresh_token);
      expectTokenError(res, "invalid_grant");
      expect(res.json().error_description).toBe(
        "The refresh token is invalid, expired or revoked.",
      );
      expect((await familyOf(t, login.refresh_token)).revokedAt).toBeNull();
      expect((await refresh(t.app, rp, login.refresh_token)).statusCode).toBe(200);
    });

    it("rejects a public client presenting a confidential client's token", async () => {
      const login = await signIn(t.app, rp, user.id);
      expectTokenError(await refresh(t.app, publicRp, login.refresh_token), "invalid_grant");
    });

    it("rejects a client that is not registered for the refresh_token grant", async () => {
      const codeOnly = await makeClient(t.app, { grantTypes: ["authorization_code"] });
      const login = await signIn(t.app, rp, user.id);
      expectTokenError(await refresh(t.app, codeOnly, login.refresh_token), "unauthorized_client");
    });
  });

  describe("malformed and unknown tokens", () => {
    it("rejects an unknown refresh token as invalid_grant", async () => {
      expectTokenError(await refresh(t.app, rp, "x".repeat(43)), "invalid_grant");
    });

    it("rejects a request without refresh_token as invalid_request", async () => {
      const res = await postToken(t.app, { grant_type: "refresh_token" }, clientAuth(rp).headers);
      expectTokenError(res, "invalid_request");
      expect(res.json().error_description).toBe("The refresh_token parameter is missing.");
    });

    it("rejects a repeated refresh_token as invalid_request", async () => {
      const login = await signIn(t.app, rp, user.id);
      const res = await refresh(t.app, rp, login.refresh_token, {
        refresh_token: [login.refresh_token, login.refresh_token],
      });
      expectTokenError(res, "invalid_request");
    });
  });

  describe("users who can no longer sign in", () => {
    it("stops a locked user's family for good", async () => {
      const locked = await makeUser(t.app);
      const login = await signIn(t.app, rp, locked.id);
      await lockUser(t.app.deps.db, locked.email, new Date());
      expectTokenError(await refresh(t.app, rp, login.refresh_token), "invalid_grant");
      const family = await familyOf(t, login.refresh_token);
      expect(family.revokedReason).toBe("user locked");
      await unlockUser(t.app.deps.db, locked.email, new Date());
      expectTokenError(await refresh(t.app, rp, login.refresh_token), "invalid_grant");
    });

    it("stops a deleted user's family", async () => {
      const gone = await makeUser(t.app);
      const login = await signIn(t.app, rp, gone.id);
      await deleteUser(t.app.deps.db, gone.email);
      expectTokenError(await refresh(t.app, rp, login.refresh_token), "invalid_grant");
      expect(await findRefreshToken(t.app.deps.db, login.refresh_token)).toBeNull();
    });
  });
});

describe("the refresh_token grant, with a clock and a reuse grace period", () => {
  const clock = manualClock();
  let t: TestApp;
  let user: User;
  let rp: TestClient;

  beforeAll(async () => {
    t = await buildTestApp(
      {
        REFRESH_TOKEN_REUSE_GRACE: "10s",
        REFRESH_TOKEN_IDLE_TTL: "60s",
        REFRESH_TOKEN_ABSOLUTE_TTL: "300s",
      },
      { now: clock.now },
    );
    user = await makeUser(t.app);
    rp = await makeClient(t.app);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe("the reuse grace period", () => {
    it("returns the same successor to a duplicate inside the grace period", async () => {
      const login = await signIn(t.app, rp, user.id);
      const first = (await refresh(t.app, rp, login.refresh_token)).json();
      clock.advance(9);
      const duplicate = await refresh(t.app, rp, login.refresh_token);
      expect(duplicate.statusCode).toBe(200);
      expect(duplicate.json().refresh_token).toBe(first.refresh_token);
      expect(duplicate.json().access_token).not.toBe(first.access_token);
      expect((await familyOf(t, login.refresh_token)).revokedAt).toBeNull();
      expect((await getUserinfo(t.app, first.access_token)).statusCode).toBe(200);
      expect((await refresh(t.app, rp, first.refresh_token)).statusCode).toBe(200);
    });

    it("keeps the successor only sealed, never in plaintext", async () => {
      const login = await signIn(t.app, rp, user.id);
      const next = (await refresh(t.app, rp, login.refresh_token)).json().refresh_token;
      const row = await t.app.deps.db
        .selectFrom("refresh_tokens")
        .selectAll()
        .where("digest", "=", digestToken(login.refresh_token))
        .executeTakeFirstOrThrow();
      expect(row.successor_sealed).toEqual(expect.any(String));
      expect(row.successor_sealed).not.toContain(next);
      expect(Buffer.from(row.successor_sealed!, "base64url").includes(next)).toBe(false);
    });

    it("detects reuse once the grace period is over", async () => {
      const login = await signIn(t.app, rp, user.id);
      const first = (await refresh(t.app, rp, login.refresh_token)).json();
      clock.advance(11);
      expectTokenError(await refresh(t.app, rp, login.refresh_token), "invalid_grant");
      expect((await familyOf(t, login.refresh_token)).revokedReason).toBe("refresh token reused");
      expectTokenError(await refresh(t.app, rp, first.refresh_token), "invalid_grant");
      expect((await getUserinfo(t.app, first.access_token)).statusCode).toBe(401);
    });

    it("detects reuse inside the grace period once the successor was itself rotated", async () => {
      const login = await signIn(t.app, rp, user.id);
      const first = (await refresh(t.app, rp, login.refresh_token)).json();
      const second = (await refresh(t.app, rp, first.refresh_token)).json();
      expectTokenError(await refresh(t.app, rp, login.refresh_token), "invalid_grant");
      expectTokenError(await refresh(t.app, rp, second.refresh_token), "invalid_grant");
    });

    it("gives a duplicate nothing when it comes from another client", async () => {
      const otherRp = await makeClient(t.app);
      const login = await signIn(t.app, rp, user.id);
      await refresh(t.app, rp, login.refresh_token);
      expectTokenError(await refresh(t.app, otherRp, login.refresh_token), "invalid_grant");
    });
  });

  describe("lifetimes", () => {
    it("ends a family left unused for longer than the idle lifetime", async () => {
      const login = await signIn(t.app, rp, user.id);
      clock.advance(61);
      expectTokenError(await refresh(t.app, rp, login.refresh_token), "invalid_grant");
    });

    it("keeps a family in use alive past the idle lifetime, up to the absolute lifetime", async () => {
      const login = await signIn(t.app, rp, user.id);
      let token = login.refresh_token;
      for (let elapsed = 50; elapsed < 300; elapsed += 50) {
        clock.advance(50);
        const res = await refresh(t.app, rp, token);
        expect(res.statusCode, `after ${elapsed}s`).toBe(200);
        token = res.json().refresh_token;
      }
      clock.advance(50);
      expectTokenError(await refresh(t.app, rp, token), "invalid_grant");
      expect((await familyOf(t, token)).revokedAt).toBeNull();
    });
  });

  describe("the refreshed ID token (OIDC Core §12.2)", () => {
    it("keeps iss, sub, aud, auth_time, sid and amr, has a new iat and no nonce", async () => {
      const login = await signIn(t.app, rp, user.id, { sid: "sid-refresh", nonce: "n-1" });
      const original = await verifyWithJwks(t.app, login.id_token!, { typ: "JWT" });
      expect(original.payload.nonce).toBe("n-1");
      clock.advance(30);
      const res = await refresh(t.app, rp, login.refresh_token);
      const { access_token: accessToken, id_token: idToken } = res.json();
      const { payload } = await verifyWithJwks(t.app, idToken, {
        typ: "JWT",
        audience: rp.client.id,
      });
      expect(payload).toEqual({
        iss: original.payload.iss,
        sub: original.payload.sub,
        aud: original.payload.aud,
        auth_time: original.payload.auth_time,
        iat: original.payload.iat! + 30,
        exp: original.payload.iat! + 30 + t.config.idTokenTtl,
        at_hash: accessTokenHash(accessToken),
        sid: "sid-refresh",
        amr: ["pwd"],
        acr: "urn:latchkey:acr:pwd",
        name: user.name,
        updated_at: Math.floor(user.updatedAt.getTime() / 1000),
        email: user.email,
        email_verified: true,
      });
    });
  });
});
