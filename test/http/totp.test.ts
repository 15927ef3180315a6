// The TOTP second factor against a running app on Postgres and Redis, on a clock the test
// moves: enrolment on the account page (QR code and secret, confirmed by a first code,
// recovery codes shown once and stored as digests), the code step after the password in an
// authorization request and on the account login, amr and acr in the ID token, replay
// refusal, recovery codes, the lockout that wrong codes share with wrong passwords, turning it
// off, new recovery codes, acr_values asking for the second factor, and operator enrolment.

import type { LightMyRequestResponse } from "fastify";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base32Decode, totpCode } from "../../server/accounts/totp.ts";
import { ACR_MFA, ACR_PASSWORD } from "../../server/oauth/claims.ts";
import { createOperations } from "../../server/operator/operations.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  authorizeQuery,
  Browser,
  location,
  PASSWORD,
  REDIRECT_URI,
  VERIFIER,
} from "../helpers/authorize-flow.ts";
import { basicAuth, makeClient, makeUser, postToken } from "../helpers/token-fixtures.ts";

let t: TestApp;
let app: Awaited<ReturnType<typeof makeClient>>;
let nowMs = Date.parse("2026-12-02T10:00:00Z");
const now = () => new Date(nowMs);
/** Moves the clock by whole TOTP steps, so each login has a fresh code. */
const advance = (seconds: number) => {
  nowMs += seconds * 1000;
};

beforeAll(async () => {
  t = await buildTestApp({ LOGIN_MAX_FAILURES: "6" }, { now });
  app = await makeClient(t.app, { name: "Notes", skipConsent: true, scope: "openid profile" });
});

afterAll(async () => {
  await t?.close();
});

function formFields(html: string, actionEnd: string): Record<string, string> {
  const form = [...html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].find(
    (match) => match[1]?.endsWith(actionEnd),
  )?.[2];
  if (form === undefined) throw new Error(`no form for ${actionEnd}`);
  const fields: Record<string, string> = {};
  for (const input of form.matchAll(/<input[^>]*name="([^"]*)"(?:[^>]*value="([^"]*)")?/g)) {
    fields[input[1] ?? ""] = input[2] ?? "";
  }
  return fields;
}

async function signedInBrowser(email: string): Promise<Browser> {
  const browser = new Browser(t.app);
  const page = await browser.get("/account/login");
  const answer = await browser.submit(page, { email, password: PASSWORD });
  expect(answer.headers.location).toBe("/account");
  return browser;
}

/** Posts one of the account page's forms with its hidden fields and these. */
async function accountPost(browser: Browser, action: string, fields: Record<string, string> = {}) {
  const page = await browser.get("/account");
  return browser.post(action, { ...formFields(page.body, action), ...fields });
}

interface Enrolment {
  secret: Buffer;
  recoveryCodes: string[];
}

function recoveryCodesOf(html: string): string[] {
  return [...html.matchAll(/<li><code>([a-z2-7-]+)<\/code><\/li>/g)].map((m) => m[1] ?? "");
}

async function enrol(browser: Browser): Promise<Enrolment> {
  const started = await accountPost(browser, "/account/totp/start");
  expect(started.statusCode).toBe(303);
  expect(started.headers.location).toBe("/account/totp");
  const setup = await browser.get("/account/totp");
  expect(setup.statusCode).toBe(200);
  const typed = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(setup.body)?.[1] ?? "";
  const secret = base32Decode(typed);
  const confirmed = await browser.submit(setup, { otp: totpCode(secret, now()) });
  expect(confirmed.statusCode).toBe(200);
  return { secret, recoveryCodes: recoveryCodesOf(confirmed.body) };
}

/** Starts a code flow, types the password, and answers the code page with `code`. */
async function signInWithCode(email: string, code: string, query?: string) {
  const browser = new Browser(t.app);
  const afterPassword = await browser.signIn(query ?? authorizeQuery(app.client.id), email);
  expect(afterPassword.statusCode).toBe(303);
  expect(location(afterPassword).pathname).toMatch(/^\/interaction\/[\w-]+\/otp$/);
  const page = await browser.get(location(afterPassword).href);
  expect(page.statusCode).toBe(200);
  return { browser, page, answer: await browser.submit(page, { otp: code }) };
}

async function idTokenFrom(answer: LightMyRequestResponse) {
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
    { authorization: basicAuth(app.client.id, app.secret ?? "") },
  );
  expect(token.statusCode).toBe(200);
  return decodeJwt((token.json() as { id_token: string }).id_token);
}

