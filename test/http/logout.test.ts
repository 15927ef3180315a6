// RP-Initiated Logout at /oauth/logout: logout tied to the session by the id_token_hint, the
// confirmation page (yes, no, CSRF), post_logout_redirect_uri and state, invalid hints and
// parameters, and what logout ends: the session, and the refresh families of that session
// without offline_access.

import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  makeUser,
  REDIRECT_URI,
  VERIFIER,
} from "../helpers/authorize-flow.ts";
import { sessionAlive, type Tokens, tokensFor } from "../helpers/signed-in.ts";
import { basicAuth, makeClient, postToken } from "../helpers/token-fixtures.ts";

const BYE = "https://rp.example.com/bye";
const OTHER_BYE = "https://other.example.net/signed-out";

let t: TestApp;
let web: Awaited<ReturnType<typeof makeClient>>;
let offline: Awaited<ReturnType<typeof makeClient>>;
let other: Awaited<ReturnType<typeof makeClient>>;

beforeAll(async () => {
  t = await buildTestApp();
  const common = { skipConsent: true, grantTypes: ["authorization_code", "refresh_token"] };
  web = await makeClient(t.app, {
    ...common,
    name: "Web app",
    postLogoutRedirectUris: [BYE],
    scope: "openid profile email",
  });
  offline = await makeClient(t.app, {
    ...common,
    name: "Mail app",
    scope: "openid offline_access",
  });
  other = await makeClient(t.app, {
    ...common,
    name: "Other",
    postLogoutRedirectUris: [OTHER_BYE],
  });
});

afterAll(async () => {
  await t?.close();
});

/** A browser signed in to the web client, with its tokens. */
async function signedIn(): Promise<{ browser: Browser; tokens: Tokens; userId: string }> {
  const user = await makeUser(t.app);
  const browser = new Browser(t.app);
  const tokens = await tokensFor(t.app, browser, web, user);
  return { browser, tokens, userId: user.id };
}

function logoutUrl(params: Record<string, string | string[]>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) query.append(name, v);
  }
  return `/oauth/logout?${query}`;
}

/** Whether the last Set-Cookie for the session cookie emptied and expired it. */
function cleared(browser: Browser): boolean {
  const line = browser.jar.setCookieLine("latchkey-session") ?? "";
  return /^latchkey-session=;/.test(line) && browser.jar.get("latchkey-session") === undefined;
}

function expectErrorPage(res: {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}) {
  expect(res.statusCode).toBe(400);
  expect(res.headers.location).toBeUndefined();
  expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
  expect(res.body).toContain("This request cannot be completed");
}

describe("discovery", () => {
  it("advertises the end_session_endpoint", async () => {
    const res = await t.app.inject({ method: "GET", url: "/.well-known/openid-configuration" });
    expect(res.json()).toMatchObject({ end_session_endpoint: `${t.config.issuer}/oauth/logout` });
  });
});

