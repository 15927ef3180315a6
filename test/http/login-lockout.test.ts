// Login throttling: an account (known or not) locks after LOGIN_MAX_FAILURES failures for a
// period that doubles with each further lock, a correct password is refused during a lock,
// a success clears the count, `user unlock` clears the lock, a client IP is refused after
// LOGIN_MAX_FAILURES_PER_IP failures, and each step leaves an audit event.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOperations } from "../../server/operator/operations.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  authorizeQuery,
  Browser,
  formAction,
  inputValue,
  location,
  makeClient,
  makeUser,
  PASSWORD,
} from "../helpers/authorize-flow.ts";
import { manualClock } from "../helpers/keys.ts";

const BLOCKED =
  "Too many failed sign-in attempts. Sign-in is temporarily blocked; try again later.";
const FAILED = "The email address or password is incorrect.";
const clock = manualClock(Date.now());
let t: TestApp;
let clientId: string;

beforeAll(async () => {
  t = await buildTestApp(
    {
      LOGIN_MAX_FAILURES: "3",
      LOGIN_MAX_FAILURES_PER_IP: "1000",
      LOGIN_LOCKOUT_BASE: "60s",
      LOGIN_LOCKOUT_MAX: "200s",
    },
    { now: clock.now },
  );
  clientId = await makeClient(t.app, { skipConsent: true });
});

afterAll(async () => {
  await t?.close();
});

type Outcome = "signed in" | "failed" | "blocked";

async function login(email: string, password: string, ip = "127.0.0.1"): Promise<Outcome> {
  const browser = new Browser(t.app);
  const start = await browser.get(authorizeQuery(clientId));
  const page = await browser.get(location(start).href);
  const response = await t.app.inject({
    method: "POST",
    url: formAction(page.body),
    remoteAddress: ip,
    headers: { ...browser.jar.header(), "content-type": "application/x-www-form-urlencoded" },
    payload: new URLSearchParams({
      csrf_token: inputValue(page.body, "csrf_token") ?? "",
      email,
      password,
    }).toString(),
  });
  if (response.statusCode === 303) return "signed in";
  expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
  if (response.statusCode === 403) {
    expect(response.body).toContain(BLOCKED);
    expect(response.body).not.toContain(FAILED);
    return "blocked";
  }
  expect(response.statusCode).toBe(400);
  expect(response.body).toContain(FAILED);
  return "failed";
}

async function events(type: string, userId?: string) {
  let query = t.app.deps.db.selectFrom("audit_events").selectAll().where("type", "=", type);
  if (userId) query = query.where("user_id", "=", userId);
  return query.orderBy("id").execute();
}

