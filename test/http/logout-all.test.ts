// "Log out everywhere" (the userLogoutAll operation behind `latchkey user logout-all` and the
// admin API) against a running app on Postgres and Redis: every session of the user ends in
// every browser, every refresh family is revoked (offline_access ones too), other users are
// untouched, the user can sign in again, and the audit trail records it.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOperations, type Operations } from "../../server/operator/operations.ts";
import {
  findRefreshFamilyById,
  listActiveFamilyIds,
} from "../../server/store/db/refresh-families.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  authorizeQuery,
  Browser,
  location,
  makeUser,
  REDIRECT_URI,
  VERIFIER,
} from "../helpers/authorize-flow.ts";
import { sessionAlive, tokensFor } from "../helpers/signed-in.ts";
import { basicAuth, makeClient, postToken } from "../helpers/token-fixtures.ts";

let t: TestApp;
let ops: Operations;
let client: Awaited<ReturnType<typeof makeClient>>;

beforeAll(async () => {
  t = await buildTestApp();
  const { deps } = t.app;
  ops = createOperations({
    db: deps.db,
    config: deps.config,
    now: deps.now,
    log: deps.log,
    kek: async () => {
      throw new Error("not needed");
    },
    kv: async () => deps.kv,
  });
  client = await makeClient(t.app, {
    name: "Mail app",
    skipConsent: true,
    scope: "openid offline_access",
  });
});

afterAll(async () => {
  await t?.close();
});

describe("userLogoutAll", () => {
  it("ends every session and revokes every family of the user, and only of that user", async () => {
    const user = await makeUser(t.app);
    const laptop = new Browser(t.app);
    const phone = new Browser(t.app);
    const online = await tokensFor(t.app, laptop, client, user);
    const offline = await tokensFor(t.app, phone, client, user, "openid offline_access");
    const bystander = await makeUser(t.app);
    const theirs = new Browser(t.app);
    const theirTokens = await tokensFor(t.app, theirs, client, bystander);
    const families = await listActiveFamilyIds(t.app.deps.db, { userId: user.id });
    expect(families).toHaveLength(2);

    const result = await ops.userLogoutAll({ email: user.email.toUpperCase() });
    expect(result).toEqual({
      user: expect.objectContaining({ id: user.id, email: user.email }),
      sessions_ended_before: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      refresh_families_revoked: 2,
    });

    expect(await sessionAlive(laptop, client.client.id)).toBe(false);
    expect(await sessionAlive(phone, client.client.id)).toBe(false);
    expect(await listActiveFamilyIds(t.app.deps.db, { userId: user.id })).toEqual([]);
    for (const id of families) {
      expect((await findRefreshFamilyById(t.app.deps.db, id))?.revokedReason).toBe("logout-all");
    }
    for (const tokens of [online, offline]) {
      const refreshed = await postToken(
        t.app,
        { grant_type: "refresh_token", refresh_token: tokens.refresh_token },
        { authorization: basicAuth(client.client.id, client.secret!) },
      );
      expect(refreshed.statusCode).toBe(400);
      expect(refreshed.json()).toMatchObject({ error: "invalid_grant" });
      const userinfo = await t.app.inject({
        method: "GET",
        url: "/oauth/userinfo",
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(userinfo.statusCode).toBe(401);
    }

    expect(await sessionAlive(theirs, client.client.id)).toBe(true);
    expect(await listActiveFamilyIds(t.app.deps.db, { userId: bystander.id })).toHaveLength(1);
    expect(theirTokens.sid).not.toBe(online.sid);

    const audit = await t.app.deps.db
      .selectFrom("audit_events")
      .selectAll()
      .where("user_id", "=", user.id)
      .where("type", "=", "user.logout_all")
      .execute();
    expect(audit).toEqual([
      expect.objectContaining({
        type: "user.logout_all",
        actor: "operator",
        details: { sessions_ended_before: result.sessions_ended_before, families_revoked: 2 },
      }),
    ]);
  });

  it("lets the user sign in again afterwards, and counts nothing twice", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    await tokensFor(t.app, browser, client, user);
    expect((await ops.userLogoutAll({ email: user.email })).refresh_families_revoked).toBe(1);
    expect((await ops.userLogoutAll({ email: user.email })).refresh_families_revoked).toBe(0);
    // The cut-off is in milliseconds; a login in the same millisecond would not survive it.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await tokensFor(t.app, browser, client, user);
    expect(await sessionAlive(browser, client.client.id)).toBe(true);
    expect(await listActiveFamilyIds(t.app.deps.db, { userId: user.id })).toHaveLength(1);
    expect(again.sid).toEqual(expect.any(String));
  });

  it("kills authorization codes issued in the ended sessions, not in a later one", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    await tokensFor(t.app, browser, client, user);
    const pending = await browser.get(authorizeQuery(client.client.id, { scope: "openid" }));
    const code = location(pending).searchParams.get("code") ?? "";
    await ops.userLogoutAll({ email: user.email });
    const redeem = (c: string) =>
      postToken(
        t.app,
        {
          grant_type: "authorization_code",
          code: c,
          redirect_uri: REDIRECT_URI,
          code_verifier: VERIFIER,
        },
        { authorization: basicAuth(client.client.id, client.secret ?? "") },
      );
    const refused = await redeem(code);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error_description).toBe(
      "The login session of this authorization code has ended.",
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    const fresh = await tokensFor(t.app, browser, client, user);
    expect(fresh.access_token).toEqual(expect.any(String));
  });

  it("refuses an unknown email", async () => {
    await expect(ops.userLogoutAll({ email: "nobody@example.com" })).rejects.toMatchObject({
      error: "not_found",
      description: "No user with email nobody@example.com.",
    });
  });
});
