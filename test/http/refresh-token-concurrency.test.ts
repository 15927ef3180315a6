// Fifty simultaneous exchanges of one refresh token against Postgres. Rotation locks the
// family row, so exactly one exchange rotates the token. Without a grace period the other 49
// present a rotated token, which is reuse: the family is revoked, the winner's successor with
// it. With a grace period all 50 receive the same successor. Never two live branches.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { User } from "../../server/store/db/users.ts";
import { findRefreshToken } from "../../server/tokens/refresh-tokens.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  expectTokenError,
  getUserinfo,
  refresh,
  signIn,
  type TestClient,
} from "../helpers/refresh-fixtures.ts";
import { makeClient, makeUser } from "../helpers/token-fixtures.ts";

const PARALLEL = 50;

async function familyTokens(t: TestApp, familyId: string) {
  return t.app.deps.db
    .selectFrom("refresh_tokens")
    .select(["digest", "rotated_at", "successor_digest"])
    .where("family_id", "=", familyId)
    .execute();
}

describe.each([
  ["without a grace period", "0s"],
  ["with a grace period", "30s"],
])("%s, 50 parallel refreshes of one token", (label, grace) => {
  let t: TestApp;
  let user: User;
  let rp: TestClient;

  beforeAll(async () => {
    t = await buildTestApp({ REFRESH_TOKEN_REUSE_GRACE: grace });
    expect(t.app.deps.dbKind).toBe("postgres");
    user = await makeUser(t.app);
    rp = await makeClient(t.app);
  });
  afterAll(async () => {
    await t?.close();
  });

  it(`never leave two live branches (${label})`, async () => {
    const login = await signIn(t.app, rp, user.id);
    const family = (await findRefreshToken(t.app.deps.db, login.refresh_token))!.family;
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, () => refresh(t.app, rp, login.refresh_token)),
    );
    const ok = results.filter((res) => res.statusCode === 200);
    const successors = new Set(ok.map((res) => res.json().refresh_token as string));

    // The presented token was rotated exactly once, to exactly one successor.
    const tokens = await familyTokens(t, family.id);
    expect(tokens).toHaveLength(2);
    expect(tokens.filter((token) => token.rotated_at === null)).toHaveLength(1);
    expect(successors.size).toBe(1);
    const [successor] = successors;

    if (grace === "0s") {
      expect(ok).toHaveLength(1);
      for (const res of results.filter((r) => r.statusCode !== 200)) {
        expectTokenError(res, "invalid_grant");
      }
      const after = (await findRefreshToken(t.app.deps.db, login.refresh_token))!.family;
      expect(after.revokedReason).toBe("refresh token reused");
      expectTokenError(await refresh(t.app, rp, successor!), "invalid_grant");
      expect((await getUserinfo(t.app, ok[0]!.json().access_token)).statusCode).toBe(401);
    } else {
      expect(ok).toHaveLength(PARALLEL);
      const after = (await findRefreshToken(t.app.deps.db, login.refresh_token))!.family;
      expect(after.revokedAt).toBeNull();
      expect((await getUserinfo(t.app, ok[0]!.json().access_token)).statusCode).toBe(200);
      const next = await refresh(t.app, rp, successor!);
      expect(next.statusCode).toBe(200);
    }
  });
});
