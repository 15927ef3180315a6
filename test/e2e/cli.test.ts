// Every `latchkey` command as a child process against a running server, in the embedded
// default (through the server's admin API; directly on DATA_DIR when no server runs) and on
// Postgres + Redis (directly on Postgres, next to the server).

import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s256Challenge } from "../../server/oauth/pkce.ts";
import { type CliResult, runCli } from "../helpers/cli.ts";
import { HttpClient, readForms } from "../helpers/http-client.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/pg.ts";
import { deleteKeysWithPrefix, REDIS_URL, uniquePrefix } from "../helpers/redis.ts";
import { type ServerProcess, startServer, tempDir } from "../helpers/server-process.ts";

interface ClientJson {
  client_id: string;
  client_secret?: string;
  client_name: string;
  token_endpoint_auth_method: string;
  redirect_uris: string[];
  grant_types: string[];
  scope: string;
  skip_consent: boolean;
  jwks: unknown;
}
interface UserJson {
  id: string;
  email: string;
  name: string | null;
  locked: boolean;
  locked_at: string | null;
}
interface LogoutAllJson {
  user: UserJson;
  sessions_ended_before: string;
  refresh_families_revoked: number;
}
interface KeyJson {
  kid: string;
  alg: string;
  state: string;
  activates_at: string;
}

function ok(result: CliResult): string {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return result.stdout;
}

function json<T>(result: CliResult): T {
  return JSON.parse(ok(result)) as T;
}

/** Failure: the exit code, nothing on stdout, exactly one line on stderr. */
function failed(result: CliResult, code = 1): string {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(/^latchkey: [^\n]+\n$/);
  return result.stderr.trim();
}

