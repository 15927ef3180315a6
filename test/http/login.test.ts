// The login page and login sessions: one generic failure for every cause, the session cookie
// and its attributes, rotation on login, idle and absolute expiry, and CSRF refusal.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestToken } from "../../server/tokens/opaque.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  authorizeQuery,
  Browser,
  inputValue,
  location,
  makeClient,
  makeUser,
  PASSWORD,
  REDIRECT_URI,
} from "../helpers/authorize-flow.ts";
import { manualClock } from "../helpers/keys.ts";

const SESSION = "latchkey-session";
const clock = manualClock(Date.now());
let t: TestApp;
let clientId: string;

beforeAll(async () => {
  t = await buildTestApp(
    { SESSION_IDLE_TTL: "60s", SESSION_ABSOLUTE_TTL: "150s" },
    { now: clock.now },
  );
  clientId = await makeClient(t.app, { skipConsent: true });
});

afterAll(async () => {
  await t?.close();
});

async function loginPage(browser: Browser, query = authorizeQuery(clientId)) {
  const start = await browser.get(query);
  return browser.get(location(start).href);
}

/** True when the browser's session still lets a prompt=none request through. */
async function sessionAlive(browser: Browser): Promise<boolean> {
  const response = await browser.get(authorizeQuery(clientId, { prompt: "none" }));
  const url = location(response);
  expect(`${url.origin}${url.pathname}`).toBe(REDIRECT_URI);
  if (url.searchParams.get("code")) return true;
  expect(url.searchParams.get("error")).toBe("login_required");
  return false;
}

describe("a failed login", () => {
  it.each([
    ["a wrong password", async () => (await makeUser(t.app)).email, "wrong password!"],
    ["an unknown email", async () => "nobody@example.com", PASSWORD],
    ["a locked user", async () => (await makeUser(t.app, { locked: true })).email, PASSWORD],
    ["an email that is not an address", async () => "not an address", PASSWORD],
    ["an empty form", async () => "", ""],
  ])("shows the same generic message for %s", async (_, email, password) => {
    const browser = new Browser(t.app);
    const page = await loginPage(browser);
    const address = await email();
    const response = await browser.submit(page, { email: address, password });
    expect(response.statusCode).toBe(400);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.body).toContain("The email address or password is incorrect.");
    expect(response.body).toMatch(/<div class="alert" role="alert" id="form-error">/);
    expect(inputValue(response.body, "email")).toBe(address);
    expect(response.body).not.toContain(PASSWORD);
    expect(response.headers["set-cookie"] ?? "").not.toContain(SESSION);
    expect(browser.jar.get(SESSION)).toBeUndefined();
  });

  it("takes about as long for an unknown email as for a wrong password", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const page = await loginPage(browser);
    const time = async (email: string) => {
      const started = performance.now();
      await browser.submit(page, { email, password: "wrong password!" });
      return performance.now() - started;
    };
    const median = (values: number[]) => values.sort((a, b) => a - b)[2]!;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await time(user.email));
      unknown.push(await time(`nobody${i}@example.com`));
    }
    // argon2id dominates both; an unknown address skipping it would be ten times faster.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
  });
});

describe("a successful login", () => {
  it("sets an HttpOnly, SameSite=Lax session cookie stored only as a digest", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const response = await browser.submit(await loginPage(browser), {
      email: user.email,
      password: PASSWORD,
    });
    expect(response.statusCode).toBe(303);
    const line = browser.jar.setCookieLine(SESSION)!;
    expect(line).toMatch(/^latchkey-session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    const value = browser.jar.get(SESSION)!;
    const stored = await t.app.deps.kv.get(`session:${digestToken(value)}`);
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(value);
    expect(JSON.parse(stored!)).toMatchObject({ userId: user.id, amr: ["pwd"] });
  });

  it("matches the email without regard to case and spaces", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const response = await browser.submit(await loginPage(browser), {
      email: `  ${user.email.toUpperCase()} `,
      password: PASSWORD,
    });
    expect(response.statusCode).toBe(303);
    expect(location(response).searchParams.get("code")).toBeTruthy();
  });

  it("rotates the session: a new value and sid, and the old value stops working", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    await browser.submit(await loginPage(browser), { email: user.email, password: PASSWORD });
    const first = browser.jar.get(SESSION)!;
    const firstSid = JSON.parse((await t.app.deps.kv.get(`session:${digestToken(first)}`))!).sid;

    await browser.submit(await loginPage(browser, authorizeQuery(clientId, { prompt: "login" })), {
      email: user.email,
      password: PASSWORD,
    });
    const second = browser.jar.get(SESSION)!;
    expect(second).not.toBe(first);
    const secondSid = JSON.parse((await t.app.deps.kv.get(`session:${digestToken(second)}`))!).sid;
    expect(secondSid).not.toBe(firstSid);

    expect(await t.app.deps.kv.get(`session:${digestToken(first)}`)).toBeNull();
    const old = new Browser(t.app);
    old.jar.set(SESSION, first);
    expect(await sessionAlive(old)).toBe(false);
    expect(await sessionAlive(browser)).toBe(true);
  });

  it("replaces a value planted before the login (session fixation)", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const planted = "A".repeat(43);
    browser.jar.set(SESSION, planted);
    await browser.submit(await loginPage(browser), { email: user.email, password: PASSWORD });
    expect(browser.jar.get(SESSION)).not.toBe(planted);
  });
});

