// Password reset over real SMTP: "forgot password" sends a mail (to an in-process SMTP
// server), its link leads to the new-password form, and the new password ends every session
// and refresh family. Links are single-use and expire; a newer link retires older ones; known
// and unknown addresses get the same status, body and time; a relay that refuses the mail
// gets an honest "could not send" page, the same for every address.

import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { lockUser } from "../../server/accounts/users.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  authorizeQuery,
  Browser,
  inputValue,
  location,
  makeUser,
  PASSWORD,
} from "../helpers/authorize-flow.ts";
import { manualClock } from "../helpers/keys.ts";
import { sessionAlive, tokensFor } from "../helpers/signed-in.ts";
import { linkIn, startSmtpServer, type TestSmtpServer } from "../helpers/smtp.ts";
import { basicAuth, makeClient, postToken } from "../helpers/token-fixtures.ts";

const NEW_PASSWORD = "a brand new passphrase";
const clock = manualClock(Date.now());
let smtp: TestSmtpServer;
let t: TestApp;
let client: Awaited<ReturnType<typeof makeClient>>;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await buildTestApp(
    {
      SMTP_URL: smtp.url,
      MAIL_FROM: "Latchkey <id@example.com>",
      MAILS_PER_ADDRESS: "50",
      MAIL_REQUESTS_PER_IP: "1000",
    },
    { now: clock.now },
  );
  client = await makeClient(t.app, {
    name: "Reset app",
    skipConsent: true,
    scope: "openid offline_access",
    grantTypes: ["authorization_code", "refresh_token"],
  });
});

afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

beforeEach(() => {
  smtp.failing = false;
});

/** Asks for a reset link on the "forgot password" page. */
async function askForReset(browser: Browser, email: string) {
  const page = await browser.get("/password/forgot");
  expect(page.statusCode).toBe(200);
  return browser.submit(page, { email });
}

/** Asks for a reset link and returns the link from the mail. */
async function resetLink(browser: Browser, email: string): Promise<URL> {
  const before = smtp.mailsTo(email).length;
  const answer = await askForReset(browser, email);
  expect(answer.statusCode).toBe(200);
  const mail = await smtp.waitFor(email, { after: before });
  expect(mail.subject).toBe("Reset your password");
  return linkIn(mail, "/password/reset");
}

/** Submits the new-password form with its hidden link token. */
function submitReset(
  browser: Browser,
  form: LightMyRequestResponse,
  fields: Record<string, string>,
) {
  return browser.submit(form, { token: inputValue(form.body, "token") ?? "", ...fields });
}

async function setNewPassword(browser: Browser, link: URL, password = NEW_PASSWORD) {
  const form = await browser.get(link.pathname + link.search);
  expect(form.statusCode).toBe(200);
  return submitReset(browser, form, { new_password: password, new_password_confirm: password });
}

async function signIn(email: string, password: string) {
  const browser = new Browser(t.app);
  return browser.signIn(authorizeQuery(client.client.id, { scope: "openid" }), email, password);
}

describe("a password reset", () => {
  it("mails a link whose form sets the new password and ends every session and token", async () => {
    const user = await makeUser(t.app);
    const laptop = new Browser(t.app);
    const tokens = await tokensFor(t.app, laptop, client, user, "openid offline_access");

    const browser = new Browser(t.app);
    const link = await resetLink(browser, user.email);
    expect(link.origin).toBe(t.config.issuer);
    const done = await setNewPassword(browser, link);
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain("Your password was changed");

    expect((await signIn(user.email, PASSWORD)).statusCode).toBe(400);
    const fresh = await signIn(user.email, NEW_PASSWORD);
    expect(fresh.statusCode).toBe(303);
    expect(location(fresh).searchParams.get("code")).toBeTruthy();

    expect(await sessionAlive(laptop, client.client.id)).toBe(false);
    const refresh = await postToken(
      t.app,
      { grant_type: "refresh_token", refresh_token: tokens.refresh_token },
      { authorization: basicAuth(client.client.id, client.secret ?? "") },
    );
    expect(refresh.statusCode).toBe(400);
    expect(refresh.json().error).toBe("invalid_grant");
    const userinfo = await t.app.inject({
      method: "GET",
      url: "/oauth/userinfo",
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.statusCode).toBe(401);

    const row = await t.app.deps.db
      .selectFrom("users")
      .select("email_verified")
      .where("id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(row.email_verified).toBe(true);
    const events = await t.app.deps.db
      .selectFrom("audit_events")
      .select(["type", "details"])
      .where("user_id", "=", user.id)
      .where("type", "in", ["password.reset_requested", "password.reset"])
      .orderBy("at")
      .execute();
    expect(events.map((e) => e.type)).toEqual(["password.reset_requested", "password.reset"]);
    expect(events[1]?.details).toMatchObject({ families_revoked: 1 });
  });

  it("stores only the digest of the link's token", async () => {
    const user = await makeUser(t.app);
    const link = await resetLink(new Browser(t.app), user.email);
    const token = link.searchParams.get("token")!;
    expect(token).toMatch(/^[\w-]{43}$/);
    const rows = await t.app.deps.db
      .selectFrom("email_tokens")
      .selectAll()
      .where("user_id", "=", user.id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(rows[0]?.purpose).toBe("reset_password");
  });

  it("refuses a link used once already", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const link = await resetLink(browser, user.email);
    const form = await browser.get(link.pathname + link.search);
    expect((await setNewPassword(browser, link)).statusCode).toBe(200);

    const again = await browser.get(link.pathname + link.search);
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain("This link cannot be used");
    const replay = await submitReset(browser, form, {
      new_password: "yet another passphrase",
      new_password_confirm: "yet another passphrase",
    });
    expect(replay.statusCode).toBe(400);
    expect(replay.body).toContain("This link cannot be used");
    expect((await signIn(user.email, "yet another passphrase")).statusCode).toBe(400);
  });

  it("refuses an expired link", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const link = await resetLink(browser, user.email);
    clock.advance(31 * 60);
    const page = await browser.get(link.pathname + link.search);
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain("This link cannot be used");
    expect((await signIn(user.email, PASSWORD)).statusCode).toBe(303);
  });

  it("retires the older link when a newer one is sent", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const first = await resetLink(browser, user.email);
    const second = await resetLink(browser, user.email);
    expect((await browser.get(first.pathname + first.search)).statusCode).toBe(400);
    expect((await setNewPassword(browser, second)).statusCode).toBe(200);
  });

  it("keeps the link usable when the new password breaks the rules", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const link = await resetLink(browser, user.email);
    const form = await browser.get(link.pathname + link.search);
    const short = await submitReset(browser, form, {
      new_password: "short",
      new_password_confirm: "short",
    });
    expect(short.statusCode).toBe(400);
    expect(short.body).toContain("at least 8 characters");
    const mismatch = await submitReset(browser, form, {
      new_password: NEW_PASSWORD,
      new_password_confirm: `${NEW_PASSWORD}!`,
    });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.body).toContain("do not match");
    expect((await setNewPassword(browser, link)).statusCode).toBe(200);
  });

  it("refuses a link of an account the operator locked, and does not unlock it", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const link = await resetLink(browser, user.email);
    await lockUser(t.app.deps.db, user.email, new Date());
    const page = await browser.get(link.pathname + link.search);
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain("locked");
  });

  it("lifts a temporary lock from failed logins", async () => {
    const user = await makeUser(t.app);
    for (let i = 0; i < 10; i++) await signIn(user.email, "wrong password!");
    expect((await signIn(user.email, PASSWORD)).statusCode).toBe(403);
    const browser = new Browser(t.app);
    expect((await setNewPassword(browser, await resetLink(browser, user.email))).statusCode).toBe(
      200,
    );
    expect((await signIn(user.email, NEW_PASSWORD)).statusCode).toBe(303);
  });
});