describe("an account", () => {
  it("locks on the LOGIN_MAX_FAILURES-th failure and refuses even the right password", async () => {
    const user = await makeUser(t.app);
    expect(await login(user.email, "wrong password 1")).toBe("failed");
    expect(await login(user.email, "wrong password 2")).toBe("failed");
    expect(await login(user.email, "wrong password 3")).toBe("blocked");
    expect(await login(user.email, PASSWORD)).toBe("blocked");

    const locked = await events("account.locked", user.id);
    expect(locked).toHaveLength(1);
    expect(locked[0]).toMatchObject({ actor: "system", client_id: clientId, ip: "127.0.0.1" });
    expect(locked[0]!.details).toMatchObject({ lock_seconds: 60, known_account: true });
    expect((await t.app.deps.metrics.lockouts.get()).values[0]?.value).toBe(1);
    const failures = await events("login.failure", user.id);
    expect(failures.map((e) => (e.details as { reason: string }).reason)).toEqual([
      "wrong_password",
      "wrong_password",
      "wrong_password",
      "account_locked",
    ]);
  });

  it("locks again after the lock for twice as long, up to LOGIN_LOCKOUT_MAX", async () => {
    const user = await makeUser(t.app);
    for (const attempt of [1, 2, 3]) await login(user.email, `wrong ${attempt}`);
    clock.advance(59);
    expect(await login(user.email, PASSWORD)).toBe("blocked");
    clock.advance(2);
    // The count is kept: the next failure locks again, now for 120 s.
    expect(await login(user.email, "wrong 4")).toBe("blocked");
    clock.advance(119);
    expect(await login(user.email, PASSWORD)).toBe("blocked");
    clock.advance(2);
    expect(await login(user.email, "wrong 5")).toBe("blocked");
    clock.advance(201);
    expect(await login(user.email, "wrong 6")).toBe("blocked");
    const seconds = (await events("account.locked", user.id)).map(
      (e) => (e.details as { lock_seconds: number }).lock_seconds,
    );
    expect(seconds).toEqual([60, 120, 200, 200]);
  });

  it("starts again from no failures after a successful login", async () => {
    const user = await makeUser(t.app);
    expect(await login(user.email, "wrong 1")).toBe("failed");
    expect(await login(user.email, "wrong 2")).toBe("failed");
    expect(await login(user.email, PASSWORD)).toBe("signed in");
    expect(await login(user.email, "wrong 3")).toBe("failed");
    expect(await login(user.email, "wrong 4")).toBe("failed");
    expect(await login(user.email, PASSWORD)).toBe("signed in");
  });

  it("is unlocked by `latchkey user unlock`, which also forgets the failures", async () => {
    const user = await makeUser(t.app);
    for (const attempt of [1, 2, 3]) await login(user.email, `wrong ${attempt}`);
    expect(await login(user.email, PASSWORD)).toBe("blocked");

    const { db, config, kv, log } = t.app.deps;
    const ops = createOperations({
      db,
      config,
      now: clock.now,
      log,
      kek: () => Promise.reject(new Error("not needed")),
      kv: async () => kv,
    });
    await ops.userUnlock({ email: user.email });
    expect(await events("account.unlocked", user.id)).toEqual([
      expect.objectContaining({ actor: "operator", user_id: user.id }),
    ]);
    expect(await login(user.email, "wrong 4")).toBe("failed");
    expect(await login(user.email, PASSWORD)).toBe("signed in");
  });
});

describe("an unknown email", () => {
  it("locks exactly like an account, whatever its case and spacing", async () => {
    const email = `nobody-${Date.now()}@example.com`;
    expect(await login(email, "guess 1")).toBe("failed");
    expect(await login(` ${email.toUpperCase()}`, "guess 2")).toBe("failed");
    expect(await login(email, "guess 3")).toBe("blocked");
    expect(await login(email, "guess 4")).toBe("blocked");
    clock.advance(61);
    expect(await login(email, "guess 5")).toBe("blocked");
    const locked = (await events("account.locked")).filter(
      (e) => e.user_id === null && e.request_id !== null,
    );
    expect(locked.length).toBeGreaterThanOrEqual(2);
    expect(locked.at(-1)!.details).toMatchObject({ lock_seconds: 120, known_account: false });
  });
});

describe("a client IP", () => {
  let ipApp: TestApp;
  beforeAll(async () => {
    ipApp = await buildTestApp({ LOGIN_MAX_FAILURES: "10", LOGIN_MAX_FAILURES_PER_IP: "4" });
  });
  afterAll(async () => {
    await ipApp?.close();
  });

  it("is refused after LOGIN_MAX_FAILURES_PER_IP failures, across accounts; others are not", async () => {
    const previous = { t, clientId };
    t = ipApp;
    clientId = await makeClient(ipApp.app, { skipConsent: true });
    try {
      const user = await makeUser(ipApp.app);
      for (const n of [1, 2, 3, 4]) {
        expect(await login(`someone${n}@example.com`, "guess", "203.0.113.7")).toBe("failed");
      }
      expect(await login(user.email, PASSWORD, "203.0.113.7")).toBe("blocked");
      expect(await login(user.email, PASSWORD, "198.51.100.2")).toBe("signed in");
      expect((await events("login.failure")).at(-1)).toMatchObject({
        ip: "203.0.113.7",
        details: { reason: "ip_throttled" },
      });
    } finally {
      ({ t, clientId } = previous);
    }
  });
});
