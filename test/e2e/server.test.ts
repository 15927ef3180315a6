// The server as operators run it: `node server/main.ts` with nothing but environment
// variables, in the embedded default and on Postgres + Redis.

import net from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDataDirLock } from "../../server/store/data-dir-lock.ts";
import {
  runServerToExit,
  type ServerProcess,
  startServer,
  tempDir,
} from "../helpers/server-process.ts";
import { type ServerOnServices, startServerOnServices } from "../helpers/services.ts";

describe("a bad environment variable", () => {
  it.each([
    [{ PORT: "eighty" }, "PORT"],
    [{ ISSUER: "http://id.example.com" }, "ISSUER"],
    [{ DATABASE_URL: "postgres://127.0.0.1/x" }, "KEY_ENCRYPTION_KEY"],
  ])("stops the start with one line naming it (%j)", async (env, variable) => {
    const { code, stdout, stderr } = await runServerToExit(env);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^latchkey: ${variable}: `));
  });
});

describe("the embedded default", () => {
  let server: ServerProcess;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await tempDir("data");
    server = await startServer({
      DATA_DIR: dataDir,
      KEYS_DIR: await tempDir("keys"),
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("prints the issuer and a demo client and user", () => {
    const out = server.output();
    expect(out).toContain(`Issuer: http://localhost:${server.port}`);
    expect(out).toMatch(/client_id: +\S+/);
    expect(out).toMatch(/client_secret: +\S{43}/);
    expect(out).toContain("redirect_uri:  http://localhost:8080/callback");
    expect(out).toMatch(/email: +demo@example\.com/);
    expect(out).toMatch(/"database":"pglite","store":"memory"/);
  });

  it("serves discovery, JWKS and health with no services configured", async () => {
    const discovery = await fetch(`${server.url}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    const document = (await discovery.json()) as { issuer: string; jwks_uri: string };
    expect(document.issuer).toBe(`http://localhost:${server.port}`);
    const jwks = (await (await fetch(`${server.url}/oauth/jwks`)).json()) as {
      keys: Array<{ kid: string; kty: string }>;
    };
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    expect(jwks.keys[0]?.kty).toBe("RSA");
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({
      status: "ok",
      checks: { database: "ok", store: "ok" },
    });
  });

  it("finishes an in-flight request on SIGTERM, then exits 0", async () => {
    const lock = await readDataDirLock(dataDir);
    expect(lock?.adminToken).toBeTruthy();
    const body = "{}";
    const socket = net.connect(server.port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    let response = "";
    socket.on("data", (chunk) => {
      response += chunk.toString();
    });
    // The request has been received and routed, and its body is still on its way when the
    // signal arrives: the server must wait for it and answer before it exits.
    socket.write(
      [
        "POST /admin/ops/keysList HTTP/1.1",
        "Host: 127.0.0.1",
        `Authorization: Bearer ${lock?.adminToken}`,
        "Content-Type: application/json",
        `Content-Length: ${body.length}`,
        "",
        "",
      ].join("\r\n"),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopped = server.stop("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.child.exitCode).toBeNull();
    socket.write(body);
    expect(await stopped).toBe(0);
    expect(response).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(response).toMatch(/\r\nconnection: close\r\n/i);
    expect(response).toContain('"kid"');
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});

describe("with DATABASE_URL and REDIS_URL", () => {
  let latchkey: ServerOnServices;
  beforeAll(async () => {
    latchkey = await startServerOnServices();
  });
  afterAll(async () => {
    await latchkey?.close();
  });

  it("uses Postgres and Redis and seeds no demo", async () => {
    const { server } = latchkey;
    expect(server.output()).toMatch(/"database":"postgres","store":"redis"/);
    expect(server.output()).not.toContain("client_secret");
    const client = new pg.Client({ connectionString: latchkey.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ kid: string }>("select kid from signing_keys");
      const jwks = (await (await fetch(`${server.url}/oauth/jwks`)).json()) as {
        keys: Array<{ kid: string }>;
      };
      expect(jwks.keys.map((k) => k.kid).sort()).toEqual(rows.map((r) => r.kid).sort());
      const { rows: clients } = await client.query("select id from clients");
      expect(clients).toEqual([]);
    } finally {
      await client.end();
    }
    expect(await (await fetch(`${server.url}/readyz`)).json()).toMatchObject({ status: "ok" });
  });
});