/** The same contract in both modes; `env()` is the environment of the running server. */
function everyCommand(env: () => Record<string, string>, jwksUrl: () => string) {
  const cli = (args: string[], stdin?: string) => runCli(args, env(), stdin);
  const state = { web: "", webSecret: "", machine: "", spa: "" };

  it("migrate: nothing left to apply on a running server", async () => {
    expect(json(await cli(["migrate", "--json"]))).toEqual({ applied: [] });
    expect(ok(await cli(["migrate"]))).toBe("The database is up to date.\n");
  });

  it("client create: a confidential web client, its secret shown once", async () => {
    const created = json<ClientJson>(
      await cli([
        "client",
        "create",
        "--json",
        "--name",
        "Web app",
        "--redirect-uri",
        "https://app.example.com/callback",
        "--redirect-uri",
        "http://127.0.0.1:4000/cb",
        "--post-logout-redirect-uri",
        "https://app.example.com/bye",
        "--scope",
        "openid email",
        "--skip-consent",
      ]),
    );
    expect(created).toMatchObject({
      client_name: "Web app",
      token_endpoint_auth_method: "client_secret_basic",
      redirect_uris: ["https://app.example.com/callback", "http://127.0.0.1:4000/cb"],
      grant_types: ["authorization_code", "refresh_token"],
      scope: "openid email",
      skip_consent: true,
    });
    expect(Object.keys(created).slice(0, 2)).toEqual(["client_id", "client_secret"]);
    expect(created.client_secret).toMatch(/^[\w-]{43}$/);
    state.web = created.client_id;
    state.webSecret = created.client_secret!;
  });

  it("client create: a machine client, a public client and a private_key_jwt client", async () => {
    const text = ok(await cli(["client", "create", "--name", "Billing service"]));
    expect(text).toMatch(/^Created client "Billing service"\.\n/);
    expect(text).toMatch(/client_secret: +[\w-]{43}\n/);
    expect(text).toMatch(/grant types: +client_credentials\n/);
    expect(text).toContain("The client secret is shown only this once");
    state.machine = /client_id: +(\S+)/.exec(text)![1]!;

    const spa = json<ClientJson>(
      await cli([
        "client",
        "create",
        "--name",
        "SPA",
        "--auth-method",
        "none",
        "--redirect-uri",
        "http://localhost:5173/cb",
        "--grant-type",
        "authorization_code",
        "--json",
      ]),
    );
    expect(spa).not.toHaveProperty("client_secret");
    expect(spa).toMatchObject({
      grant_types: ["authorization_code"],
      scope: "openid profile email",
    });
    state.spa = spa.client_id;

    const jwks = { keys: [{ kty: "EC", crv: "P-256", x: "eA", y: "eQ", kid: "k1" }] };
    const file = path.join(await tempDir("jwks"), "jwks.json");
    await writeFile(file, JSON.stringify(jwks));
    const signer = json<ClientJson>(
      await cli([
        "client",
        "create",
        "--name",
        "Signer",
        "--auth-method",
        "private_key_jwt",
        "--jwks",
        file,
        "--json",
      ]),
    );
    expect(signer).not.toHaveProperty("client_secret");
    expect(signer.jwks).toEqual(jwks);
  });

  it("client create: a bad redirect URI or combination fails with one line", async () => {
    const [http, fragment, publicMachine, noName] = await Promise.all([
      cli(["client", "create", "--name", "x", "--redirect-uri", "http://evil.example/cb"]),
      cli(["client", "create", "--name", "x", "--redirect-uri", "https://a.example/cb#x"]),
      cli([
        "client",
        "create",
        "--name",
        "x",
        "--auth-method",
        "none",
        "--grant-type",
        "client_credentials",
      ]),
      cli(["client", "create", "--redirect-uri", "https://a.example/cb"]),
    ]);
    expect(failed(http)).toBe(
      'latchkey: Invalid redirect URI "http://evil.example/cb": it must use https (http is allowed only for loopback hosts).',
    );
    expect(failed(fragment)).toContain("must not contain a fragment");
    expect(failed(publicMachine)).toBe(
      "latchkey: A public client (auth method none) cannot use client_credentials.",
    );
    expect(failed(noName, 2)).toBe("latchkey: missing --name (see latchkey client create --help)");
  });

  it("client list and show: the clients, never a secret", async () => {
    const listed = await cli(["client", "list", "--json"]);
    const clients = json<ClientJson[]>(listed);
    expect(clients.map((c) => c.client_id)).toEqual(
      expect.arrayContaining([state.web, state.machine, state.spa]),
    );
    const shown = await cli(["client", "show", state.web, "--json"]);
    expect(json<ClientJson>(shown)).toMatchObject({ client_id: state.web, client_name: "Web app" });
    const text = await cli(["client", "list"]);
    expect(ok(text)).toMatch(/^CLIENT ID +NAME +AUTH METHOD +GRANT TYPES\n/);
    expect(text.stdout).toContain(state.web);
    const showText = ok(await cli(["client", "show", state.web]));
    expect(showText).toMatch(/redirect URIs: +https:\/\/app\.example\.com\/callback http:\/\/127/);
    for (const output of [listed.stdout, shown.stdout, text.stdout, showText]) {
      expect(output).not.toContain(state.webSecret);
      expect(output).not.toMatch(/"client_secret"|client_secret:|digest/);
    }
  });

  it("client rotate-secret: a new secret; none for a public client", async () => {
    const rotated = json<ClientJson>(await cli(["client", "rotate-secret", state.web, "--json"]));
    expect(rotated.client_id).toBe(state.web);
    expect(rotated.client_secret).toMatch(/^[\w-]{43}$/);
    expect(rotated.client_secret).not.toBe(state.webSecret);
    expect(failed(await cli(["client", "rotate-secret", state.spa]))).toBe(
      `latchkey: Client ${state.spa} uses none and has no secret to rotate.`,
    );
  });

  it("client delete: then the id is unknown", async () => {
    const deleted = json<ClientJson>(await cli(["client", "delete", state.machine, "--json"]));
    expect(deleted.client_id).toBe(state.machine);
    expect(failed(await cli(["client", "show", state.machine]))).toBe(
      `latchkey: No client with id ${state.machine}.`,
    );
    expect(failed(await cli(["client", "delete", "no-such-client"]))).toBe(
      "latchkey: No client with id no-such-client.",
    );
    expect(ok(await cli(["client", "delete", state.spa]))).toBe(
      `Deleted client "SPA" (${state.spa}).\n`,
    );
  });

  it("user create: id and email; duplicates and weak passwords refused", async () => {
    const user = json<UserJson>(
      await cli([
        "user",
        "create",
        "--email",
        " Alice@Example.com",
        "--password",
        "correct horse",
        "--name",
        "Alice",
        "--json",
      ]),
    );
    expect(Object.keys(user).slice(0, 2)).toEqual(["id", "email"]);
    expect(user).toMatchObject({ email: "alice@example.com", name: "Alice", locked: false });
    expect(JSON.stringify(user)).not.toMatch(/horse|argon2/);

    const fromStdin = ok(
      await cli(["user", "create", "--email", "bob@example.com"], "piped password\n"),
    );
    expect(fromStdin).toMatch(/^Created user bob@example\.com\.\n/);

    const [duplicate, weak, invalid] = await Promise.all([
      cli(["user", "create", "--email", "alice@EXAMPLE.com", "--password", "whatever-7q"]),
      cli(["user", "create", "--email", "carol@example.com", "--password", "short"]),
      cli(["user", "create", "--email", "not-an-email", "--password", "whatever-7q"]),
    ]);
    expect(failed(duplicate)).toBe("latchkey: A user with email alice@example.com already exists.");
    expect(failed(weak)).toBe("latchkey: The password must have at least 8 characters.");
    expect(failed(invalid)).toBe('latchkey: "not-an-email" is not a valid email address.');
  });

  it("user set-password: from --password or from stdin", async () => {
    const set = json<UserJson>(
      await cli([
        "user",
        "set-password",
        "alice@example.com",
        "--password",
        "battery staple",
        "--json",
      ]),
    );
    expect(set.email).toBe("alice@example.com");
    expect(ok(await cli(["user", "set-password", "bob@example.com"], "another piped one\n"))).toBe(
      "Set a new password for bob@example.com.\n",
    );
    expect(failed(await cli(["user", "set-password", "bob@example.com"], ""), 2)).toBe(
      "latchkey: no new password given on stdin",
    );
  });

  it("user create --email-verified and user verify: email_verified as the operator vouches", async () => {
    const vouched = json<UserJson & { email_verified: boolean }>(
      await cli([
        "user",
        "create",
        "--email",
        "carol@example.com",
        "--password",
        "correct horse battery staple",
        "--email-verified",
        "--json",
      ]),
    );
    expect(vouched.email_verified).toBe(true);
    const plain = json<UserJson & { email_verified: boolean }>(
      await cli([
        "user",
        "create",
        "--email",
        "dave@example.com",
        "--password",
        "correct horse battery staple",
        "--json",
      ]),
    );
    expect(plain.email_verified).toBe(false);
    expect(ok(await cli(["user", "verify", "Dave@example.com"]))).toBe(
      "Marked dave@example.com as verified.\n",
    );
    expect(
      json<UserJson & { email_verified: boolean }>(
        await cli(["user", "show", "dave@example.com", "--json"]),
      ).email_verified,
    ).toBe(true);
    expect(failed(await cli(["user", "verify", "nobody@example.com"]))).toBe(
      "latchkey: No user with email nobody@example.com.",
    );
  });

  it("user lock, unlock, show and delete", async () => {
    const locked = json<UserJson>(await cli(["user", "lock", "alice@example.com", "--json"]));
    expect(locked.locked).toBe(true);
    expect(ok(await cli(["user", "show", "Alice@example.com"]))).toMatch(
      /email: +alice@example\.com\nname: +Alice\n[\s\S]*locked: +\d{4}-/,
    );
    expect(ok(await cli(["user", "unlock", "alice@example.com"]))).toBe(
      "Unlocked alice@example.com.\n",
    );
    expect(
      json<UserJson>(await cli(["user", "show", "alice@example.com", "--json"])).locked_at,
    ).toBeNull();
    const deleted = json<UserJson>(await cli(["user", "delete", "bob@example.com", "--json"]));
    expect(deleted.email).toBe("bob@example.com");
    expect(failed(await cli(["user", "show", "bob@example.com"]))).toBe(
      "latchkey: No user with email bob@example.com.",
    );
    expect(failed(await cli(["user", "lock", "nobody@example.com"]))).toBe(
      "latchkey: No user with email nobody@example.com.",
    );
  });

  it("user totp: a secret, its otpauth URI and recovery codes shown once; --remove turns it off", async () => {
    const enrolled = json<{
      user: UserJson;
      otpauth_uri: string;
      secret: string;
      recovery_codes: string[];
    }>(await cli(["user", "totp", "alice@example.com", "--json"]));
    expect(enrolled.user.email).toBe("alice@example.com");
    expect(enrolled.secret).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    const uri = new URL(enrolled.otpauth_uri);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.searchParams.get("secret")).toBe(enrolled.secret.replaceAll(" ", ""));
    expect(enrolled.recovery_codes).toHaveLength(10);

    const text = ok(await cli(["user", "totp", "alice@example.com"]));
    expect(text).toMatch(/^Turned two-step verification on for alice@example\.com\.\n/);
    expect(text).toMatch(/secret: +([A-Z2-7]{4} ){7}[A-Z2-7]{4}\n/);
    expect(text.match(/^ {2}[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/gm)).toHaveLength(10);

    const removed = json<{ user: UserJson; removed: boolean }>(
      await cli(["user", "totp", "alice@example.com", "--remove", "--json"]),
    );
    expect(removed.removed).toBe(true);
    expect(ok(await cli(["user", "totp", "alice@example.com", "--remove"]))).toBe(
      "alice@example.com had no two-step verification.\n",
    );
    expect(failed(await cli(["user", "totp", "nobody@example.com"]))).toBe(
      "latchkey: No user with email nobody@example.com.",
    );
  });

  it("user logout-all: the user's sessions end and their refresh tokens stop working", async () => {
    const base = jwksUrl().replace(/\/oauth\/jwks$/, "");
    const callback = "http://127.0.0.1:9/cb";
    const app = json<ClientJson>(
      await cli([
        "client",
        "create",
        "--name",
        "Mail",
        "--redirect-uri",
        callback,
        "--scope",
        "openid offline_access",
        "--skip-consent",
        "--json",
      ]),
    );
    const verifier = randomBytes(32).toString("base64url");
    const authorize = (extra: Record<string, string> = {}) =>
      `${base}/oauth/authorize?${new URLSearchParams({
        response_type: "code",
        client_id: app.client_id,
        redirect_uri: callback,
        scope: "openid offline_access",
        code_challenge: s256Challenge(verifier),
        code_challenge_method: "S256",
        ...extra,
      })}`;
    const browser = new HttpClient();
    const loginPage = await browser.follow(authorize(), callback);
    const [login] = readForms(loginPage.body, loginPage.url);
    const landed = await browser.follow(login!.action, callback, {
      method: "POST",
      form: { ...login!.fields, email: "alice@example.com", password: "battery staple" },
    });
    const token = (params: Record<string, string>) =>
      fetch(`${base}/oauth/token`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString("base64")}`,
        },
        body: new URLSearchParams(params),
      });
    const issued = await token({
      grant_type: "authorization_code",
      code: new URL(landed.url).searchParams.get("code") ?? "",
      redirect_uri: callback,
      code_verifier: verifier,
    });
    const { refresh_token } = (await issued.json()) as { refresh_token: string };
    const silently = async () =>
      new URL((await browser.follow(authorize({ prompt: "none" }), callback)).url).searchParams;
    expect((await silently()).get("code")).not.toBeNull();

    const result = json<LogoutAllJson>(
      await cli(["user", "logout-all", "alice@example.com", "--json"]),
    );
    expect(result).toMatchObject({
      user: { email: "alice@example.com" },
      refresh_families_revoked: 1,
    });
    expect(Date.parse(result.sessions_ended_before)).toBeLessThanOrEqual(Date.now());
    expect((await silently()).get("error")).toBe("login_required");
    const refreshed = await token({ grant_type: "refresh_token", refresh_token });
    expect(refreshed.status).toBe(400);
    expect(await refreshed.json()).toMatchObject({ error: "invalid_grant" });

    expect(ok(await cli(["user", "logout-all", "alice@example.com"]))).toMatch(
      /^Logged alice@example\.com out everywhere\.\n\nsessions ended: +every session started before \d{4}-[^\n]+\nrefresh tokens: +0 families revoked\n$/,
    );
    expect(failed(await cli(["user", "logout-all", "nobody@example.com"]))).toBe(
      "latchkey: No user with email nobody@example.com.",
    );
    ok(await cli(["client", "delete", app.client_id]));
  });

  it("keys list and rotate: the next key is published at once and signs later", async () => {
    const before = json<KeyJson[]>(await cli(["keys", "list", "--json"]));
    expect(before.find((k) => k.state === "active")).toMatchObject({ alg: "RS256" });
    const after = json<KeyJson[]>(await cli(["keys", "rotate", "--json"]));
    // In signing order: the last key is the one taking over.
    const rotation = after.at(-1)!;
    expect(before.map((k) => k.kid)).not.toContain(rotation.kid);
    expect(rotation).toMatchObject({ alg: "RS256", state: "next" });
    expect(Date.parse(rotation.activates_at)).toBeGreaterThan(Date.now());
    expect(after.map((k) => k.kid)).toEqual(expect.arrayContaining(before.map((k) => k.kid)));
    const text = ok(await cli(["keys", "list"]));
    expect(text).toMatch(/^KID +ALG +STATE +CREATED +ACTIVATES +RETIRES +EXPIRES\n/);
    expect(text).toMatch(new RegExp(`${rotation.kid} +RS256 +next`));
    // The running server publishes it within its key refresh interval.
    let published = "";
    for (let i = 0; i < 40 && !published.includes(rotation.kid); i++) {
      published = await (await fetch(jwksUrl())).text();
      if (!published.includes(rotation.kid)) await sleep(100);
    }
    expect(published).toContain(rotation.kid);
  });

  it("audit: the operator's changes, newest last, filtered by --since, --type and --limit", async () => {
    type EventJson = { at: string; type: string; actor: string | null; user_id: string | null };
    const events = json<EventJson[]>(await cli(["audit", "--since", "1h", "--json"]));
    const types = events.map((e) => e.type);
    for (const type of ["client.created", "user.created", "account.locked", "key.rotated"]) {
      expect(types).toContain(type);
    }
    expect(types).toContain("account.unlocked");
    expect(events.find((e) => e.type === "key.rotated" && e.actor === "operator")).toBeDefined();
    const times = events.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const created = json<EventJson[]>(await cli(["audit", "--type", "user.created", "--json"]));
    expect(created.length).toBeGreaterThan(0);
    expect(created.every((e) => e.type === "user.created" && e.actor === "operator")).toBe(true);
    const last = json<EventJson[]>(await cli(["audit", "--limit", "1", "--json"]));
    expect(last).toEqual([events.at(-1)]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(json(await cli(["audit", "--since", future, "--json"]))).toEqual([]);
    const text = ok(await cli(["audit", "--type", "key.rotated"]));
    expect(text).toMatch(/^TIME +TYPE +ACTOR +USER +CLIENT +IP +REQUEST ID +DETAILS\n/);
    expect(text).toMatch(/ key\.rotated +operator /);
    expect(failed(await cli(["audit", "--since", "yesterday"]))).toContain('"yesterday"');
  });

  it("usage errors exit 2 with one line; --help documents every level", async () => {
    const [unknownOption, unknownCommand, none, help, groupHelp, commandHelp] = await Promise.all([
      cli(["client", "create", "--name", "x", "--colour", "red"]),
      cli(["launch"]),
      cli([]),
      cli(["--help"]),
      cli(["user", "--help"]),
      cli(["user", "set-password", "--help"]),
    ]);
    expect(failed(unknownOption, 2)).toBe(
      "latchkey: unknown option --colour (see latchkey client create --help)",
    );
    expect(failed(unknownCommand, 2)).toBe(
      'latchkey: unknown command "launch" (see latchkey --help)',
    );
    expect(failed(none, 2)).toBe("latchkey: missing command (see latchkey --help)");
    expect(ok(help)).toContain("client rotate-secret ID");
    expect(ok(groupHelp)).toContain("set-password");
    expect(ok(commandHelp)).toContain("Usage: latchkey user set-password EMAIL [options]");
  });

  it("a bad environment variable fails with its name", async () => {
    const result = await runCli(["client", "list"], { ...env(), LOG_LEVEL: "loud" });
    expect(failed(result)).toMatch(/^latchkey: LOG_LEVEL: "loud" is not one of /);
  });
}

describe("latchkey in the embedded default", () => {
  let server: ServerProcess;
  let env: Record<string, string>;
  beforeAll(async () => {
    env = {
      DATA_DIR: await tempDir("cli-data"),
      KEYS_DIR: await tempDir("cli-keys"),
      KEY_REFRESH_INTERVAL: "1s",
    };
    server = await startServer({ ...env, DEMO: "off" });
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe("while the server runs (through its admin API)", () => {
    everyCommand(
      () => env,
      () => `${server.url}/oauth/jwks`,
    );

    it("sent every command to the server's admin API", () => {
      const output = server.output();
      const ops = ["migrate", "clientCreate", "clientList", "userSetPassword", "userLogoutAll"];
      for (const op of [...ops, "keysRotate"]) {
        expect(output).toContain(`"path":"/admin/ops/${op}"`);
      }
      // Request logs name the path only: no bodies, no passwords or secrets.
      expect(output).not.toMatch(/correct horse|battery staple|piped password/);
    });
  });

  describe("when no server runs", () => {
    beforeAll(async () => {
      expect(await server.stop()).toBe(0);
    });

    it("opens DATA_DIR itself, sees what was done through the server, and lets go", async () => {
      const clients = json<ClientJson[]>(await runCli(["client", "list", "--json"], env));
      expect(clients.map((c) => c.client_name)).toEqual(["Web app", "Signer"]);
      const user = json<UserJson>(
        await runCli(
          ["user", "create", "--email", "dan@example.com", "--password", "offline-pass", "--json"],
          env,
        ),
      );
      expect(user.email).toBe("dan@example.com");
      expect(json<KeyJson[]>(await runCli(["keys", "list", "--json"], env)).length).toBeGreaterThan(
        1,
      );
      // A server starts afterwards: the CLI released the folder.
      server = await startServer({ ...env, DEMO: "off" });
      expect(
        json<UserJson>(await runCli(["user", "show", "dan@example.com", "--json"], env)).id,
      ).toBe(user.id);
      await server.stop();
    });

    it("explains that a server without the admin API holds DATA_DIR", async () => {
      server = await startServer({ ...env, DEMO: "off", ADMIN_API: "off" });
      const pid = server.child.pid;
      expect(failed(await runCli(["client", "list"], env))).toBe(
        `latchkey: DATA_DIR ${env.DATA_DIR} is in use by the latchkey server (pid ${pid}), which is still starting or runs with ADMIN_API=off`,
      );
    });
  });
});

describe("latchkey with DATABASE_URL and REDIS_URL", () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let env: Record<string, string>;
  const prefix = uniquePrefix();
  beforeAll(async () => {
    database = await createTestDatabase();
    env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      KEY_REFRESH_INTERVAL: "1s",
      DATA_DIR: await tempDir("cli-unused-data"),
      KEYS_DIR: await tempDir("cli-unused-keys"),
    };
    server = await startServer(env);
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
    await deleteKeysWithPrefix(prefix);
  });

  describe("while the server runs (directly on Postgres)", () => {
    everyCommand(
      () => env,
      () => `${server.url}/oauth/jwks`,
    );

    it("never used an admin API", () => {
      expect(server.output()).not.toContain("/admin/");
    });
  });

  it("user logout-all needs REDIS_URL next to DATABASE_URL", async () => {
    const result = await runCli(["user", "logout-all", "alice@example.com"], {
      ...env,
      REDIS_URL: "",
    });
    expect(failed(result)).toBe(
      "latchkey: ending sessions needs REDIS_URL next to DATABASE_URL: without it every server keeps its sessions in its own memory, out of the CLI's reach",
    );
  });

  it("reports an unreachable database in one line", async () => {
    const url = new URL(database.url);
    url.pathname = "/latchkey_test_does_not_exist";
    const result = await runCli(["client", "list"], { ...env, DATABASE_URL: url.href });
    expect(failed(result)).toBe('latchkey: database "latchkey_test_does_not_exist" does not exist');
  });

  it("applies migrations to an empty database", async () => {
    const empty = await createTestDatabase();
    try {
      const emptyEnv = { ...env, DATABASE_URL: empty.url };
      expect(failed(await runCli(["client", "list"], emptyEnv))).toBe(
        "latchkey: the database has no latchkey tables yet: run latchkey migrate",
      );
      const { applied } = json<{ applied: string[] }>(
        await runCli(["migrate", "--json"], emptyEnv),
      );
      expect(applied[0]).toBe("20261202000000_initial");
      expect(json(await runCli(["client", "list", "--json"], emptyEnv))).toEqual([]);
    } finally {
      await empty.drop();
    }
  });
});
