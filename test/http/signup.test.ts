// Sign-up over real SMTP: the page continues the authorization request the user came from,
// through the mailed link (which makes the account), to an ID token whose email_verified is
// true. A registered address gets the same status, body and time as a new one, its owner a
// "someone tried" mail instead of a link, and signing in with the chosen password fails for
// both until the inbox's owner acts; sign-up is off unless configured, and throttled.

import type { FastifyInstance } from "fastify";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findUserByEmail } from "../../server/store/db/users.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  authorizeQuery,
  Browser,
  location,
  makeUser,
  PASSWORD,
  REDIRECT_URI,
  VERIFIER,
} from "../helpers/authorize-flow.ts";
import { comparable, submitAll } from "../helpers/self-service.ts";
import { linkIn, startSmtpServer, type TestSmtpServer } from "../helpers/smtp.ts";
import { basicAuth, makeClient, postToken } from "../helpers/token-fixtures.ts";

const NEW_PASSWORD = "my own sign-up passphrase";
let smtp: TestSmtpServer;
let t: TestApp;
let client: Awaited<ReturnType<typeof makeClient>>;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await buildTestApp({
    SMTP_URL: smtp.url,
    SIGNUP_ENABLED: "on",
    MAIL_REQUESTS_PER_IP: "1000",
  });
  client = await makeClient(t.app, {
    name: "Photo Printing",
    skipConsent: true,
    scope: "openid email profile",
    grantTypes: ["authorization_code", "refresh_token"],
  });
});

afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

/** Starts an authorization request and opens its sign-up page; the interaction id. */
async function openSignup(app: FastifyInstance, browser: Browser, scope = "openid email") {
  const start = await browser.get(authorizeQuery(client.client.id, { scope }));
  const login = location(start).pathname;
  const id = /^\/interaction\/([\w-]+)\/login$/.exec(login)?.[1];
  expect(id).toBeDefined();
  const page = await browser.get(`/interaction/${id}/signup`);
  expect(page.statusCode).toBe(200);
  expect(app).toBeDefined();
  return { id: id!, page };
}

async function redeem(callback: URL) {
  const token = await postToken(
    t.app,
    {
      grant_type: "authorization_code",
      code: callback.searchParams.get("code") ?? "",
      redirect_uri: REDIRECT_URI,
      code_verifier: VERIFIER,
    },
    { authorization: basicAuth(client.client.id, client.secret ?? "") },
  );
  expect(token.statusCode).toBe(200);
  return token.json() as { id_token: string; access_token: string; refresh_token: string };
}

