// REGISTRATION, REGISTRATION_ACCESS_TOKEN and REGISTRATION_SCOPES: closed in production unless
// the operator opens it, open on a developer's laptop, and a bad combination stops the start.

import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config.ts";

const PRODUCTION = {
  DATABASE_URL: "postgres://localhost/latchkey",
  KEY_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
  ISSUER: "https://id.example.com",
};
const TOKEN = "0123456789abcdefghijklmnopqrstuvwxyzABCD";

const load = (env: Record<string, string>) => loadConfig(env, "/tmp");

function configError(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("loaded");
}

describe("registration settings", () => {
  it("are off in production and open in the embedded default", () => {
    expect(load(PRODUCTION)).toMatchObject({ registration: "off", registrationAccessToken: null });
    expect(load({})).toMatchObject({ registration: "open", registrationAccessToken: null });
  });

  it("offer the OpenID scopes to self-registered clients by default", () => {
    expect(load({}).registrationScopes).toEqual(["openid", "profile", "email", "offline_access"]);
    expect(load({ REGISTRATION_SCOPES: " openid  api:read openid " }).registrationScopes).toEqual([
      "openid",
      "api:read",
    ]);
  });

  it("take an initial access token in token mode", () => {
    expect(
      load({ ...PRODUCTION, REGISTRATION: "token", REGISTRATION_ACCESS_TOKEN: TOKEN }),
    ).toMatchObject({
      registration: "token",
      registrationAccessToken: TOKEN,
    });
    expect(load({ ...PRODUCTION, REGISTRATION: "OPEN" }).registration).toBe("open");
  });

  it.each([
    [{ REGISTRATION: "public" }, "REGISTRATION", '"public" is not one of off, open, token'],
    [{ REGISTRATION: "token" }, "REGISTRATION_ACCESS_TOKEN", "is required with REGISTRATION=token"],
    [
      { REGISTRATION: "token", REGISTRATION_ACCESS_TOKEN: "short" },
      "REGISTRATION_ACCESS_TOKEN",
      "must be at least 32 characters",
    ],
    [
      { REGISTRATION: "token", REGISTRATION_ACCESS_TOKEN: `${TOKEN} with spaces` },
      "REGISTRATION_ACCESS_TOKEN",
      "must be at least 32 characters of A-Z a-z 0-9",
    ],
    [
      { REGISTRATION_ACCESS_TOKEN: TOKEN },
      "REGISTRATION_ACCESS_TOKEN",
      "is used only with REGISTRATION=token",
    ],
    [
      { REGISTRATION: "open", REGISTRATION_ACCESS_TOKEN: TOKEN },
      "REGISTRATION_ACCESS_TOKEN",
      "is used only with REGISTRATION=token",
    ],
    [
      { REGISTRATION_SCOPES: 'openid "x"' },
      "REGISTRATION_SCOPES",
      '""x"" is not a valid scope name',
    ],
  ])("refuse %j", (env, variable, message) => {
    const err = configError({ ...PRODUCTION, ...env });
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(message);
  });
});
