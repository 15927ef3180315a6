// The whole authorization code flow through the pages: login, consent (remembered, skipped,
// forced, denied), prompt, max_age, id_token_hint and the two response modes. Codes are read
// back with the store function the token endpoint uses.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findConsent } from "../../server/store/db/consents.ts";
import { redeemAuthorizationCode } from "../../server/tokens/codes.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  authorizeQuery,
  Browser,
  CHALLENGE,
  inputValue,
  location,
  makeClient,
  makeUser,
  REDIRECT_URI,
} from "../helpers/authorize-flow.ts";
import { manualClock } from "../helpers/keys.ts";

const clock = manualClock(Date.now());
let t: TestApp;
let clientId: string;
let skipConsentClient: string;

beforeAll(async () => {
  t = await buildTestApp({}, { now: clock.now });
  clientId = await makeClient(t.app);
  skipConsentClient = await makeClient(t.app, { name: "First party", skipConsent: true });
});

afterAll(async () => {
  await t?.close();
});

/** The code of a redirect to the client, after checking state and iss. */
function codeFrom(response: Awaited<ReturnType<Browser["get"]>>, state = "state-123"): string {
  expect([302, 303]).toContain(response.statusCode);
  const url = location(response);
  expect(`${url.origin}${url.pathname}`).toBe(REDIRECT_URI);
  expect(url.searchParams.get("error")).toBeNull();
  expect(url.searchParams.get("state")).toBe(state);
  expect(url.searchParams.get("iss")).toBe(t.config.issuer);
  return url.searchParams.get("code")!;
}

function errorFrom(response: Awaited<ReturnType<Browser["get"]>>): string | null {
  const url = location(response);
  expect(`${url.origin}${url.pathname}`).toBe(REDIRECT_URI);
  expect(url.searchParams.get("state")).toBe("state-123");
  expect(url.searchParams.get("iss")).toBe(t.config.issuer);
  return url.searchParams.get("error");
}

async function redeem(code: string) {
  const redemption = await redeemAuthorizationCode(t.app.deps.kv, code, 60);
  if (redemption.status !== "ok") throw new Error(`code ${redemption.status}`);
  return redemption.grant;
}

/** A browser signed in (and consented to openid profile for the client) by a full flow. */
async function signedIn(client = clientId) {
  const user = await makeUser(t.app);
  const browser = new Browser(t.app);
  const afterLogin = await browser.signIn(authorizeQuery(client), user.email);
  const done =
    client === skipConsentClient ? afterLogin : await browser.consent(afterLogin, "allow");
  return { user, browser, code: codeFrom(done) };
}