describe("asking for a reset", () => {
  const normalise = (body: string, email: string) =>
    body.replaceAll(email, "EMAIL").replace(/request [\w-]+\./, "request ID.");

  it("answers a known and an unknown address alike, and mails each", async () => {
    const user = await makeUser(t.app);
    const unknown = `nobody-${Date.now()}@example.com`;
    const known = await askForReset(new Browser(t.app), user.email);
    const other = await askForReset(new Browser(t.app), unknown);
    expect(other.statusCode).toBe(known.statusCode);
    expect(normalise(other.body, unknown)).toBe(normalise(known.body, user.email));
    expect(other.headers["content-type"]).toBe(known.headers["content-type"]);
    const mail = await smtp.waitFor(unknown);
    expect(mail.subject).toBe("Password reset requested");
    expect(mail.text).toContain("there is no account with this address");
    expect(mail.text).not.toMatch(/\/password\/reset\?/);
  });

  it("takes about as long for an unknown address as for a known one", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const page = await browser.get("/password/forgot");
    const time = async (email: string) => {
      const started = performance.now();
      await browser.submit(page, { email });
      return performance.now() - started;
    };
    const median = (values: number[]) => values.sort((a, b) => a - b)[2]!;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await time(user.email));
      unknown.push(await time(`nobody-timing-${i}@example.com`));
    }
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
    expect(median(known)).toBeGreaterThan(median(unknown) * 0.5);
  });

  it("says so, for every address alike, when the mail cannot be sent", async () => {
    const user = await makeUser(t.app);
    const unknown = `nobody-fail-${Date.now()}@example.com`;
    smtp.failing = true;
    const refusedBefore = smtp.refused;
    const known = await askForReset(new Browser(t.app), user.email);
    expect(smtp.refused - refusedBefore).toBe(3);
    const other = await askForReset(new Browser(t.app), unknown);
    expect(known.statusCode).toBe(503);
    expect(other.statusCode).toBe(503);
    expect(known.body).toContain("We could not send the email");
    expect(normalise(other.body, unknown)).toBe(normalise(known.body, user.email));
  });

  it("shows an address that is not one next to the form", async () => {
    const answer = await askForReset(new Browser(t.app), "not an address");
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toContain("is not a valid email address");
    expect(answer.body).toMatch(/role="alert"/);
  });

  it("is not offered in production without SMTP_URL: no page, no link", async () => {
    const mailless = await buildTestApp();
    try {
      const browser = new Browser(mailless.app);
      expect((await browser.get("/password/forgot")).statusCode).toBe(404);
      expect((await browser.get("/password/reset?token=x")).statusCode).toBe(404);
      const login = await browser.get("/account/login");
      expect(login.statusCode).toBe(200);
      expect(login.body).not.toContain("/password/forgot");
    } finally {
      await mailless.close();
    }
  });

  it("is linked from the login pages, keeping the authorization request", async () => {
    const browser = new Browser(t.app);
    const start = await browser.get(authorizeQuery(client.client.id, { scope: "openid" }));
    const login = await browser.get(location(start).href);
    const id = /\/interaction\/([\w-]+)\/login/.exec(location(start).pathname)?.[1];
    expect(login.body.replaceAll("&#x3D;", "=")).toContain(
      `href="/password/forgot?interaction=${id}"`,
    );
    expect((await browser.get("/account/login")).body).toContain('href="/password/forgot"');
  });

  it("refuses a form without its CSRF token", async () => {
    const browser = new Browser(t.app);
    await browser.get("/password/forgot");
    const answer = await browser.post("/password/forgot", { email: "a@example.com" });
    expect(answer.statusCode).toBe(403);
  });
});
