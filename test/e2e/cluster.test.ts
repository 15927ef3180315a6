// Two server processes on one Postgres and one Redis, as behind a load balancer without
// sticky sessions: one issuer, and every request may land on either instance. Sessions,
// codes, refresh families, revocations and signing keys made through one are honoured by the
// other, and killing one in the middle of a load of token requests loses no refresh family
// whose tokens a client received.

import { decodeJwt } from "jose";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.ts";
import { rotateKeys } from "../../server/keys/rotation.ts";
import { s256Challenge } from "../../server/oauth/pkce.ts";
import type { Db } from "../../server/store/db/index.ts";
import { digestToken } from "../../server/tokens/opaque.ts";
import { HttpClient, readForms } from "../helpers/http-client.ts";
import { openMigratedPostgres } from "../helpers/keys.ts";
import type { ServerProcess } from "../helpers/server-process.ts";
import { type ServersOnServices, startServersOnServices } from "../helpers/services.ts";
import { basicAuth } from "../helpers/token-fixtures.ts";

const REDIRECT_URI = "http://127.0.0.1:9/callback";
const PASSWORD = "correct horse battery staple";
const VERIFIER = "cluster-test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
const REFRESH_MS = 1000;
// The reload itself, the HTTP round trip and the polling granularity.
const SLACK_MS = 1000;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

let cluster: ServersOnServices;
let a: ServerProcess;
let b: ServerProcess;
let db: Db;
let authorization: string;
let clientId: string;
const browser = new HttpClient();

beforeAll(async () => {
  cluster = await startServersOnServices(2, { KEY_REFRESH_INTERVAL: `${REFRESH_MS / 1000}s` });
  [a, b] = cluster.servers as [ServerProcess, ServerProcess];
  db = await openMigratedPostgres(cluster.databaseUrl);
  await cluster.data.user("ada@example.com", PASSWORD, "Ada Lovelace");
  const client = await cluster.data.client({
    name: "Cluster RP",
    redirectUris: [REDIRECT_URI],
    authMethod: "client_secret_basic",
    grantTypes: ["authorization_code", "refresh_token"],
    scope: "openid profile offline_access",
  });
  clientId = client.clientId;
  authorization = basicAuth(client.clientId, client.secret ?? "");
});

afterAll(async () => {
  await db?.destroy();
  await cluster?.close();
});

function authorizeUrl(server: ServerProcess, prompt?: "none"): string {
  const params = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    scope: "openid profile offline_access",
    state: "s-1",
    code_challenge: s256Challenge(VERIFIER),
    code_challenge_method: "S256",
    ...(prompt ? { prompt } : {}),
  });
  return `${server.url}/oauth/authorize?${params}`;
}