describe("login, consent and the code", () => {
  it("issues a code bound to everything the token endpoint checks", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const query = authorizeQuery(clientId, {
      resource: "https://api.example.com/",
      claims_locales: "de",
    });
    const afterLogin = await browser.signIn(query, user.email);
    expect(afterLogin.statusCode).toBe(303);
    expect(location(afterLogin).pathname).toMatch(/^\/interaction\/[\w-]{43}\/consent$/);

    const consentPage = await browser.get(location(afterLogin).href);
    expect(consentPage.statusCode).toBe(200);
    expect(consentPage.body).toContain("Example App");
    expect(consentPage.body).toContain("Confirm who you are when you sign in");
    expect(consentPage.body).toContain("See your name and basic profile information");
    expect(consentPage.body).toContain(user.email);
    expect(consentPage.body).toMatch(/<button[^>]*name="decision" value="allow"/);
    expect(consentPage.body).toMatch(/<button[^>]*name="decision" value="deny"/);

    const done = await browser.submit(consentPage, { decision: "allow" });
    expect(done.statusCode).toBe(303);
    expect(done.headers["cache-control"]).toBe("no-store");
    const grant = await redeem(codeFrom(done));
    const sessionTime = Math.floor(clock.now().getTime() / 1000);
    expect(grant).toEqual({
      clientId,
      redirectUri: REDIRECT_URI,
      userId: user.id,
      scope: "openid profile",
      resources: ["https://api.example.com/"],
      nonce: "nonce-456",
      codeChallenge: CHALLENGE,
      codeChallengeMethod: "S256",
      authTime: sessionTime,
      sid: expect.stringMatching(/^[\w-]{22}$/),
      amr: ["pwd"],
      maxAgeRequested: false,
      claimsLocales: "de",
    });
  });

  it("remembers the consent and skips the pages next time", async () => {
    const { user, browser } = await signedIn();
    const consent = await findConsent(t.app.deps.db, user.id, clientId);
    expect(consent?.scopes).toEqual(["openid", "profile"]);

    const again = await browser.get(authorizeQuery(clientId, { state: "second" }));
    expect(again.statusCode).toBe(302);
    const grant = await redeem(codeFrom(again, "second"));
    expect(grant.userId).toBe(user.id);
  });

  it("keeps the consent's last use to the minute", async () => {
    const { user, browser } = await signedIn();
    const lastUse = async () => (await findConsent(t.app.deps.db, user.id, clientId))?.lastUsedAt;
    const granted = await lastUse();
    expect(granted?.getTime()).toBe(clock.now().getTime());

    clock.advance(30);
    codeFrom(await browser.get(authorizeQuery(clientId)));
    expect(await lastUse()).toEqual(granted);

    clock.advance(31);
    codeFrom(await browser.get(authorizeQuery(clientId)));
    expect((await lastUse())?.getTime()).toBe(clock.now().getTime());
  });

  it("asks again for scopes not granted yet, then remembers the union", async () => {
    const { user, browser } = await signedIn();
    const more = await browser.get(authorizeQuery(clientId, { scope: "openid email" }));
    expect(more.statusCode).toBe(302);
    expect(location(more).pathname).toMatch(/\/consent$/);
    const consentPage = await browser.get(location(more).href);
    expect(consentPage.body).toContain("See your email address");
    codeFrom(await browser.submit(consentPage, { decision: "allow" }));
    const consent = await findConsent(t.app.deps.db, user.id, clientId);
    expect(consent?.scopes).toEqual(["email", "openid", "profile"]);
  });

  it("shows consent again when prompt=consent asks for it", async () => {
    const { browser } = await signedIn();
    const forced = await browser.get(authorizeQuery(clientId, { prompt: "consent" }));
    expect(location(forced).pathname).toMatch(/\/consent$/);
    const done = await browser.consent(forced, "allow");
    codeFrom(done);
  });

  it("skips consent for a client created with --skip-consent", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const afterLogin = await browser.signIn(authorizeQuery(skipConsentClient), user.email);
    const grant = await redeem(codeFrom(afterLogin));
    expect(grant.clientId).toBe(skipConsentClient);
    expect(await findConsent(t.app.deps.db, user.id, skipConsentClient)).toBeNull();
  });

  it("returns access_denied on decision=deny and remembers nothing", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const afterLogin = await browser.signIn(authorizeQuery(clientId), user.email);
    const denied = await browser.consent(afterLogin, "deny");
    expect(denied.statusCode).toBe(303);
    expect(errorFrom(denied)).toBe("access_denied");
    expect(location(denied).searchParams.has("code")).toBe(false);
    expect(await findConsent(t.app.deps.db, user.id, clientId)).toBeNull();
  });

  it("shows the consent page again for a decision that is neither allow nor deny", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const afterLogin = await browser.signIn(authorizeQuery(clientId), user.email);
    const consentPage = await browser.get(location(afterLogin).href);
    const odd = await browser.submit(consentPage, { decision: "maybe" });
    expect(odd.statusCode).toBe(400);
    expect(odd.body).toContain("Choose Allow or Deny.");
    codeFrom(await browser.submit(odd, { decision: "allow" }));
  });

  it("completes an interaction once: a second submission finds it gone", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const afterLogin = await browser.signIn(authorizeQuery(clientId), user.email);
    const consentPage = await browser.get(location(afterLogin).href);
    codeFrom(await browser.submit(consentPage, { decision: "allow" }));
    const again = await browser.submit(consentPage, { decision: "allow" });
    expect(again.statusCode).toBe(404);
    expect(again.body).toContain("This sign-in request has expired");
  });

  it("lists custom scopes by name", async () => {
    const client = await makeClient(t.app, { scope: "openid api:read" });
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const afterLogin = await browser.signIn(
      authorizeQuery(client, { scope: "openid api:read" }),
      user.email,
    );
    const consentPage = await browser.get(location(afterLogin).href);
    expect(consentPage.body).toContain('<code class="scope-name">api:read</code>');
  });
});