describe("enrolment on the account page", () => {
  it("shows a QR code and the secret, refuses a wrong first code, and turns on with the right one", async () => {
    const user = await makeUser(t.app);
    const browser = await signedInBrowser(user.email);
    const account = await browser.get("/account");
    expect(account.body).toContain("Two-step verification");
    expect(account.body).toContain("Set up two-step verification");

    await accountPost(browser, "/account/totp/start");
    const setup = await browser.get("/account/totp");
    expect(setup.body).toMatch(/<div class="qr" role="img" aria-label="[^"]+"><svg /);
    expect(setup.body).toContain('name="otp"');
    expect(setup.body).toContain('<label for="otp">');
    const typed = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(setup.body)?.[1] ?? "";
    const secret = base32Decode(typed);
    expect(secret).toHaveLength(20);

    const right = totpCode(secret, now());
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
    const refused = await browser.submit(setup, { otp: wrong });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain("That code is not right.");
    // Still pending: a login asks for no code yet.
    expect((await browser.get("/account")).body).toContain("not entered a first code yet");

    const confirmed = await browser.submit(refused, { otp: right });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.headers["cache-control"]).toBe("no-store");
    expect(confirmed.body).toContain("Two-step verification is on.");
    const codes = recoveryCodesOf(confirmed.body);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);

    // Shown once: the setup page is gone and the account page shows no code.
    const again = await browser.get("/account/totp");
    expect(again.statusCode).toBe(302);
    expect(again.headers.location).toBe("/account");
    const on = await browser.get("/account");
    expect(on.body).toContain("since");
    expect(on.body).toContain("You have 10 unused recovery codes.");
    for (const code of codes) expect(on.body).not.toContain(code);

    // At rest: the secret sealed, the recovery codes as digests only.
    const stored = await t.app.deps.db
      .selectFrom("user_totp")
      .selectAll()
      .where("user_id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(stored.secret_sealed).toMatch(/^v1\./);
    expect(stored.secret_sealed).not.toContain(typed.replaceAll(" ", ""));
    expect(stored.confirmed_at).not.toBeNull();
    const digests = await t.app.deps.db
      .selectFrom("recovery_codes")
      .select("digest")
      .where("user_id", "=", user.id)
      .execute();
    expect(digests).toHaveLength(10);
    const stand = codes.map((code) => code.replaceAll("-", ""));
    for (const { digest } of digests) {
      expect(stand).not.toContain(digest);
      expect(codes).not.toContain(digest);
    }
  });

  it("refuses a code typed on the setup page after a few wrong ones in the same session", async () => {
    const user = await makeUser(t.app);
    const browser = await signedInBrowser(user.email);
    await accountPost(browser, "/account/totp/start");
    let page = await browser.get("/account/totp");
    const secret = base32Decode(
      /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(page.body)?.[1] ?? "",
    );
    for (let i = 0; i < 5; i++) {
      page = await browser.submit(page, {
        otp: "000000" === totpCode(secret, now()) ? "111111" : "000000",
      });
      expect(page.statusCode).toBe(400);
    }
    const blocked = await browser.submit(page, { otp: totpCode(secret, now()) });
    expect(blocked.statusCode).toBe(400);
    expect(blocked.body).toContain("Too many wrong codes.");
  });
});

