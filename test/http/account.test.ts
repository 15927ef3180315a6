// The account page against a running app on Postgres and Redis: its own login that comes back
// to it, the profile, the password change (which ends the user's other sessions and every
// refresh family but keeps this browser signed in), "apps with access" and revoking one
// (consent gone, refresh tokens dead, consent asked again), CSRF refusals and the headers.

import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionCookieName } from "../../server/http/session-cookie.ts";
import { findConsent } from "../../server/store/db/consents.ts";
import {
  findRefreshFamilyById,
  listActiveFamilyIds,
} from "../../server/store/db/refresh-families.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  authorizeQuery,
  Browser,
  formAction,
  inputValue,
  location,
  PASSWORD,
  REDIRECT_URI,
  VERIFIER,
} from "../helpers/authorize-flow.ts";
import { sessionAlive, tokensFor } from "../helpers/signed-in.ts";
import { basicAuth, makeClient, makeUser, postToken } from "../helpers/token-fixtures.ts";

const NEW_PASSWORD = "a brand new passphrase for latchkey";

let t: TestApp;
let album: Awaited<ReturnType<typeof makeClient>>;
let mail: Awaited<ReturnType<typeof makeClient>>;

beforeAll(async () => {
  t = await buildTestApp();
  album = await makeClient(t.app, {
    name: "Photo Album",
    scope: "openid profile offline_access photos.read",
  });
  mail = await makeClient(t.app, { name: "Mail app", skipConsent: true, scope: "openid" });
});

afterAll(async () => {
  await t?.close();
});

/** Signs the browser in on the account login page; returns the answer to the POST. */
async function accountLogin(browser: Browser, email: string, password = PASSWORD) {
  const page = await browser.get("/account/login");
  expect(page.statusCode).toBe(200);
  return browser.submit(page, { email, password });
}

async function signedInBrowser(email: string): Promise<Browser> {
  const browser = new Browser(t.app);
  const answer = await accountLogin(browser, email);
  expect(answer.statusCode).toBe(303);
  return browser;
}

/** The account page's form whose action ends with this path, as name → value of its inputs. */
function formOf(html: string, actionEnd: string, index = 0): Record<string, string> {
  const forms = [...html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].filter(
    (match) => match[1]?.endsWith(actionEnd),
  );
  const form = forms[index]?.[2];
  if (form === undefined) throw new Error(`no form for ${actionEnd}`);
  const fields: Record<string, string> = {};
  for (const input of form.matchAll(/<input[^>]*name="([^"]*)"(?:[^>]*value="([^"]*)")?/g)) {
    fields[input[1] ?? ""] = input[2] ?? "";
  }
  return fields;
}

async function changePassword(
  browser: Browser,
  fields: { current_password: string; new_password: string; new_password_confirm?: string },
): Promise<LightMyRequestResponse> {
  const page = await browser.get("/account");
  const form = formOf(page.body, "/account/password");
  return browser.post("/account/password", {
    ...form,
    new_password_confirm: fields.new_password,
    ...fields,
  });
}

/** Runs the code flow for the consent-asking client, allowing it; returns its tokens. */
async function consentedTokens(browser: Browser, scope: string) {
  const query = authorizeQuery(album.client.id, { scope });
  let answer = await browser.get(query);
  if (location(answer).pathname.endsWith("/login")) {
    throw new Error("the browser should be signed in already");
  }
  answer = await browser.consent(answer, "allow");
  const callback = location(answer);
  expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
  const token = await postToken(
    t.app,
    {
      grant_type: "authorization_code",
      code: callback.searchParams.get("code") ?? "",
      redirect_uri: REDIRECT_URI,
      code_verifier: VERIFIER,
    },
    { authorization: basicAuth(album.client.id, album.secret ?? "") },
  );
  expect(token.statusCode).toBe(200);
  return token.json() as { refresh_token: string; access_token: string };
}

function refresh(client: typeof album, refreshToken: string) {
  return postToken(
    t.app,
    { grant_type: "refresh_token", refresh_token: refreshToken },
    { authorization: basicAuth(client.client.id, client.secret ?? "") },
  );
}

