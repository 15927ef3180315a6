// The options of login throttling and CORS, and the growth of the lock period.

import { describe, expect, it } from "vitest";
import { lockoutSeconds } from "../../server/accounts/login-throttle.ts";
import { ConfigError, loadConfig } from "../../server/config.ts";

describe("login throttling options", () => {
  it("default to 10 failures per account, 100 per IP in 1 hour, locks of 1 minute to 1 hour", () => {
    expect(loadConfig({}, "/tmp")).toMatchObject({
      loginMaxFailures: 10,
      loginMaxFailuresPerIp: 100,
      loginFailureWindow: 3600,
      loginLockoutBase: 60,
      loginLockoutMax: 3600,
    });
  });

  it.each([
    [{ LOGIN_MAX_FAILURES: "0" }, "LOGIN_MAX_FAILURES"],
    [{ LOGIN_MAX_FAILURES: "101" }, "LOGIN_MAX_FAILURES"],
    [{ LOGIN_MAX_FAILURES: "ten" }, "LOGIN_MAX_FAILURES"],
    [{ LOGIN_MAX_FAILURES_PER_IP: "-1" }, "LOGIN_MAX_FAILURES_PER_IP"],
    [{ LOGIN_FAILURE_WINDOW: "0s" }, "LOGIN_FAILURE_WINDOW"],
    [{ LOGIN_LOCKOUT_BASE: "2h" }, "LOGIN_LOCKOUT_BASE"],
    [{ LOGIN_LOCKOUT_MAX: "soon" }, "LOGIN_LOCKOUT_MAX"],
  ])("refuses %j and names %s", (env, variable) => {
    expect(() => loadConfig(env, "/tmp")).toThrow(ConfigError);
    expect(() => loadConfig(env, "/tmp")).toThrow(`${variable}: `);
  });

  it.each([
    [1, 60],
    [2, 120],
    [3, 240],
    [6, 1920],
    [7, 3600],
    [100, 3600],
  ])("makes lock number %i last %i seconds", (lockouts, seconds) => {
    const config = loadConfig({}, "/tmp");
    expect(lockoutSeconds(config, lockouts)).toBe(seconds);
  });
});

describe("CORS options", () => {
  it("default to no extra origins and no introspection", () => {
    expect(loadConfig({}, "/tmp")).toMatchObject({ corsOrigins: [], corsIntrospection: false });
  });

  it("read a comma-separated list of origins, or *", () => {
    expect(
      loadConfig(
        { CORS_ORIGINS: " https://a.example , http://localhost:5173/,https://A.example" },
        "/tmp",
      ).corsOrigins,
    ).toEqual(["https://a.example", "http://localhost:5173"]);
    expect(loadConfig({ CORS_ORIGINS: "*", CORS_INTROSPECTION: "on" }, "/tmp")).toMatchObject({
      corsOrigins: ["*"],
      corsIntrospection: true,
    });
  });

  it.each(["https://a.example/path", "a.example", "ftp://a.example", "*, https://a.example"])(
    "refuses CORS_ORIGINS=%s",
    (value) => {
      expect(() => loadConfig({ CORS_ORIGINS: value }, "/tmp")).toThrow("CORS_ORIGINS: ");
    },
  );
});