describe("sign-up", () => {
  it("continues the request through the verification link to a verified ID token", async () => {
    const email = `new-${Date.now()}@example.com`;
    const browser = new Browser(t.app);
    const { id, page } = await openSignup(t.app, browser);
    expect(page.body).toContain("Photo Printing");
    const answer = await browser.submit(page, {
      email,
      password: NEW_PASSWORD,
      name: "New Person",
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain("Check your inbox");
    expect(await findUserByEmail(t.app.deps.db, email)).toBeNull();

    const mail = await smtp.waitFor(email);
    expect(mail.subject).toBe("Confirm your email address");
    const link = linkIn(mail, "/email/verify");
    expect(link.searchParams.get("interaction")).toBe(id);
    const confirm = await browser.get(link.pathname + link.search);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain(email);
    const confirmed = await submitAll(browser, confirm);
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.body).toContain("Your email address is confirmed");
    expect(confirmed.body).toContain("Continue to Photo Printing");
    expect(confirmed.body).toContain(`/interaction/${id}/login`);
    const user = await findUserByEmail(t.app.deps.db, email);
    expect(user).toMatchObject({ emailVerified: true, name: "New Person" });

    const login = await browser.get(`/interaction/${id}/login`);
    const signedIn = await browser.submit(login, { email, password: NEW_PASSWORD });
    expect(signedIn.statusCode).toBe(303);
    const tokens = await redeem(location(signedIn));
    expect(decodeJwt(tokens.id_token)).toMatchObject({
      sub: user!.id,
      email,
      email_verified: true,
    });
    const userinfo = await t.app.inject({
      method: "GET",
      url: "/oauth/userinfo",
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.json()).toMatchObject({ email, email_verified: true });
  });

  it("makes no account before the link is used: the chosen password works for nobody", async () => {
    const existing = await makeUser(t.app);
    const fresh = `pending-${Date.now()}@example.com`;
    const tries: Array<{ status: number; body: string }> = [];
    for (const email of [existing.email, fresh]) {
      const browser = new Browser(t.app);
      const { id, page } = await openSignup(t.app, browser);
      await browser.submit(page, { email, password: NEW_PASSWORD, name: "" });
      const login = await browser.get(`/interaction/${id}/login`);
      const attempt = await browser.submit(login, { email, password: NEW_PASSWORD });
      tries.push({ status: attempt.statusCode, body: comparable(attempt.body, email) });
    }
    expect(tries[0]?.status).toBe(400);
    expect(tries[1]).toEqual(tries[0]);
    expect(await findUserByEmail(t.app.deps.db, fresh)).toBeNull();
  });

  it("keeps the chosen password only as a hash, and forgets it once the account is made", async () => {
    const email = `hash-${Date.now()}@example.com`;
    const browser = new Browser(t.app);
    await browser.submit((await openSignup(t.app, browser)).page, {
      email,
      password: NEW_PASSWORD,
      name: "",
    });
    const pending = await t.app.deps.db
      .selectFrom("email_tokens")
      .selectAll()
      .where("email", "=", email)
      .executeTakeFirstOrThrow();
    expect(pending).toMatchObject({ purpose: "signup", user_id: null });
    expect(pending.password_hash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(pending)).not.toContain(NEW_PASSWORD);
    const link = linkIn(await smtp.waitFor(email), "/email/verify");
    expect(JSON.stringify(pending)).not.toContain(link.searchParams.get("token"));
    await submitAll(browser, await browser.get(link.pathname + link.search));
    const used = await t.app.deps.db
      .selectFrom("email_tokens")
      .selectAll()
      .where("email", "=", email)
      .executeTakeFirstOrThrow();
    expect(used.password_hash).toBeNull();
    expect(used.used_at).not.toBeNull();
  });

  it("makes one account when two sign-ups of an address are both confirmed", async () => {
    const email = `twice-${Date.now()}@example.com`;
    const links: URL[] = [];
    for (const [i, password] of [NEW_PASSWORD, "a second chosen passphrase"].entries()) {
      const browser = new Browser(t.app);
      await browser.submit((await openSignup(t.app, browser)).page, { email, password, name: "" });
      links.push(linkIn(await smtp.waitFor(email, { after: i }), "/email/verify"));
    }
    const browser = new Browser(t.app);
    const first = await submitAll(
      browser,
      await browser.get(links[0]!.pathname + links[0]!.search),
    );
    expect(first.statusCode).toBe(200);
    const second = await submitAll(
      browser,
      await browser.get(links[1]!.pathname + links[1]!.search),
    );
    expect(second.statusCode).toBe(409);
    expect(second.body).toContain("You already have an account");
    const owner = new Browser(t.app);
    const query = authorizeQuery(client.client.id, { scope: "openid email" });
    expect((await owner.signIn(query, email, NEW_PASSWORD)).statusCode).toBe(303);
  });

  it("answers a registered address like a new one, and mails its owner instead", async () => {
    const existing = await makeUser(t.app);
    const fresh = `fresh-${Date.now()}@example.com`;
    const first = new Browser(t.app);
    const second = new Browser(t.app);
    const known = await first.submit((await openSignup(t.app, first)).page, {
      email: existing.email,
      password: NEW_PASSWORD,
      name: "Mallory",
    });
    const unknown = await second.submit((await openSignup(t.app, second)).page, {
      email: fresh,
      password: NEW_PASSWORD,
      name: "Mallory",
    });
    expect(known.statusCode).toBe(unknown.statusCode);
    expect(comparable(known.body, existing.email)).toBe(comparable(unknown.body, fresh));

    const mail = await smtp.waitFor(existing.email);
    expect(mail.subject).toBe("Someone tried to sign up with your email address");
    expect(mail.text).not.toContain("/email/verify");
    expect(linkIn(mail, "/password/forgot").origin).toBe(t.config.issuer);
    // The account is untouched: the old password still works, the new one does not.
    const owner = new Browser(t.app);
    expect(
      (await owner.signIn(authorizeQuery(client.client.id), existing.email, PASSWORD)).statusCode,
    ).toBe(303);
    const intruder = new Browser(t.app);
    expect(
      (await intruder.signIn(authorizeQuery(client.client.id), existing.email, NEW_PASSWORD))
        .statusCode,
    ).toBe(400);
  });

  it("takes about as long for a registered address as for a new one", async () => {
    const existing = await makeUser(t.app);
    const time = async (email: string) => {
      const browser = new Browser(t.app);
      const { page } = await openSignup(t.app, browser);
      const started = performance.now();
      const answer = await browser.submit(page, { email, password: NEW_PASSWORD, name: "" });
      expect(answer.statusCode).toBe(200);
      return performance.now() - started;
    };
    const median = (values: number[]) => values.sort((a, b) => a - b)[2]!;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await time(existing.email));
      unknown.push(await time(`timing-${i}-${Date.now()}@example.com`));
    }
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
    expect(median(known)).toBeGreaterThan(median(unknown) * 0.5);
  });

  it("shows rule breaks next to the form and keeps what was typed", async () => {
    const browser = new Browser(t.app);
    const { page } = await openSignup(t.app, browser);
    const weak = await browser.submit(page, {
      email: "weak@example.com",
      password: "password",
      name: "Weak",
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.body).toContain("most commonly used");
    expect(weak.body).toMatch(/role="alert"/);
    expect(weak.body).toContain('value="weak@example.com"');
    const bad = await browser.submit(page, {
      email: "not an address",
      password: NEW_PASSWORD,
      name: "",
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain("is not a valid email address");
    expect(await findUserByEmail(t.app.deps.db, "weak@example.com")).toBeNull();
  });

  it("withdraws the link when the mail cannot be sent, and says so", async () => {
    const email = `unlucky-${Date.now()}@example.com`;
    const browser = new Browser(t.app);
    const { page } = await openSignup(t.app, browser);
    smtp.failing = true;
    try {
      const answer = await browser.submit(page, { email, password: NEW_PASSWORD, name: "" });
      expect(answer.statusCode).toBe(503);
      expect(answer.body).toContain("We could not send the email");
    } finally {
      smtp.failing = false;
    }
    const rows = await t.app.deps.db
      .selectFrom("email_tokens")
      .select("digest")
      .where("email", "=", email)
      .execute();
    expect(rows).toEqual([]);
  });

  it("refuses a form without its CSRF token", async () => {
    const browser = new Browser(t.app);
    const { id } = await openSignup(t.app, browser);
    const answer = await browser.post(`/interaction/${id}/signup`, {
      email: "csrf@example.com",
      password: NEW_PASSWORD,
    });
    expect(answer.statusCode).toBe(403);
  });

  it("works outside an authorization request, from the account's sign-in", async () => {
    const email = `account-${Date.now()}@example.com`;
    const browser = new Browser(t.app);
    const page = await browser.get("/account/signup");
    expect(page.statusCode).toBe(200);
    const answer = await browser.submit(page, { email, password: NEW_PASSWORD, name: "" });
    expect(answer.statusCode).toBe(200);
    const link = linkIn(await smtp.waitFor(email), "/email/verify");
    expect(link.searchParams.get("interaction")).toBeNull();
    const confirmed = await submitAll(browser, await browser.get(link.pathname + link.search));
    expect(confirmed.body).toContain("/account/login");
  });
});

describe("sign-up limits", () => {
  it("is off by default: no page", async () => {
    const plain = await buildTestApp({ SMTP_URL: smtp.url });
    try {
      const browser = new Browser(plain.app);
      expect((await browser.get("/account/signup")).statusCode).toBe(404);
      const login = await browser.get("/account/login");
      expect(login.body).not.toContain("/signup");
    } finally {
      await plain.close();
    }
  });

  it("refuses more requests from one IP than MAIL_REQUESTS_PER_IP an hour", async () => {
    const strict = await buildTestApp({
      SMTP_URL: smtp.url,
      SIGNUP_ENABLED: "on",
      MAIL_REQUESTS_PER_IP: "2",
    });
    try {
      const browser = new Browser(strict.app);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const page = await browser.get("/account/signup");
        const answer = await browser.submit(page, {
          email: `throttled-${i}-${Date.now()}@example.com`,
          password: NEW_PASSWORD,
          name: "",
        });
        statuses.push(answer.statusCode);
      }
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await strict.close();
    }
  });
});