describe("logout tied to the session by id_token_hint", () => {
  it("ends the session at once and returns to the registered URI with the state", async () => {
    const { browser, tokens } = await signedIn();
    const res = await browser.get(
      logoutUrl({ id_token_hint: tokens.id_token, post_logout_redirect_uri: BYE, state: "s-1" }),
    );
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe(`${BYE}?state=s-1`);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(cleared(browser)).toBe(true);
    expect(await sessionAlive(browser, web.client.id)).toBe(false);
  });

  it("kills an authorization code issued in the session before the logout", async () => {
    const { browser, tokens } = await signedIn();
    // A code the browser received but the client has not redeemed yet.
    const pending = await browser.get(authorizeQuery(web.client.id, { scope: "openid" }));
    const code = location(pending).searchParams.get("code") ?? "";
    expect(code).not.toBe("");
    await browser.get(logoutUrl({ id_token_hint: tokens.id_token }));
    const redeemed = await postToken(
      t.app,
      {
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: VERIFIER,
      },
      { authorization: basicAuth(web.client.id, web.secret ?? "") },
    );
    expect(redeemed.statusCode).toBe(400);
    expect(redeemed.json()).toEqual({
      error: "invalid_grant",
      error_description: "The login session of this authorization code has ended.",
    });
  });

  it("ends the server-side session even if the browser keeps sending the old cookie", async () => {
    const { browser, tokens } = await signedIn();
    const cookie = browser.jar.get("latchkey-session")!;
    await browser.get(logoutUrl({ id_token_hint: tokens.id_token }));
    browser.jar.set("latchkey-session", cookie);
    expect(await sessionAlive(browser, web.client.id)).toBe(false);
  });

  it("accepts client_id equal to the hint's audience, and ui_locales", async () => {
    const { browser, tokens } = await signedIn();
    const res = await browser.get(
      logoutUrl({
        id_token_hint: tokens.id_token,
        client_id: web.client.id,
        post_logout_redirect_uri: BYE,
        ui_locales: "de en",
      }),
    );
    expect(res.headers.location).toBe(BYE);
  });

  it("accepts an expired hint", async () => {
    const { browser, tokens, userId } = await signedIn();
    const past = Math.floor(Date.now() / 1000) - 7200;
    const expired = await t.app.deps.keys.sign(
      { iss: t.config.issuer, sub: userId, aud: web.client.id, sid: tokens.sid, iat: past },
      { typ: "JWT", expiresIn: 3600 },
    );
    const res = await browser.get(
      logoutUrl({ id_token_hint: expired, post_logout_redirect_uri: BYE, state: "old" }),
    );
    expect(res.headers.location).toBe(`${BYE}?state=old`);
    expect(await sessionAlive(browser, web.client.id)).toBe(false);
  });

  it("answers a POST with 303", async () => {
    const { browser, tokens } = await signedIn();
    const res = await browser.post("/oauth/logout", {
      id_token_hint: tokens.id_token,
      post_logout_redirect_uri: BYE,
      state: "p",
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${BYE}?state=p`);
    expect(await sessionAlive(browser, web.client.id)).toBe(false);
  });

  it("shows the signed-out page without a post_logout_redirect_uri", async () => {
    const { browser, tokens } = await signedIn();
    const res = await browser.get(logoutUrl({ id_token_hint: tokens.id_token }));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("You are signed out");
    expect(res.body).not.toContain("not registered");
    expect(await sessionAlive(browser, web.client.id)).toBe(false);
  });
});

describe("post_logout_redirect_uri", () => {
  it("is not followed when it is not registered for the client: a page instead", async () => {
    const { browser, tokens } = await signedIn();
    for (const uri of [OTHER_BYE, "https://evil.example/steal", `${BYE}/`, `${BYE}?x=1`]) {
      const res = await browser.get(
        logoutUrl({ id_token_hint: tokens.id_token, post_logout_redirect_uri: uri, state: "s" }),
      );
      expect(res.statusCode).toBe(200);
      expect(res.headers.location).toBeUndefined();
      expect(res.body).toContain("You are signed out");
      expect(res.body).toContain("has not registered");
    }
    expect(await sessionAlive(browser, web.client.id)).toBe(false);
  });

  it("is not followed when no client can be told", async () => {
    const browser = new Browser(t.app);
    const res = await browser.get(logoutUrl({ post_logout_redirect_uri: BYE, state: "s" }));
    expect(res.statusCode).toBe(200);
    expect(res.headers.location).toBeUndefined();
    expect(res.body).toContain("has not registered");
  });

  it("is followed for client_id alone, without a session (idempotent logout)", async () => {
    const browser = new Browser(t.app);
    for (let i = 0; i < 2; i++) {
      const res = await browser.get(
        logoutUrl({ client_id: web.client.id, post_logout_redirect_uri: BYE, state: "x y" }),
      );
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe(`${BYE}?state=x+y`);
    }
  });
});

describe("the confirmation page", () => {
  it("is shown without a hint; logout=yes ends the session and returns to the client", async () => {
    const { browser } = await signedIn();
    const page = await browser.get(
      logoutUrl({ client_id: web.client.id, post_logout_redirect_uri: BYE, state: "c-1" }),
    );
    expect(page.statusCode).toBe(200);
    expect(page.headers["cache-control"]).toBe("no-store");
    expect(page.headers["content-security-policy"]).toContain(
      "form-action 'self' https://rp.example.com;",
    );
    expect(page.body).toContain("Sign out of Latchkey?");
    expect(page.body).toContain("Web app");
    expect(page.body).toMatch(/<button[^>]*name="logout" value="yes"[^>]*>Sign out</);
    expect(page.body).toMatch(/<button[^>]*name="logout" value="no"[^>]*>Stay signed in</);
    expect(formAction(page.body)).toBe("/oauth/logout");
    expect(inputValue(page.body, "state")).toBe("c-1");
    expect(await sessionAlive(browser, web.client.id)).toBe(true);

    const res = await browser.submit(page, {
      client_id: inputValue(page.body, "client_id")!,
      post_logout_redirect_uri: inputValue(page.body, "post_logout_redirect_uri")!,
      state: "c-1",
      logout: "yes",
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${BYE}?state=c-1`);
    expect(cleared(browser)).toBe(true);
    expect(await sessionAlive(browser, web.client.id)).toBe(false);
  });

  it("logout=no keeps the session and returns to the client with the state", async () => {
    const { browser } = await signedIn();
    const page = await browser.get(
      logoutUrl({ client_id: web.client.id, post_logout_redirect_uri: BYE, state: "n" }),
    );
    const res = await browser.submit(page, {
      client_id: web.client.id,
      post_logout_redirect_uri: BYE,
      state: "n",
      logout: "no",
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${BYE}?state=n`);
    expect(await sessionAlive(browser, web.client.id)).toBe(true);
  });

  it("logout=no without a redirect URI says the user is still signed in", async () => {
    const { browser } = await signedIn();
    const page = await browser.get("/oauth/logout");
    const res = await browser.submit(page, { logout: "no" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("You are still signed in");
    expect(await sessionAlive(browser, web.client.id)).toBe(true);
  });

  it("logout=yes without a redirect URI shows the signed-out page", async () => {
    const { browser } = await signedIn();
    const page = await browser.get("/oauth/logout");
    expect(page.headers["content-security-policy"]).toContain("form-action 'self';");
    const res = await browser.submit(page, { logout: "yes" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("You are signed out");
    expect(await sessionAlive(browser, web.client.id)).toBe(false);
  });

  it("is shown for a hint of the same user from another session", async () => {
    const { browser, tokens, userId } = await signedIn();
    const oldSession = await t.app.deps.keys.sign(
      { iss: t.config.issuer, sub: userId, aud: web.client.id, sid: "an-earlier-session" },
      { typ: "JWT", expiresIn: 3600 },
    );
    const noSid = await t.app.deps.keys.sign(
      { iss: t.config.issuer, sub: userId, aud: web.client.id },
      { typ: "JWT", expiresIn: 3600 },
    );
    const someoneElse = await signedIn();
    for (const hint of [oldSession, noSid, someoneElse.tokens.id_token]) {
      const page = await browser.get(logoutUrl({ id_token_hint: hint }));
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain("Sign out of Latchkey?");
      expect(inputValue(page.body, "id_token_hint")).toBe(hint);
    }
    expect(tokens.sid).not.toBe(someoneElse.tokens.sid);
    expect(await sessionAlive(browser, web.client.id)).toBe(true);
    expect(await sessionAlive(someoneElse.browser, web.client.id)).toBe(true);
  });

  it("refuses a POST without a valid CSRF token and keeps the session", async () => {
    const { browser } = await signedIn();
    const page = await browser.get(logoutUrl({ client_id: web.client.id }));
    for (const csrf_token of ["", "forged", inputValue(page.body, "csrf_token")!.slice(1)]) {
      const res = await browser.post("/oauth/logout", {
        client_id: web.client.id,
        logout: "yes",
        csrf_token,
      });
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain("This form could not be accepted");
    }
    // A token of another browser is worth nothing in this one.
    const { browser: attacker } = await signedIn();
    const attackerPage = await attacker.get("/oauth/logout");
    const res = await browser.post("/oauth/logout", {
      logout: "yes",
      csrf_token: inputValue(attackerPage.body, "csrf_token")!,
    });
    expect(res.statusCode).toBe(403);
    expect(await sessionAlive(browser, web.client.id)).toBe(true);
  });

  it("asks again when neither button was used", async () => {
    const { browser } = await signedIn();
    const page = await browser.get("/oauth/logout");
    const res = await browser.submit(page, { logout: "maybe" });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain("Choose Sign out or Stay signed in.");
    expect(await sessionAlive(browser, web.client.id)).toBe(true);
  });

  it("is never answered by a GET", async () => {
    const { browser } = await signedIn();
    const page = await browser.get("/oauth/logout");
    const csrf = inputValue(page.body, "csrf_token")!;
    const res = await browser.get(logoutUrl({ logout: "yes", csrf_token: csrf }));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("Sign out of Latchkey?");
    expect(await sessionAlive(browser, web.client.id)).toBe(true);
  });
});

describe("a cross-site POST (no cookies sent)", () => {
  it("is sent on as a GET, which carries the session cookie", async () => {
    const { browser, tokens } = await signedIn();
    const params = { id_token_hint: tokens.id_token, post_logout_redirect_uri: BYE, state: "x" };
    const res = await t.app.inject({
      method: "POST",
      url: "/oauth/logout",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({ ...params, logout: "yes" }).toString(),
    });
    expect(res.statusCode).toBe(303);
    expect(location(res).pathname).toBe("/oauth/logout");
    expect(Object.fromEntries(location(res).searchParams)).toEqual(params);
    const followed = await browser.get(res.headers.location as string);
    expect(followed.headers.location).toBe(`${BYE}?state=x`);
    expect(await sessionAlive(browser, web.client.id)).toBe(false);
  });
});

describe("invalid requests: an error page, no redirect, no logout", () => {
  it("refuses a hint signed by a foreign key", async () => {
    const { browser, userId, tokens } = await signedIn();
    const { privateKey } = await generateKeyPair("RS256");
    const forged = await new SignJWT({ sub: userId, aud: web.client.id, sid: tokens.sid })
      .setProtectedHeader({ alg: "RS256", kid: "foreign", typ: "JWT" })
      .setIssuer(t.config.issuer)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(privateKey);
    const res = await browser.get(
      logoutUrl({ id_token_hint: forged, post_logout_redirect_uri: BYE }),
    );
    expectErrorPage(res);
    expect(res.body).toContain("id_token_hint is not an ID token issued by this server.");
    expect(await sessionAlive(browser, web.client.id)).toBe(true);
  });

  it("refuses a hint with a bad signature, of another issuer, an access token or garbage", async () => {
    const { browser, userId, tokens } = await signedIn();
    const [header, payload, signature] = tokens.id_token.split(".");
    const tampered = `${header}.${payload}.${signature!.slice(0, -4)}AAAA`;
    const foreignIssuer = await t.app.deps.keys.sign(
      { iss: "https://other.example.com", sub: userId, aud: web.client.id, sid: tokens.sid },
      { typ: "JWT", expiresIn: 3600 },
    );
    for (const hint of [tampered, foreignIssuer, tokens.access_token, "not-a-jwt"]) {
      expectErrorPage(await browser.get(logoutUrl({ id_token_hint: hint })));
    }
    expect(await sessionAlive(browser, web.client.id)).toBe(true);
  });

  it("refuses a client_id that is not the hint's audience", async () => {
    const { browser, tokens } = await signedIn();
    const res = await browser.get(
      logoutUrl({
        id_token_hint: tokens.id_token,
        client_id: other.client.id,
        post_logout_redirect_uri: OTHER_BYE,
      }),
    );
    expectErrorPage(res);
    expect(res.body).toContain("client_id is not the client the id_token_hint was issued to.");
    expect(await sessionAlive(browser, web.client.id)).toBe(true);
  });

  it("refuses an unknown client_id and repeated parameters", async () => {
    const { browser, tokens } = await signedIn();
    const unknown = await browser.get(logoutUrl({ client_id: "no-such-client" }));
    expectErrorPage(unknown);
    expect(unknown.body).toContain("invalid_client");
    for (const name of ["id_token_hint", "post_logout_redirect_uri", "state", "client_id"]) {
      const res = await browser.get(
        logoutUrl({
          id_token_hint: tokens.id_token,
          [name]: name === "id_token_hint" ? [tokens.id_token, tokens.id_token] : ["a", "b"],
        }),
      );
      expectErrorPage(res);
      expect(res.body).toContain(`The &quot;${name}&quot; parameter is repeated.`);
    }
    expect(await sessionAlive(browser, web.client.id)).toBe(true);
  });

  it("refuses oversized parameters", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: logoutUrl({ state: "s".repeat(5000) }),
    });
    expectErrorPage(res);
  });
});

describe("what logout ends", () => {
  it("revokes the session's families without offline_access; offline ones and other sessions' stay", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const online = await tokensFor(t.app, browser, web, user);
    const offlineTokens = await tokensFor(t.app, browser, offline, user, "openid offline_access");
    expect(offlineTokens.sid).toBe(online.sid);
    const elsewhere = new Browser(t.app);
    const otherSession = await tokensFor(t.app, elsewhere, web, user);
    const families = await listActiveFamilyIds(t.app.deps.db, { userId: user.id });
    expect(families).toHaveLength(3);

    const res = await browser.get(logoutUrl({ id_token_hint: online.id_token }));
    expect(res.body).toContain("You are signed out");

    const active = await listActiveFamilyIds(t.app.deps.db, { userId: user.id });
    expect(active).toHaveLength(2);
    const [revokedId] = families.filter((id) => !active.includes(id));
    const revoked = await findRefreshFamilyById(t.app.deps.db, revokedId!);
    expect(revoked).toMatchObject({ clientId: web.client.id, sessionId: online.sid });
    expect(revoked?.revokedReason).toBe("logout");

    const refresh = (tokens: Tokens, client: typeof web) =>
      postToken(
        t.app,
        { grant_type: "refresh_token", refresh_token: tokens.refresh_token },
        { authorization: basicAuth(client.client.id, client.secret!) },
      );
    const refused = await refresh(online, web);
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: "invalid_grant" });
    const userinfo = await t.app.inject({
      method: "GET",
      url: "/oauth/userinfo",
      headers: { authorization: `Bearer ${online.access_token}` },
    });
    expect(userinfo.statusCode).toBe(401);

    expect((await refresh(offlineTokens, offline)).statusCode).toBe(200);
    expect((await refresh(otherSession, web)).statusCode).toBe(200);
    expect(await sessionAlive(elsewhere, web.client.id)).toBe(true);
  });
});