describe("GET /account", () => {
  it("sends a browser without a session to the account login, which comes back to /account", async () => {
    const user = await makeUser(t.app, { name: "Ada Lovelace", emailVerified: false });
    const browser = new Browser(t.app);
    const first = await browser.get("/account");
    expect(first.statusCode).toBe(302);
    expect(first.headers.location).toBe("/account/login");

    const loginPage = await browser.get("/account/login");
    expect(loginPage.statusCode).toBe(200);
    expect(formAction(loginPage.body)).toBe("/account/login");
    expect(loginPage.body).toContain('<label for="email">');
    expect(loginPage.body).toContain('<label for="password">');
    expect(loginPage.body.match(/<button[^>]*type="submit"/g)).toHaveLength(1);

    const wrong = await browser.submit(loginPage, { email: user.email, password: "not it at all" });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain("The email address or password is incorrect.");
    expect(inputValue(wrong.body, "email")).toBe(user.email);

    const right = await browser.submit(wrong, { email: user.email, password: PASSWORD });
    expect(right.statusCode).toBe(303);
    expect(right.headers.location).toBe("/account");

    const page = await browser.get("/account");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Ada Lovelace");
    expect(page.body).toContain(user.email);
    expect(page.body).toContain("Not verified");
    expect(page.body).toContain(`datetime="${user.createdAt.toISOString()}"`);
    expect(page.body).toContain("No apps have access to your account.");
    expect(page.body).toContain('href="/oauth/logout"');

    // Signed in already: the login page goes straight back.
    const again = await browser.get("/account/login");
    expect(again.statusCode).toBe(302);
    expect(again.headers.location).toBe("/account");
  });

  it("sends the page with no-store, its Content-Security-Policy and the security headers", async () => {
    const user = await makeUser(t.app);
    const browser = await signedInBrowser(user.email);
    const page = await browser.get("/account");
    expect(page.statusCode).toBe(200);
    expect(page.headers["cache-control"]).toBe("no-store");
    expect(page.headers["content-security-policy"]).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    expect(page.headers["x-frame-options"]).toBe("DENY");
    expect(page.body).not.toMatch(/<script|style=/);
  });

  it("shows a fixed message for a known done= value and ignores anything else", async () => {
    const user = await makeUser(t.app);
    const browser = await signedInBrowser(user.email);
    const known = await browser.get("/account?done=revoked");
    expect(known.body).toContain("Access removed. The app can no longer use your account.");
    const unknown = await browser.get("/account?done=%3Cb%3Ehello%3C%2Fb%3E");
    expect(unknown.statusCode).toBe(200);
    expect(unknown.body).not.toContain("hello");
    expect(unknown.body).not.toContain('role="status"');
  });
});

describe("POST /account/password", () => {
  it("refuses a wrong current password, a mismatch and a too-short password next to the form", async () => {
    const user = await makeUser(t.app);
    const browser = await signedInBrowser(user.email);
    const cases = [
      {
        fields: { current_password: "not the password", new_password: NEW_PASSWORD },
        error: "The current password is incorrect.",
      },
      {
        fields: {
          current_password: PASSWORD,
          new_password: NEW_PASSWORD,
          new_password_confirm: `${NEW_PASSWORD}!`,
        },
        error: "The new password and its confirmation do not match.",
      },
      {
        fields: { current_password: PASSWORD, new_password: "short" },
        error: "The password must have at least 8 characters.",
      },
    ];
    for (const { fields, error } of cases) {
      const answer = await changePassword(browser, fields);
      expect(answer.statusCode).toBe(400);
      expect(answer.body).toMatch(
        new RegExp(`<div class="alert" role="alert" id="password-error">[\\s\\S]*?${error}`),
      );
      expect(answer.body).not.toContain(NEW_PASSWORD);
    }
    const login = await accountLogin(new Browser(t.app), user.email, PASSWORD);
    expect(login.statusCode).toBe(303);
  });

  it("stops taking current passwords after five wrong ones in the session", async () => {
    const user = await makeUser(t.app);
    const browser = await signedInBrowser(user.email);
    for (let i = 0; i < 5; i++) {
      const wrong = await changePassword(browser, {
        current_password: `not the password ${i}`,
        new_password: NEW_PASSWORD,
      });
      expect(wrong.body).toContain("The current password is incorrect.");
    }
    const right = await changePassword(browser, {
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
    });
    expect(right.statusCode).toBe(400);
    expect(right.body).toContain("Too many wrong attempts.");
    // The password did not change, and another session has its own allowance.
    const other = await signedInBrowser(user.email);
    const changed = await changePassword(other, {
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
    });
    expect(changed.statusCode).toBe(303);
  });

  it("changes the password, ends the other sessions and every refresh family, and keeps this browser signed in", async () => {
    const user = await makeUser(t.app);
    const laptop = await signedInBrowser(user.email);
    const phone = new Browser(t.app);
    const phoneTokens = await tokensFor(t.app, phone, mail, user, "openid");
    const albumTokens = await consentedTokens(laptop, "openid offline_access");
    const families = await listActiveFamilyIds(t.app.deps.db, { userId: user.id });
    expect(families).toHaveLength(2);

    const answer = await changePassword(laptop, {
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
    });
    expect(answer.statusCode).toBe(303);
    expect(answer.headers.location).toBe("/account?done=password");

    const page = await laptop.get(location(answer).href);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Your password was changed. You were signed out everywhere else.");
    expect(await sessionAlive(phone, mail.client.id)).toBe(false);
    expect((await phone.get("/account")).headers.location).toBe("/account/login");
    expect(await sessionAlive(laptop, mail.client.id)).toBe(true);

    for (const id of families) {
      expect((await findRefreshFamilyById(t.app.deps.db, id))?.revokedReason).toBe(
        "password-change",
      );
    }
    for (const [client, tokens] of [
      [mail, phoneTokens],
      [album, albumTokens],
    ] as const) {
      const refreshed = await refresh(client, tokens.refresh_token);
      expect(refreshed.statusCode).toBe(400);
      expect(refreshed.json()).toMatchObject({ error: "invalid_grant" });
    }

    expect((await accountLogin(new Browser(t.app), user.email, PASSWORD)).statusCode).toBe(400);
    expect((await accountLogin(new Browser(t.app), user.email, NEW_PASSWORD)).statusCode).toBe(303);

    const audit = await t.app.deps.db
      .selectFrom("audit_events")
      .selectAll()
      .where("user_id", "=", user.id)
      .where("type", "=", "password.changed")
      .execute();
    expect(audit).toEqual([
      expect.objectContaining({
        actor: user.id,
        details: expect.objectContaining({ families_revoked: 2 }),
      }),
    ]);
  });
});