describe("signing in with a second factor", () => {
  it("asks for the code after the password; the ID token says otp and mfa in amr and the mfa class in acr", async () => {
    const user = await makeUser(t.app);
    const { secret } = await enrol(await signedInBrowser(user.email));
    advance(60);

    const { page, answer } = await signInWithCode(user.email, totpCode(secret, now()));
    expect(page.body).toContain('<label for="otp">');
    expect(page.body).toContain('autocomplete="one-time-code"');
    expect(page.body.match(/<button[^>]*type="submit"/g)).toHaveLength(1);
    const claims = await idTokenFrom(answer);
    expect(claims.sub).toBe(user.id);
    expect(claims.amr).toEqual(["pwd", "otp", "mfa"]);
    expect(claims.acr).toBe(ACR_MFA);
  });

  it("gives a password-only login pwd in amr and the password class in acr", async () => {
    const user = await makeUser(t.app);
    const answer = await new Browser(t.app).signIn(authorizeQuery(app.client.id), user.email);
    const claims = await idTokenFrom(answer);
    expect(claims.amr).toEqual(["pwd"]);
    expect(claims.acr).toBe(ACR_PASSWORD);
  });

  it("does not sign in on the password alone: no session until the code", async () => {
    const user = await makeUser(t.app);
    const { secret } = await enrol(await signedInBrowser(user.email));
    advance(60);
    const browser = new Browser(t.app);
    await browser.signIn(authorizeQuery(app.client.id), user.email);
    const probe = await browser.get(authorizeQuery(app.client.id, { prompt: "none" }));
    expect(location(probe).searchParams.get("error")).toBe("login_required");
    const account = await browser.get("/account");
    expect(account.headers.location).toBe("/account/login");
    // The code page of that request still works for this browser.
    expect(secret).toHaveLength(20);
  });

  it("accepts a code once: the same code again is refused, the next one works", async () => {
    const user = await makeUser(t.app);
    const { secret } = await enrol(await signedInBrowser(user.email));
    advance(60);
    const code = totpCode(secret, now());
    const first = await signInWithCode(user.email, code);
    expect(location(first.answer).searchParams.get("code")).toBeTruthy();

    const replay = await signInWithCode(user.email, code);
    expect(replay.answer.statusCode).toBe(400);
    expect(replay.answer.body).toContain("That code is not right, or it was used already.");
    const audit = await t.app.deps.db
      .selectFrom("audit_events")
      .select("details")
      .where("user_id", "=", user.id)
      .where("type", "=", "login.failure")
      .execute();
    expect(audit.map((row) => row.details.reason)).toContain("replayed_code");

    // The refused browser is still on its code page: an earlier step is refused too once a
    // later one was used, and the app's next code (within the window, later) works.
    const earlier = await replay.browser.submit(replay.answer, {
      otp: totpCode(secret, new Date(nowMs - 30_000)),
    });
    expect(earlier.statusCode).toBe(400);
    const next = await replay.browser.submit(earlier, {
      otp: totpCode(secret, new Date(nowMs + 30_000)),
    });
    expect(next.statusCode).toBe(303);
    expect(location(next).searchParams.get("code")).toBeTruthy();
  });

  it("signs in once with each recovery code, with mfa but not otp in amr", async () => {
    const user = await makeUser(t.app);
    const { recoveryCodes } = await enrol(await signedInBrowser(user.email));
    advance(60);
    const [code] = recoveryCodes;
    const typed = code?.toUpperCase().replaceAll("-", " ") ?? "";
    const used = await signInWithCode(user.email, typed);
    const claims = await idTokenFrom(used.answer);
    expect(claims.amr).toEqual(["pwd", "mfa"]);
    expect(claims.acr).toBe(ACR_MFA);

    const again = await signInWithCode(user.email, code ?? "");
    expect(again.answer.statusCode).toBe(400);
    const browser = await signedInWithCode(user.email, recoveryCodes[1] ?? "");
    expect((await browser.get("/account")).body).toContain("You have 8 unused recovery codes.");
  });

  it("counts wrong codes towards the account's lockout; typing the password again buys no more guesses", async () => {
    const user = await makeUser(t.app);
    const { secret } = await enrol(await signedInBrowser(user.email));
    advance(60);
    // LOGIN_MAX_FAILURES is 6 in this app: five wrong codes across five password entries...
    for (const wrong of ["000001", "000002", "000003", "000004", "000005"]) {
      const attempt = await signInWithCode(
        user.email,
        wrong === totpCode(secret, now()) ? "999999" : wrong,
      );
      expect(attempt.answer.statusCode).toBe(400);
    }
    // ...and the sixth locks the account, whatever comes next.
    const locked = await signInWithCode(user.email, "000006");
    expect(locked.answer.statusCode).toBe(403);
    expect(locked.answer.body).toContain("Too many failed sign-in attempts.");
    const right = await new Browser(t.app).signIn(authorizeQuery(app.client.id), user.email);
    expect(right.statusCode).toBe(403);
  });
});

async function signedInWithCode(email: string, code: string): Promise<Browser> {
  const browser = new Browser(t.app);
  const page = await browser.get("/account/login");
  const afterPassword = await browser.submit(page, { email, password: PASSWORD });
  expect(afterPassword.headers.location).toBe("/account/login/otp");
  const codePage = await browser.get("/account/login/otp");
  const answer = await browser.submit(codePage, { otp: code });
  expect(answer.statusCode).toBe(303);
  expect(answer.headers.location).toBe("/account");
  return browser;
}