describe("session lifetimes", () => {
  async function signedIn(): Promise<Browser> {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    await browser.submit(await loginPage(browser), { email: user.email, password: PASSWORD });
    return browser;
  }

  it("ends a session after SESSION_IDLE_TTL without use", async () => {
    const browser = await signedIn();
    clock.advance(59);
    expect(await sessionAlive(browser)).toBe(true);
    clock.advance(59);
    expect(await sessionAlive(browser)).toBe(true);
    clock.advance(61);
    expect(await sessionAlive(browser)).toBe(false);
  });

  it("ends a session SESSION_ABSOLUTE_TTL after the login, however active", async () => {
    const browser = await signedIn();
    for (let elapsed = 0; elapsed < 140; elapsed += 35) {
      clock.advance(35);
      expect(await sessionAlive(browser)).toBe(true);
    }
    clock.advance(15);
    expect(await sessionAlive(browser)).toBe(false);
  });
});

describe("a consent form sent after the session ended", () => {
  it("leads to the login page instead of granting anything", async () => {
    const client = await makeClient(t.app);
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const afterLogin = await browser.signIn(authorizeQuery(client), user.email);
    const consentPage = await browser.get(location(afterLogin).href);
    clock.advance(61);
    const response = await browser.submit(consentPage, { decision: "allow" });
    expect(response.statusCode).toBe(303);
    expect(location(response).pathname).toMatch(/^\/interaction\/[\w-]{43}\/login$/);
  });
});

describe("CSRF", () => {
  async function refused(response: Awaited<ReturnType<Browser["post"]>>) {
    expect(response.statusCode).toBe(403);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.body).toContain("This form could not be accepted");
    expect(response.headers["set-cookie"] ?? "").not.toContain(SESSION);
  }

  it("refuses a login without a token", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const page = await loginPage(browser);
    await refused(
      await browser.post(location(await browser.get(authorizeQuery(clientId))).href, {
        email: user.email,
        password: PASSWORD,
      }),
    );
    await refused(await browser.submit(page, { csrf_token: "forged", email: user.email }));
  });

  it("refuses a token made for another interaction", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const first = await loginPage(browser);
    const second = await loginPage(browser);
    const action = /<form[^>]*action="([^"]*)"/.exec(second.body)![1]!;
    await refused(
      await browser.post(action, {
        csrf_token: inputValue(first.body, "csrf_token")!,
        email: user.email,
        password: PASSWORD,
      }),
    );
  });

  it("refuses a form sent by a browser without the CSRF cookie (a cross-site post)", async () => {
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const page = await loginPage(browser);
    browser.jar.delete("latchkey-csrf");
    await refused(await browser.submit(page, { email: user.email, password: PASSWORD }));
  });

  it("refuses a consent without a valid token", async () => {
    const client = await makeClient(t.app);
    const user = await makeUser(t.app);
    const browser = new Browser(t.app);
    const afterLogin = await browser.signIn(authorizeQuery(client), user.email);
    const consentPage = await browser.get(location(afterLogin).href);
    await refused(await browser.submit(consentPage, { csrf_token: "forged", decision: "allow" }));
  });

  it("takes form bodies only", async () => {
    const browser = new Browser(t.app);
    const page = await loginPage(browser);
    const action = /<form[^>]*action="([^"]*)"/.exec(page.body)![1]!;
    const response = await t.app.inject({
      method: "POST",
      url: action,
      headers: { ...browser.jar.header(), "content-type": "application/json" },
      payload: JSON.stringify({ email: ["x"], password: { a: 1 } }),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: "invalid_request",
      error_description: "The request body must be application/x-www-form-urlencoded.",
    });
  });

  it("sets the CSRF key cookie HttpOnly and SameSite=Lax", async () => {
    const browser = new Browser(t.app);
    await loginPage(browser);
    expect(browser.jar.setCookieLine("latchkey-csrf")).toMatch(
      /^latchkey-csrf=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax$/,
    );
  });
});

describe("under an https issuer", () => {
  let secure: TestApp;
  beforeAll(async () => {
    secure = await buildTestApp({ ISSUER: "https://id.example.com" });
  });
  afterAll(async () => {
    await secure?.close();
  });

  it("makes the cookies Secure with the __Host- prefix", async () => {
    const client = await makeClient(secure.app, { skipConsent: true });
    const user = await makeUser(secure.app);
    const browser = new Browser(secure.app);
    const page = await browser.get(location(await browser.get(authorizeQuery(client))).href);
    expect(browser.jar.setCookieLine("__Host-latchkey-csrf")).toMatch(
      /^__Host-latchkey-csrf=[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    const response = await browser.submit(page, { email: user.email, password: PASSWORD });
    expect(response.statusCode).toBe(303);
    expect(browser.jar.setCookieLine("__Host-latchkey-session")).toMatch(
      /^__Host-latchkey-session=[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(location(response).searchParams.get("iss")).toBe("https://id.example.com");
  });
});