describe("apps with access", () => {
  it("lists a consented client with its scopes in words and its last use, and revoking it cuts it off", async () => {
    const user = await makeUser(t.app);
    const browser = await signedInBrowser(user.email);
    const tokens = await consentedTokens(browser, "openid profile offline_access photos.read");

    const page = await browser.get("/account");
    expect(page.body).toContain("Photo Album");
    expect(page.body).toContain("See your name and basic profile information");
    expect(page.body).toContain("Keep access while you are not using it, until you revoke it");
    expect(page.body).toContain('<code class="scope-name">photos.read</code>');
    expect(page.body).toMatch(/Last used <time datetime="\d{4}-\d\d-\d\dT[^"]+">[^<]+ UTC<\/time>/);
    expect(page.body).toContain('Revoke<span class="visually-hidden"> access for Photo Album');

    const form = formOf(page.body, "/account/apps/revoke");
    expect(form.client_id).toBe(album.client.id);
    const answer = await browser.post("/account/apps/revoke", form);
    expect(answer.statusCode).toBe(303);
    expect(answer.headers.location).toBe("/account?done=revoked");

    expect(await findConsent(t.app.deps.db, user.id, album.client.id)).toBeNull();
    const refreshed = await refresh(album, tokens.refresh_token);
    expect(refreshed.statusCode).toBe(400);
    expect(refreshed.json()).toMatchObject({ error: "invalid_grant" });
    const userinfo = await t.app.inject({
      method: "GET",
      url: "/oauth/userinfo",
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.statusCode).toBe(401);

    const after = await browser.get("/account");
    expect(after.body).not.toContain("Photo Album");
    const next = await browser.get(authorizeQuery(album.client.id, { scope: "openid" }));
    expect(location(next).pathname).toMatch(/^\/interaction\/[^/]+\/consent$/);

    const audit = await t.app.deps.db
      .selectFrom("audit_events")
      .selectAll()
      .where("user_id", "=", user.id)
      .where("type", "=", "consent.revoked")
      .execute();
    expect(audit).toEqual([
      expect.objectContaining({
        actor: user.id,
        client_id: album.client.id,
        details: { families_revoked: 1 },
      }),
    ]);
  });
});

describe("CSRF", () => {
  it("refuses the account forms without a token made for this session", async () => {
    const user = await makeUser(t.app);
    const browser = await signedInBrowser(user.email);
    await consentedTokens(browser, "openid");
    const page = await browser.get("/account");
    const revoke = formOf(page.body, "/account/apps/revoke");
    const password = formOf(page.body, "/account/password");

    const forged = await browser.post("/account/apps/revoke", { ...revoke, csrf_token: "forged" });
    expect(forged.statusCode).toBe(403);
    const missing = await browser.post("/account/password", {
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    });
    expect(missing.statusCode).toBe(403);
    expect(await findConsent(t.app.deps.db, user.id, album.client.id)).not.toBeNull();

    // A form shown to an earlier session in the same browser is worthless to the next one.
    const other = await makeUser(t.app);
    browser.jar.delete(sessionCookieName(t.config));
    expect((await accountLogin(browser, other.email)).statusCode).toBe(303);
    const stale = await browser.post("/account/password", {
      ...password,
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    });
    expect(stale.statusCode).toBe(403);

    const login = await new Browser(t.app).post("/account/login", {
      csrf_token: "forged",
      email: user.email,
      password: PASSWORD,
    });
    expect(login.statusCode).toBe(403);
  });

  it("sends a form without a session to the login page and changes nothing", async () => {
    const answer = await new Browser(t.app).post("/account/apps/revoke", {
      csrf_token: "x",
      client_id: album.client.id,
    });
    expect(answer.statusCode).toBe(303);
    expect(answer.headers.location).toBe("/account/login");
  });
});