describe("prompt", () => {
  it("prompt=none without a session returns login_required", async () => {
    const response = await new Browser(t.app).get(authorizeQuery(clientId, { prompt: "none" }));
    expect(response.statusCode).toBe(302);
    expect(errorFrom(response)).toBe("login_required");
  });

  it("prompt=none with a session but no consent returns consent_required", async () => {
    const { browser } = await signedIn(skipConsentClient);
    const response = await browser.get(authorizeQuery(clientId, { prompt: "none" }));
    expect(errorFrom(response)).toBe("consent_required");
  });

  it("prompt=none with a session and consent returns a code", async () => {
    const { browser } = await signedIn();
    codeFrom(await browser.get(authorizeQuery(clientId, { prompt: "none" })));
  });

  it.each(["login", "select_account"])("prompt=%s forces a fresh login", async (prompt) => {
    const { browser, user } = await signedIn();
    const before = browser.jar.get("latchkey-session");
    clock.advance(5);
    const response = await browser.get(authorizeQuery(clientId, { prompt }));
    expect(location(response).pathname).toMatch(/\/login$/);
    const loginPage = await browser.get(location(response).href);
    const afterLogin = await browser.submit(loginPage, {
      email: user.email,
      password: "correct horse battery staple",
    });
    const grant = await redeem(codeFrom(afterLogin));
    expect(grant.authTime).toBe(Math.floor(clock.now().getTime() / 1000));
    expect(browser.jar.get("latchkey-session")).not.toBe(before);
  });

  it("max_age=1 after a pause forces a login, and the code records max_age", async () => {
    const { browser, user } = await signedIn();
    const fresh = await browser.get(authorizeQuery(clientId, { max_age: "1" }));
    expect((await redeem(codeFrom(fresh))).maxAgeRequested).toBe(true);

    clock.advance(2);
    const stale = await browser.get(authorizeQuery(clientId, { max_age: "1" }));
    expect(location(stale).pathname).toMatch(/\/login$/);
    const loginPage = await browser.get(location(stale).href);
    const afterLogin = await browser.submit(loginPage, {
      email: user.email,
      password: "correct horse battery staple",
    });
    const grant = await redeem(codeFrom(afterLogin));
    expect(grant.maxAgeRequested).toBe(true);
    expect(grant.authTime).toBe(Math.floor(clock.now().getTime() / 1000));
  });

  it("max_age=1 after a pause with prompt=none returns login_required", async () => {
    const { browser } = await signedIn();
    clock.advance(2);
    const response = await browser.get(authorizeQuery(clientId, { max_age: "1", prompt: "none" }));
    expect(errorFrom(response)).toBe("login_required");
  });
});

describe("id_token_hint", () => {
  async function hintFor(sub: string, expiredSecondsAgo?: number) {
    const now = Math.floor(clock.now().getTime() / 1000);
    const iat = expiredSecondsAgo === undefined ? now : now - expiredSecondsAgo - 60;
    return t.app.deps.keys.sign(
      { iss: t.config.issuer, sub, aud: clientId, iat },
      { typ: "JWT", expiresIn: 60 },
    );
  }

  it("accepts a hint for the signed-in user, even an expired one", async () => {
    const { browser, user } = await signedIn();
    const hint = await hintFor(user.id, 3600);
    codeFrom(await browser.get(authorizeQuery(clientId, { id_token_hint: hint, prompt: "none" })));
  });

  it("does not use a session of another user: login_required with prompt=none", async () => {
    const { browser } = await signedIn();
    const other = await makeUser(t.app);
    const hint = await hintFor(other.id);
    const silent = await browser.get(
      authorizeQuery(clientId, { id_token_hint: hint, prompt: "none" }),
    );
    expect(errorFrom(silent)).toBe("login_required");
    const interactive = await browser.get(authorizeQuery(clientId, { id_token_hint: hint }));
    expect(location(interactive).pathname).toMatch(/\/login$/);
  });

  it("refuses an access token as a hint", async () => {
    const { browser, user } = await signedIn();
    const token = await t.app.deps.keys.sign(
      { iss: t.config.issuer, sub: user.id },
      { typ: "at+jwt", expiresIn: 60 },
    );
    const response = await browser.get(authorizeQuery(clientId, { id_token_hint: token }));
    expect(errorFrom(response)).toBe("invalid_request");
  });
});

describe("response_mode=form_post", () => {
  it("posts code, state and iss to the redirect URI from a page without inline script", async () => {
    const { browser } = await signedIn();
    const response = await browser.get(authorizeQuery(clientId, { response_mode: "form_post" }));
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.headers["cache-control"]).toBe("no-store");
    const html = response.body;
    expect(html).toMatch(new RegExp(`<form[^>]*method="post" action="${REDIRECT_URI}"`));
    expect(inputValue(html, "state")).toBe("state-123");
    expect(inputValue(html, "iss")).toBe(t.config.issuer);
    await redeem(inputValue(html, "code")!);
    expect(html).toMatch(/<script src="\/assets\/form-post\.js\?v&#x3D;[\w-]+"><\/script>/);
    expect(html).not.toMatch(/<script>/);
    expect(html).toMatch(/<noscript>[\s\S]*<button[^>]*type="submit"/);
    const csp = response.headers["content-security-policy"] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("form-action 'self' https://rp.example.com;");
    expect(csp).not.toContain("unsafe-inline");
  });

  it("serves the form_post script", async () => {
    const response = await t.app.inject({ method: "GET", url: "/assets/form-post.js" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(response.body).toContain('document.getElementById("form-post").submit()');
  });
});