/** A form POST with the client's Basic credentials. */
async function post(
  server: ServerProcess,
  path: string,
  form: Record<string, string>,
): Promise<Reply> {
  const res = await request(`${server.url}${path}`, {
    method: "POST",
    headers: { authorization, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

/** A code for the browser's session, straight from `server` with prompt=none. */
async function silentCode(server: ServerProcess): Promise<string> {
  const res = await browser.send(authorizeUrl(server, "none"));
  expect(res.status).toBe(302);
  const callback = new URL(String(res.headers.location));
  expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
  expect(callback.searchParams.get("iss")).toBe(cluster.issuer);
  return callback.searchParams.get("code") ?? "";
}

function redeem(server: ServerProcess, code: string): Promise<Reply> {
  return post(server, "/oauth/token", {
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: VERIFIER,
  });
}

function refresh(server: ServerProcess, refreshToken: string): Promise<Reply> {
  return post(server, "/oauth/token", { grant_type: "refresh_token", refresh_token: refreshToken });
}

/** A fresh refresh family: a code from `from`, redeemed at `at`. */
async function tokens(from: ServerProcess, at: ServerProcess): Promise<Record<string, string>> {
  const res = await redeem(at, await silentCode(from));
  expect(res.status).toBe(200);
  return res.body as Record<string, string>;
}

async function servedKids(server: ServerProcess): Promise<string[]> {
  const res = await request(`${server.url}/oauth/jwks`);
  const { keys } = (await res.body.json()) as { keys: Array<{ kid: string }> };
  return keys.map((key) => key.kid);
}

describe("two instances on one Postgres and one Redis", () => {
  let codeFromA: string;

  it("honours at B a login session made on A", async () => {
    const loginPage = await browser.follow(authorizeUrl(a), REDIRECT_URI);
    expect(loginPage.status).toBe(200);
    const login = readForms(loginPage.body, loginPage.url).find((f) => "password" in f.fields);
    expect(login).toBeDefined();
    const consentPage = await browser.follow(login!.action, REDIRECT_URI, {
      method: "POST",
      form: { ...login!.fields, email: "ada@example.com", password: PASSWORD },
    });
    expect(consentPage.status).toBe(200);
    const consent = readForms(consentPage.body, consentPage.url).find((f) =>
      f.buttons.some((button) => button.name === "decision"),
    );
    const callback = await browser.follow(consent!.action, REDIRECT_URI, {
      method: "POST",
      form: { ...consent!.fields, decision: "allow" },
    });
    expect(callback.url.startsWith(REDIRECT_URI)).toBe(true);
    codeFromA = new URL(callback.url).searchParams.get("code") ?? "";
    expect(codeFromA).not.toBe("");

    const atB = await silentCode(b);
    expect(atB).not.toBe("");
    expect(atB).not.toBe(codeFromA);
  });

  it("redeems at B a code issued by A, once", async () => {
    const res = await redeem(b, codeFromA);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: "Bearer", refresh_token: expect.any(String) });
    expect(decodeJwt(String(res.body.id_token))).toMatchObject({
      iss: cluster.issuer,
      aud: clientId,
    });
    const again = await redeem(a, codeFromA);
    expect({ status: again.status, error: again.body.error }).toEqual({
      status: 400,
      error: "invalid_grant",
    });
  });

  it("detects at B the reuse of a refresh token rotated on A and revokes the family", async () => {
    const first = await tokens(a, a);
    const rotated = await refresh(a, first.refresh_token!);
    expect(rotated.status).toBe(200);

    const reused = await refresh(b, first.refresh_token!);
    expect({ status: reused.status, error: reused.body.error }).toEqual({
      status: 400,
      error: "invalid_grant",
    });
    const successor = await refresh(a, String(rotated.body.refresh_token));
    expect({ status: successor.status, error: successor.body.error }).toEqual({
      status: 400,
      error: "invalid_grant",
    });
  });

  it("rejects at A's userinfo and introspection an access token revoked at B", async () => {
    const { access_token: accessToken } = await tokens(b, a);
    const userinfo = (server: ServerProcess) =>
      request(`${server.url}/oauth/userinfo`, {
        headers: { authorization: `Bearer ${accessToken}` },
      }).then(async (res) => ({ status: res.statusCode, headers: res.headers, body: res.body }));

    const before = await userinfo(a);
    await before.body.dump();
    expect(before.status).toBe(200);
    expect((await post(a, "/oauth/introspect", { token: accessToken! })).body.active).toBe(true);

    const revoked = await post(b, "/oauth/revoke", { token: accessToken! });
    expect(revoked.status).toBe(200);

    const after = await userinfo(a);
    await after.body.dump();
    expect(after.status).toBe(401);
    expect(String(after.headers["www-authenticate"])).toMatch(/error="invalid_token"/);
    const introspection = await post(a, "/oauth/introspect", { token: accessToken! });
    expect({ status: introspection.status, body: introspection.body }).toEqual({
      status: 200,
      body: { active: false },
    });
  });

  it("publishes a rotation in both JWKS within KEY_REFRESH_INTERVAL", async () => {
    const before = await servedKids(a);
    expect(await servedKids(b)).toEqual(before);
    const rotation = await rotateKeys({
      db,
      kek: Buffer.from(cluster.env.KEY_ENCRYPTION_KEY!, "base64"),
      config: loadConfig(cluster.env),
      now: () => new Date(),
    });
    const rotatedAt = Date.now();

    const seen = await Promise.all(
      [a, b].map(async (server) => {
        for (;;) {
          const kids = await servedKids(server);
          if (kids.includes(rotation.kid)) return { elapsed: Date.now() - rotatedAt, kids };
          if (Date.now() - rotatedAt > 10 * REFRESH_MS) return { elapsed: Infinity, kids };
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }),
    );
    for (const { elapsed, kids } of seen) {
      expect(elapsed).toBeLessThanOrEqual(REFRESH_MS + SLACK_MS);
      expect(kids).toEqual([...before, rotation.kid]);
    }
  });

  it("loses no refresh family a client was told about when an instance is killed under load", async () => {
    const FAMILIES = 8;
    const ROUNDS = 25;
    const KILL_AFTER = 60;

    // Families started with codes from one instance, redeemed at the other.
    const families = await Promise.all(
      Array.from({ length: FAMILIES }, async (_, index) => {
        const [from, at] = index % 2 === 0 ? [a, b] : [b, a];
        return {
          // The newest refresh token the client received in a 200 response.
          latest: (await tokens(from, at)).refresh_token!,
          // Set when a request presenting `latest` got no answer: it died with A.
          unanswered: false,
        };
      }),
    );

    let answered = 0;
    let answeredAfterKill = 0;
    let killed = false;
    const killedA = new Promise<void>((resolve) => a.child.once("exit", () => resolve()));

    // Each family is one client refreshing as fast as it can, alternating instances as a
    // round-robin balancer would, and only at B once A is gone.
    await Promise.all(
      families.map(async (family, index) => {
        for (let round = 0; round < ROUNDS; round++) {
          const server = killed || (index + round) % 2 === 0 ? b : a;
          let res: Reply;
          try {
            res = await refresh(server, family.latest);
          } catch {
            expect(server).toBe(a);
            expect(killed).toBe(true);
            family.unanswered = true;
            return;
          }
          expect({ status: res.status, body: res.body }).toMatchObject({
            status: 200,
            body: { refresh_token: expect.any(String) },
          });
          family.latest = String(res.body.refresh_token);
          answered++;
          if (killed) answeredAfterKill++;
          if (answered === KILL_AFTER) {
            killed = true;
            a.child.kill("SIGKILL");
          }
        }
      }),
    );
    await killedA;
    expect(a.child.signalCode).toBe("SIGKILL");
    expect(answeredAfterKill).toBeGreaterThan(0);

    for (const family of families) {
      if (family.unanswered) {
        // A may have committed the rotation before it died: then the latest token was rotated
        // by this client's own request, and its family must be alive with the successor.
        const row = await db
          .selectFrom("refresh_tokens as t")
          .innerJoin("refresh_families as f", "f.id", "t.family_id")
          .select(["t.rotated_at", "t.successor_digest", "f.revoked_at"])
          .where("t.digest", "=", digestToken(family.latest))
          .executeTakeFirstOrThrow();
        expect(row.revoked_at).toBeNull();
        if (row.rotated_at !== null) {
          expect(row.successor_digest).toEqual(expect.any(String));
          continue;
        }
      }
      const res = await refresh(b, family.latest);
      expect({ status: res.status, error: res.body.error }).toEqual({
        status: 200,
        error: undefined,
      });
    }
  });
});