describe("the code page", () => {
  it("needs the pending login of the same request, and sends anyone else back to the password", async () => {
    const user = await makeUser(t.app);
    const { secret } = await enrol(await signedInBrowser(user.email));
    advance(60);
    const browser = new Browser(t.app);
    const afterPassword = await browser.signIn(authorizeQuery(app.client.id), user.email);
    const otpPath = location(afterPassword).pathname;

    // Another browser, without the pending login: back to the login page, code not checked.
    const stranger = new Browser(t.app);
    const strangerPage = await stranger.get(otpPath);
    expect(strangerPage.statusCode).toBe(302);
    expect(strangerPage.headers.location).toBe(otpPath.replace(/otp$/, "login"));

    // The pending login of one request does not count for another.
    const other = await browser.get(authorizeQuery(app.client.id, { state: "other" }));
    const otherOtp = location(other).pathname.replace(/login$/, "otp");
    const refused = await browser.get(otherOtp);
    expect(refused.statusCode).toBe(302);

    // After PENDING_LOGIN_TTL the password must be typed again.
    const page = await browser.get(otpPath);
    advance(330);
    const late = await browser.submit(page, { otp: totpCode(secret, now()) });
    expect(late.statusCode).toBe(303);
    expect(location(late).pathname).toMatch(/\/login$/);
  });

  it("ends the pending login after five wrong codes", async () => {
    const user = await makeUser(t.app);
    const { secret } = await enrol(await signedInBrowser(user.email));
    advance(60);
    const browser = new Browser(t.app);
    const afterPassword = await browser.signIn(authorizeQuery(app.client.id), user.email);
    let page = await browser.get(location(afterPassword).href);
    const wrong = totpCode(secret, now()) === "123456" ? "654321" : "123456";
    for (let i = 0; i < 4; i++) {
      page = await browser.submit(page, { otp: wrong });
      expect(page.statusCode).toBe(400);
    }
    const fifth = await browser.submit(page, { otp: wrong });
    expect(fifth.statusCode).toBe(303);
    expect(location(fifth).pathname).toMatch(/\/login$/);
    // The right code cannot be used on that page any more.
    const late = await browser.submit(page, { otp: totpCode(secret, now()) });
    expect(late.statusCode).toBe(303);
    expect(location(late).pathname).toMatch(/\/login$/);
  });
});

describe("the account login", () => {
  it("asks for the code too, then goes to the account page", async () => {
    const user = await makeUser(t.app);
    const { secret } = await enrol(await signedInBrowser(user.email));
    advance(60);
    const browser = await signedInWithCode(user.email, totpCode(secret, now()));
    const page = await browser.get("/account");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(user.email);
  });
});

describe("changing the second factor", () => {
  it("turns off only with a current code, and then the password alone signs in", async () => {
    const user = await makeUser(t.app);
    const browser = await signedInBrowser(user.email);
    const { secret } = await enrol(browser);
    advance(60);
    const wrong = await accountPost(browser, "/account/totp/disable", { otp: "12345" });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain("That code is not right.");
    expect(wrong.body).toContain('id="totp-error"');

    const off = await accountPost(browser, "/account/totp/disable", {
      otp: totpCode(secret, now()),
    });
    expect(off.statusCode).toBe(303);
    expect(off.headers.location).toBe("/account?done=totp-off");
    expect((await browser.get("/account?done=totp-off")).body).toContain(
      "Two-step verification is off.",
    );
    const answer = await new Browser(t.app).signIn(authorizeQuery(app.client.id), user.email);
    expect(location(answer).searchParams.get("code")).toBeTruthy();
    const rows = await t.app.deps.db
      .selectFrom("recovery_codes")
      .select("digest")
      .where("user_id", "=", user.id)
      .execute();
    expect(rows).toHaveLength(0);
  });

  it("makes new recovery codes with a code from the app; the old ones stop working", async () => {
    const user = await makeUser(t.app);
    const browser = await signedInBrowser(user.email);
    const { secret, recoveryCodes } = await enrol(browser);
    advance(60);
    const byRecovery = await accountPost(browser, "/account/totp/recovery-codes", {
      otp: recoveryCodes[0] ?? "",
    });
    expect(byRecovery.statusCode).toBe(400);
    const fresh = await accountPost(browser, "/account/totp/recovery-codes", {
      otp: totpCode(secret, now()),
    });
    expect(fresh.statusCode).toBe(200);
    expect(fresh.body).toContain("Your earlier recovery codes no longer work.");
    const newCodes = recoveryCodesOf(fresh.body);
    expect(newCodes).toHaveLength(10);
    advance(60);
    const old = await signInWithCode(user.email, recoveryCodes[1] ?? "");
    expect(old.answer.statusCode).toBe(400);
    const current = await signInWithCode(user.email, newCodes[0] ?? "");
    expect(location(current.answer).searchParams.get("code")).toBeTruthy();
  });

  it("limits wrong codes on the account page per session", async () => {
    const user = await makeUser(t.app);
    const browser = await signedInBrowser(user.email);
    const { secret } = await enrol(browser);
    advance(60);
    for (let i = 0; i < 5; i++) {
      const wrong = await accountPost(browser, "/account/totp/disable", { otp: "000000" });
      expect(wrong.statusCode).toBe(400);
    }
    const blocked = await accountPost(browser, "/account/totp/disable", {
      otp: totpCode(secret, now()),
    });
    expect(blocked.statusCode).toBe(400);
    expect(blocked.body).toContain("Too many wrong codes.");
    expect((await browser.get("/account")).body).toContain("You have 10 unused recovery codes.");
  });
});

