// Email verification over real SMTP: the link is single-use and expires, opening it (as mail
// scanners do) does not use it, and with REQUIRE_VERIFIED_EMAIL an unverified user's login
// does not complete but mails a new link, after which it does.

import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../../server/accounts/users.ts";
import { findUserByEmail } from "../../server/store/db/users.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  authorizeQuery,
  Browser,
  inputValue,
  location,
  PASSWORD,
  REDIRECT_URI,
  VERIFIER,
} from "../helpers/authorize-flow.ts";
import { manualClock } from "../helpers/keys.ts";
import { submitAll } from "../helpers/self-service.ts";
import { linkIn, startSmtpServer, type TestSmtpServer } from "../helpers/smtp.ts";
import { basicAuth, makeClient, postToken } from "../helpers/token-fixtures.ts";

const clock = manualClock(Date.now());
let smtp: TestSmtpServer;
let t: TestApp;
let client: Awaited<ReturnType<typeof makeClient>>;
let users = 0;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await buildTestApp(
    {
      SMTP_URL: smtp.url,
      SIGNUP_ENABLED: "on",
      REQUIRE_VERIFIED_EMAIL: "on",
      EMAIL_VERIFICATION_TTL: "1h",
      MAIL_REQUESTS_PER_IP: "1000",
    },
    { now: clock.now },
  );
  client = await makeClient(t.app, {
    name: "Verified Only",
    skipConsent: true,
    scope: "openid email",
  });
});

afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

async function unverifiedUser() {
  const email = `unverified-${++users}-${Date.now()}@example.com`;
  return createUser(t.app.deps.db, { email, password: PASSWORD }, clock.now());
}

/** Signs in through the login page of a new authorization request. */
function signIn(browser: Browser, email: string) {
  return browser.signIn(authorizeQuery(client.client.id, { scope: "openid email" }), email);
}

describe("with REQUIRE_VERIFIED_EMAIL", () => {
  it("refuses the login of an unverified user and mails a new link; after it, the login works", async () => {
    const user = await unverifiedUser();
    const browser = new Browser(t.app);
    const refused = await signIn(browser, user.email);
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain("Confirm your email address first: we sent a new link to it.");
    expect(refused.headers["set-cookie"] ?? "").not.toContain("latchkey-session");
    // Recorded as the refusal it is, never as a login.
    const events = await t.app.deps.db
      .selectFrom("audit_events")
      .select(["type", "details"])
      .where("user_id", "=", user.id)
      .where("type", "in", ["login.success", "login.failure"])
      .execute();
    expect(events).toEqual([{ type: "login.failure", details: { reason: "email_unverified" } }]);

    const link = linkIn(await smtp.waitFor(user.email), "/email/verify");
    const confirmed = await submitAll(browser, await browser.get(link.pathname + link.search));
    expect(confirmed.statusCode).toBe(200);

    const signedIn = await signIn(browser, user.email);
    expect(signedIn.statusCode).toBe(303);
    const token = await postToken(
      t.app,
      {
        grant_type: "authorization_code",
        code: location(signedIn).searchParams.get("code") ?? "",
        redirect_uri: REDIRECT_URI,
        code_verifier: VERIFIER,
      },
      { authorization: basicAuth(client.client.id, client.secret ?? "") },
    );
    expect(decodeJwt(token.json().id_token)).toMatchObject({
      email: user.email,
      email_verified: true,
    });
  });

  it("sends a session whose address is no longer verified back to the login page", async () => {
    const user = await unverifiedUser();
    await t.app.deps.db
      .updateTable("users")
      .set({ email_verified: true })
      .where("id", "=", user.id)
      .returning("id")
      .execute();
    const browser = new Browser(t.app);
    expect((await signIn(browser, user.email)).statusCode).toBe(303);
    // The address stops being verified while the session lives (or the setting was turned
    // on after the session began): no more codes from that session.
    await t.app.deps.db
      .updateTable("users")
      .set({ email_verified: false })
      .where("id", "=", user.id)
      .returning("id")
      .execute();
    const again = await browser.get(authorizeQuery(client.client.id, { scope: "openid email" }));
    expect(again.statusCode).toBe(302);
    expect(location(again).pathname).toMatch(/\/login$/);
    const silent = await browser.get(
      authorizeQuery(client.client.id, { scope: "openid email", prompt: "none" }),
    );
    expect(location(silent).searchParams.get("error")).toBe("login_required");
  });

  it("gives a wrong password the usual answer, not a hint that the address is unverified", async () => {
    const user = await unverifiedUser();
    const before = smtp.mailsTo(user.email).length;
    const answer = await new Browser(t.app).signIn(
      authorizeQuery(client.client.id, { scope: "openid email" }),
      user.email,
      "not the password",
    );
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toContain("The email address or password is incorrect.");
    expect(smtp.mailsTo(user.email)).toHaveLength(before);
  });
});

