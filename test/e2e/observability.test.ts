// Metrics and the audit trail after real flows against a listening server: /metrics values
// move (logins, tokens by grant, token errors by code, reuse detections, latency), every
// event of the flows has its audit_events row with IP and request id, and METRICS_PORT moves
// /metrics to its own listener.

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLOW_REDIRECT_URI, runFullFlow } from "../helpers/full-flow.ts";
import { HttpClient, readForms } from "../helpers/http-client.ts";
import { freePort } from "../helpers/server-process.ts";
import { type ServerOnServices, startServerOnServices } from "../helpers/services.ts";

/** The sum of the series of `name` that carry `labels`, in the text exposition format. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

async function failLogin(latchkey: ServerOnServices): Promise<void> {
  const { clientId } = await latchkey.data.client({
    name: "Failing RP",
    redirectUris: [FLOW_REDIRECT_URI],
    authMethod: "none",
    grantTypes: ["authorization_code"],
    scope: "openid",
  });
  const authorize = new URL(`${latchkey.issuer}/oauth/authorize`);
  authorize.search = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: FLOW_REDIRECT_URI,
    scope: "openid",
    code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    code_challenge_method: "S256",
  }).toString();
  const browser = new HttpClient();
  const page = await browser.follow(authorize.href, FLOW_REDIRECT_URI);
  const [login] = readForms(page.body, page.url).filter((f) => "password" in f.fields);
  const refused = await browser.follow(login!.action, FLOW_REDIRECT_URI, {
    method: "POST",
    form: { ...login!.fields, email: "nobody@example.com", password: "not the password" },
  });
  expect(refused.status).toBe(400);
}

describe("metrics and audit trail on the main port", () => {
  let latchkey: ServerOnServices;
  beforeAll(async () => {
    latchkey = await startServerOnServices();
  });
  afterAll(async () => {
    await latchkey?.close();
  });

  it("moves the counters and the latency histogram after a flow", async () => {
    const before = await scrape(latchkey.server.url);
    const flow = await runFullFlow(latchkey.issuer, latchkey.data, "metrics");
    const replay = await runFullFlow(latchkey.issuer, latchkey.data, "replay", { replay: true });
    await failLogin(latchkey);
    const after = await scrape(latchkey.server.url);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      metric(after, name, labels) - metric(before, name, labels);

    expect(delta("latchkey_logins_total", { outcome: "success" })).toBe(2);
    expect(delta("latchkey_logins_total", { outcome: "failure" })).toBe(1);
    const grant = (grant_type: string) => delta("latchkey_tokens_issued_total", { grant_type });
    expect([grant("authorization_code"), grant("refresh_token")]).toEqual([2, 2]);
    expect(delta("latchkey_token_errors_total", { error: "invalid_grant" })).toBe(2);
    expect(delta("latchkey_refresh_reuse_detections_total")).toBe(1);
    expect(delta("latchkey_code_reuse_detections_total")).toBe(1);
    const token = { method: "POST", route: "/oauth/token", status_code: "200" };
    expect(delta("latchkey_http_request_duration_seconds_count", token)).toBe(4);
    const login = { method: "POST", route: "/interaction/:id/login" };
    expect(delta("latchkey_http_request_duration_seconds_count", login)).toBe(3);
    // Labels carry route patterns, never the ids, codes or tokens of the requests.
    for (const value of [flow.code, replay.code, flow.clientId, flow.userId]) {
      expect(after).not.toContain(value);
    }
    expect(after).toContain("latchkey_lockouts_total 0");
    const discovery = await fetch(`${latchkey.issuer}/.well-known/openid-configuration`);
    expect(await discovery.text()).not.toContain("metrics");
  });

  it("writes an audit row, with IP and request id, for every event of the flows", async () => {
    const db = new pg.Client({ connectionString: latchkey.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{
        type: string;
        actor: string | null;
        user_id: string | null;
        client_id: string | null;
        ip: string | null;
        request_id: string | null;
        details: Record<string, unknown>;
      }>("select type, actor, user_id, client_id, ip, request_id, details from audit_events");
      const ofType = (type: string) => rows.filter((row) => row.type === type);
      for (const type of [
        "login.success",
        "login.failure",
        "consent.granted",
        "token.revoked",
        "refresh.reuse_detected",
        "code.reuse_detected",
      ]) {
        expect(ofType(type).length, type).toBeGreaterThan(0);
        for (const row of ofType(type)) {
          expect(row.ip, type).toMatch(/127\.0\.0\.1/);
          expect(row.request_id, type).toEqual(expect.any(String));
        }
      }
      expect(ofType("login.success")).toHaveLength(2);
      expect(ofType("consent.granted")[0]?.details).toEqual({
        scopes: ["openid", "email", "offline_access"],
      });
      expect(
        ofType("token.revoked")
          .map((row) => row.details.token_type)
          .sort(),
      ).toEqual(["access_token", "refresh_token"]);
      expect(ofType("refresh.reuse_detected")[0]).toMatchObject({
        actor: expect.any(String),
        user_id: expect.any(String),
        details: { family_id: expect.any(String) },
      });
      // The first signing key, made by the server at start.
      expect(ofType("key.rotated")[0]).toMatchObject({ actor: "system", ip: null });
      expect(JSON.stringify(rows)).not.toContain("not the password");
    } finally {
      await db.end();
    }
  });
});

describe("METRICS_PORT", () => {
  let latchkey: ServerOnServices;
  let metricsPort: number;
  beforeAll(async () => {
    metricsPort = await freePort();
    latchkey = await startServerOnServices({ METRICS_PORT: String(metricsPort) });
  });
  afterAll(async () => {
    await latchkey?.close();
  });

  it("serves /metrics on its own port only", async () => {
    expect((await fetch(`${latchkey.server.url}/metrics`)).status).toBe(404);
    const text = await scrape(`http://127.0.0.1:${metricsPort}`);
    expect(text).toContain("latchkey_logins_total");
    // Requests to the main port are measured all the same.
    expect(text).toContain('route="unmatched"');
    expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(404);
    expect(
      (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: "POST" })).status,
    ).toBe(404);
  });
});