describe("acr_values", () => {
  it("makes a password-only session of a user with a second factor sign in again for the mfa class", async () => {
    const user = await makeUser(t.app);
    const browser = await signedInBrowser(user.email);
    const { secret } = await enrol(browser);
    advance(60);
    // The session began with the password alone, before the second factor was on.
    const plain = await browser.get(authorizeQuery(app.client.id, { prompt: "none" }));
    expect(location(plain).searchParams.get("code")).toBeTruthy();
    const mfaNone = await browser.get(
      authorizeQuery(app.client.id, { prompt: "none", acr_values: ACR_MFA }),
    );
    expect(location(mfaNone).searchParams.get("error")).toBe("login_required");

    const mfa = await browser.get(authorizeQuery(app.client.id, { acr_values: ACR_MFA }));
    expect(location(mfa).pathname).toMatch(/\/login$/);
    const loginPage = await browser.get(location(mfa).href);
    const afterPassword = await browser.submit(loginPage, {
      email: user.email,
      password: PASSWORD,
    });
    const codePage = await browser.get(location(afterPassword).href);
    const answer = await browser.submit(codePage, { otp: totpCode(secret, now()) });
    const claims = await idTokenFrom(answer);
    expect(claims.acr).toBe(ACR_MFA);
  });

  it("is voluntary: a user without a second factor gets the password class", async () => {
    const user = await makeUser(t.app);
    const answer = await new Browser(t.app).signIn(
      authorizeQuery(app.client.id, { acr_values: ACR_MFA }),
      user.email,
    );
    const claims = await idTokenFrom(answer);
    expect(claims.acr).toBe(ACR_PASSWORD);
  });

  it("is advertised in discovery", async () => {
    const response = await t.app.inject({ url: "/.well-known/openid-configuration" });
    const metadata = response.json() as Record<string, unknown>;
    expect(metadata.acr_values_supported).toEqual([ACR_PASSWORD, ACR_MFA]);
    expect(metadata.claims_supported).toContain("acr");
  });
});

describe("operator enrolment", () => {
  it("turns the second factor on with a secret and recovery codes, and off again", async () => {
    const user = await makeUser(t.app);
    const ops = createOperations({
      db: t.app.deps.db,
      config: t.config,
      now,
      log: t.app.deps.log,
      kek: async () => t.config.keyEncryptionKey ?? Buffer.alloc(32),
      kv: async () => t.app.deps.kv,
    });
    const enrolment = await ops.userTotpEnrol({ email: user.email });
    expect(enrolment.otpauth_uri).toMatch(
      new RegExp(`^otpauth://totp/localhost%3A3000:${encodeURIComponent(user.email)}\\?secret=`),
    );
    expect(enrolment.recovery_codes).toHaveLength(10);
    advance(60);
    // The server opens the secret the CLI sealed: both derive the key from the same KEK.
    const login = await signInWithCode(user.email, totpCode(base32Decode(enrolment.secret), now()));
    expect(location(login.answer).searchParams.get("code")).toBeTruthy();

    const removed = await ops.userTotpRemove({ email: user.email });
    expect(removed.removed).toBe(true);
    expect((await ops.userTotpRemove({ email: user.email })).removed).toBe(false);
    const plain = await new Browser(t.app).signIn(authorizeQuery(app.client.id), user.email);
    expect(location(plain).searchParams.get("code")).toBeTruthy();
    const events = await t.app.deps.db
      .selectFrom("audit_events")
      .select(["type", "actor"])
      .where("user_id", "=", user.id)
      .where("type", "in", ["second_factor.enabled", "second_factor.disabled"])
      .execute();
    expect(events).toEqual([
      { type: "second_factor.enabled", actor: "operator" },
      { type: "second_factor.disabled", actor: "operator" },
    ]);
  });
});