describe("a verification link", () => {
  async function freshLink(): Promise<{ email: string; link: URL }> {
    const user = await unverifiedUser();
    const before = smtp.mailsTo(user.email).length;
    await signIn(new Browser(t.app), user.email);
    return {
      email: user.email,
      link: linkIn(await smtp.waitFor(user.email, { after: before }), "/email/verify"),
    };
  }

  it("is not used by opening it, only by confirming", async () => {
    const { email, link } = await freshLink();
    const browser = new Browser(t.app);
    for (let i = 0; i < 3; i++) {
      expect((await browser.get(link.pathname + link.search)).statusCode).toBe(200);
    }
    expect((await findUserByEmail(t.app.deps.db, email))?.emailVerified).toBe(false);
    await submitAll(browser, await browser.get(link.pathname + link.search));
    expect((await findUserByEmail(t.app.deps.db, email))?.emailVerified).toBe(true);
  });

  it("works once", async () => {
    const { link } = await freshLink();
    const browser = new Browser(t.app);
    const page = await browser.get(link.pathname + link.search);
    expect((await submitAll(browser, page)).statusCode).toBe(200);
    const again = await submitAll(browser, page);
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain("This link cannot be used");
    expect((await browser.get(link.pathname + link.search)).statusCode).toBe(400);
  });

  it("expires after EMAIL_VERIFICATION_TTL", async () => {
    const { email, link } = await freshLink();
    const browser = new Browser(t.app);
    const page = await browser.get(link.pathname + link.search);
    clock.advance(3601);
    const late = await submitAll(browser, page);
    expect(late.statusCode).toBe(400);
    expect((await findUserByEmail(t.app.deps.db, email))?.emailVerified).toBe(false);
  });

  it("is retired by a newer link", async () => {
    const { email, link: first } = await freshLink();
    const browser = new Browser(t.app);
    const page = await browser.get(first.pathname + first.search);
    await signIn(new Browser(t.app), email);
    expect((await submitAll(browser, page)).statusCode).toBe(400);
  });

  it("is refused for anything that is not a token", async () => {
    const browser = new Browser(t.app);
    for (const token of ["", "short", "A".repeat(43), "x".repeat(5000)]) {
      const page = await browser.get(`/email/verify?token=${token}`);
      expect(page.statusCode).toBe(400);
    }
  });
});

describe("the account page", () => {
  it("mails a confirmation link to an unverified user who asks for one", async () => {
    const relaxed = await buildTestApp({ SMTP_URL: smtp.url });
    try {
      const email = `account-page-${Date.now()}@example.com`;
      await createUser(relaxed.app.deps.db, { email, password: PASSWORD }, new Date());
      const browser = new Browser(relaxed.app);
      const login = await browser.get("/account/login");
      expect((await browser.submit(login, { email, password: PASSWORD })).statusCode).toBe(303);
      const page = await browser.get("/account");
      expect(page.body).toContain("Not verified");
      expect(page.body).toContain("Send a confirmation link");
      const asked = await browser.post("/account/email/verify", {
        csrf_token: inputValue(page.body, "csrf_token") ?? "",
      });
      expect(asked.statusCode).toBe(303);
      expect(location(asked).search).toBe("?done=verification");
      const link = linkIn(await smtp.waitFor(email), "/email/verify");
      expect(
        (await submitAll(browser, await browser.get(link.pathname + link.search))).statusCode,
      ).toBe(200);
      const after = await browser.get("/account");
      expect(after.body).toContain("badge-ok");
      expect(after.body).not.toContain("Send a confirmation link");
    } finally {
      await relaxed.close();
    }
  });
});
