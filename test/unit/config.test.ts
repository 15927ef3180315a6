import { describe, expect, it } from "vitest";
import { ConfigError, isLoopbackHost, loadConfig, parseDuration } from "../../server/config.ts";

const PG = "postgres://postgres@127.0.0.1:5432/x";
const KEK = Buffer.alloc(32, 7).toString("base64");

describe("loadConfig", () => {
  it("runs the embedded default with no variables at all", () => {
    const config = loadConfig({}, "/srv/app");
    expect(config).toMatchObject({
      port: 3000,
      host: "127.0.0.1",
      issuer: "http://localhost:3000",
      databaseUrl: null,
      redisUrl: null,
      dataDir: "/srv/app/data",
      keysDir: "/srv/app/keys",
      accessTokenTtl: 900,
      authCodeTtl: 60,
      refreshTokenReuseGrace: 0,
      adminApi: true,
      demo: true,
      keyEncryptionKey: null,
      defaultAudience: "http://localhost:3000",
    });
  });

  it("selects Postgres and Redis and turns the development extras off", () => {
    const config = loadConfig({
      DATABASE_URL: PG,
      REDIS_URL: "redis://127.0.0.1:6379",
      KEY_ENCRYPTION_KEY: KEK,
      ISSUER: "https://id.example.com/",
    });
    expect(config.databaseUrl).toBe(PG);
    expect(config.redisUrl).toBe("redis://127.0.0.1:6379");
    expect(config.issuer).toBe("https://id.example.com");
    expect(config.keyEncryptionKey?.length).toBe(32);
    expect(config.demo).toBe(false);
    expect(config.adminApi).toBe(false);
  });

  it("parses durations in every unit", () => {
    const config = loadConfig({
      ACCESS_TOKEN_TTL: "5m",
      REFRESH_TOKEN_IDLE_TTL: "2d",
      ID_TOKEN_TTL: "300",
      REFRESH_TOKEN_REUSE_GRACE: "10s",
    });
    expect(config.accessTokenTtl).toBe(300);
    expect(config.refreshTokenIdleTtl).toBe(172800);
    expect(config.idTokenTtl).toBe(300);
    expect(config.refreshTokenReuseGrace).toBe(10);
  });

  it.each([
    [{ PORT: "http" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ ISSUER: "not a url" }, "ISSUER"],
    [{ ISSUER: "http://id.example.com" }, "ISSUER"],
    [{ ISSUER: "https://id.example.com/?x=1" }, "ISSUER"],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
    [{ DATABASE_URL: PG }, "KEY_ENCRYPTION_KEY"],
    [{ KEY_ENCRYPTION_KEY: "c2hvcnQ=" }, "KEY_ENCRYPTION_KEY"],
    [{ REDIS_URL: "localhost:6379" }, "REDIS_URL"],
    [{ REDIS_PREFIX: "has space" }, "REDIS_PREFIX"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ ACCESS_TOKEN_TTL: "15 minutes" }, "ACCESS_TOKEN_TTL"],
    [{ ACCESS_TOKEN_TTL: "0" }, "ACCESS_TOKEN_TTL"],
    [{ AUTH_CODE_TTL: "1h" }, "AUTH_CODE_TTL"],
    [{ REFRESH_TOKEN_IDLE_TTL: "100d" }, "REFRESH_TOKEN_IDLE_TTL"],
    [{ REFRESH_TOKEN_REUSE_GRACE: "6m" }, "REFRESH_TOKEN_REUSE_GRACE"],
    [{ REFRESH_TOKEN_REUSE_GRACE: "soon" }, "REFRESH_TOKEN_REUSE_GRACE"],
    [{ KEY_ROTATION_INTERVAL: "5m" }, "KEY_ROTATION_INTERVAL"],
    [{ DEMO: "maybe" }, "DEMO"],
    [{ DEFAULT_AUDIENCE: "api" }, "DEFAULT_AUDIENCE"],
  ])("refuses %j and names %s", (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toMatch(new RegExp(`^${variable}: `));
  });
});

describe("parseDuration", () => {
  it.each([
    ["90", 90],
    ["90s", 90],
    ["15m", 900],
    ["12h", 43200],
    ["30d", 2592000],
    ["1.5h", null],
    ["-5s", null],
    ["", null],
  ])("%s → %s", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
});

describe("isLoopbackHost", () => {
  it.each([
    ["localhost", true],
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["[::1]", true],
    ["::1", true],
    ["localhost.example.com", false],
    ["10.0.0.1", false],
    ["example.com", false],
  ])("%s → %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
