// The metrics of login throttling, read from each app's own registry: failures, a lockout
// and the refused logins during the lock, and the operator's lock and unlock in the audit
// trail. Two apps in one process keep separate counters.

import { afterAll, beforeAll, expect, it } from "vitest";
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
} from "../helpers/authorize-flow.ts";

let t: TestApp;
let other: TestApp;
let clientId: string;

beforeAll(async () => {
  t = await buildTestApp({ LOGIN_MAX_FAILURES: "2", LOGIN_MAX_FAILURES_PER_IP: "1000" });
  other = await buildTestApp();
  clientId = await makeClient(t.app, { skipConsent: true });
});

afterAll(async () => {
  await t?.close();
  await other?.close();
});

async function login(email: string, password: string): Promise<number> {
  const browser = new Browser(t.app);
  const start = await browser.get(authorizeQuery(clientId));
  const page = await browser.get(location(start).href);
  const response = await t.app.inject({
    method: "POST",
    url: formAction(page.body),
    headers: { ...browser.jar.header(), "content-type": "application/x-www-form-urlencoded" },
    payload: new URLSearchParams({
      csrf_token: inputValue(page.body, "csrf_token") ?? "",
      email,
      password,
    }).toString(),
  });
  return response.statusCode;
}

async function value(app: TestApp, name: string, labels: Record<string, string> = {}) {
  const metric = await app.app.deps.metrics.registry.getSingleMetric(name)?.get();
  const series = metric?.values.find((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return series?.value ?? 0;
}

it("counts failures, the lockout and the logins refused during the lock", async () => {
  const user = await makeUser(t.app);
  expect(await login(user.email, "wrong password 1")).toBe(400);
  expect(await login(user.email, "wrong password 2")).toBe(403);
  expect(await login(user.email, "wrong password 3")).toBe(403);
  expect(await value(t, "latchkey_logins_total", { outcome: "failure" })).toBe(1);
  expect(await value(t, "latchkey_logins_total", { outcome: "locked" })).toBe(2);
  expect(await value(t, "latchkey_lockouts_total")).toBe(1);
  expect(await value(other, "latchkey_lockouts_total")).toBe(0);
  expect(await value(other, "latchkey_logins_total", { outcome: "locked" })).toBe(0);
});

it("serves /metrics on the main port without METRICS_PORT", async () => {
  const res = await t.app.inject({ method: "GET", url: "/metrics" });
  expect(res.statusCode).toBe(200);
  expect(res.headers["cache-control"]).toBe("no-store");
  expect(res.body).toContain("# TYPE latchkey_http_request_duration_seconds histogram");
  expect(res.body).toMatch(/latchkey_logins_total\{outcome="locked"\} 2/);
});

it("records the operator's lock and unlock", async () => {
  const user = await makeUser(t.app);
  const { deps } = t.app;
  const ops = createOperations({
    ...deps,
    kek: async () => Buffer.alloc(32),
    kv: async () => deps.kv,
  });
  await ops.userLock({ email: user.email });
  await ops.userUnlock({ email: user.email });
  const rows = await deps.db
    .selectFrom("audit_events")
    .select(["type", "actor"])
    .where("user_id", "=", user.id)
    .orderBy("id")
    .execute();
  expect(rows).toEqual([
    { type: "account.locked", actor: "operator" },
    { type: "account.unlocked", actor: "operator" },
  ]);
});

it("counts live sessions: up with each login, down with logout, logout-all and expiry", async () => {
  // Its own app and clock: the gauge counts the whole shared store of that app.
  let nowMs = Date.parse("2026-12-02T12:00:00Z");
  const app = await buildTestApp({ SESSION_IDLE_TTL: "10m" }, { now: () => new Date(nowMs) });
  try {
    const client = await makeClient(app.app, { skipConsent: true });
    const signIn = async (email: string) => {
      const browser = new Browser(app.app);
      await browser.signIn(authorizeQuery(client), email);
      return browser;
    };
    const active = () => value(app, "latchkey_active_sessions");
    const started = () => value(app, "latchkey_sessions_started_total");
    expect(await active()).toBe(0);

    const ann = await makeUser(app.app);
    const bob = await makeUser(app.app);
    const annLaptop = await signIn(ann.email);
    await signIn(ann.email);
    const bobLaptop = await signIn(bob.email);
    expect(await active()).toBe(3);
    expect(await started()).toBe(3);

    // Logging out ends one; logging a user out everywhere ends all of theirs at once.
    const logout = await annLaptop.get("/oauth/logout");
    await annLaptop.submit(logout, { logout: "yes" });
    expect(await active()).toBe(2);
    const ops = createOperations({
      ...app.app.deps,
      kek: async () => Buffer.alloc(32),
      kv: async () => app.app.deps.kv,
    });
    await ops.userLogoutAll({ email: ann.email });
    expect(await active()).toBe(1);

    // A session used keeps its place; one left idle past SESSION_IDLE_TTL leaves the count.
    nowMs += 6 * 60_000;
    await bobLaptop.get(authorizeQuery(client, { prompt: "none" }));
    nowMs += 6 * 60_000;
    expect(await active()).toBe(1);
    nowMs += 11 * 60_000;
    expect(await active()).toBe(0);
    expect((await app.app.inject({ url: "/metrics" })).body).toContain(
      "latchkey_active_sessions 0",
    );
  } finally {
    await app.close();
  }
});
