// The configuration options of the authorization endpoint and login sessions.

import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config.ts";

describe("login session and PKCE options", () => {
  it("default to 30 minutes idle, 12 hours absolute and PKCE for every client", () => {
    expect(loadConfig({}, "/tmp")).toMatchObject({
      sessionIdleTtl: 1800,
      sessionAbsoluteTtl: 43200,
      pkceRequired: true,
    });
  });

  it("read durations and the flag", () => {
    expect(
      loadConfig(
        { SESSION_IDLE_TTL: "5m", SESSION_ABSOLUTE_TTL: "1d", PKCE_REQUIRED: "off" },
        "/tmp",
      ),
    ).toMatchObject({ sessionIdleTtl: 300, sessionAbsoluteTtl: 86400, pkceRequired: false });
  });

  it.each([
    [{ SESSION_IDLE_TTL: "2h", SESSION_ABSOLUTE_TTL: "1h" }, "SESSION_IDLE_TTL"],
    [{ SESSION_IDLE_TTL: "0" }, "SESSION_IDLE_TTL"],
    [{ SESSION_ABSOLUTE_TTL: "forever" }, "SESSION_ABSOLUTE_TTL"],
    [{ PKCE_REQUIRED: "sometimes" }, "PKCE_REQUIRED"],
  ])("refuses %j and names %s", (env, variable) => {
    expect(() => loadConfig(env, "/tmp")).toThrow(ConfigError);
    expect(() => loadConfig(env, "/tmp")).toThrow(new RegExp(`^${variable}: `));
  });
});
