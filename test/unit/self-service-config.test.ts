// The self-service options: their defaults in the embedded default and with DATABASE_URL,
// and a bad value stopping the start with a message that names the variable.

import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config.ts";

const PRODUCTION = {
  DATABASE_URL: "postgres://db/latchkey",
  KEY_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
  ISSUER: "https://id.example.com",
};

describe("self-service configuration", () => {
  it("prints mails on the console in the embedded default, with sign-up off", () => {
    expect(loadConfig({}, "/tmp").selfService).toEqual({
      signup: false,
      requireVerifiedEmail: false,
      mailTransport: "console",
      smtpUrl: null,
      mailFrom: "Latchkey <no-reply@localhost>",
      emailVerificationTtl: 86400,
      passwordResetTtl: 1800,
      mailRequestsPerIp: 20,
      mailsPerAddress: 5,
    });
  });

  it("sends no mail in production without SMTP_URL, and sends through it with one", () => {
    expect(loadConfig(PRODUCTION, "/tmp").selfService).toMatchObject({
      mailTransport: "none",
      mailFrom: "Latchkey <no-reply@id.example.com>",
    });
    const config = loadConfig(
      {
        ...PRODUCTION,
        SMTP_URL: "smtps://user:pass@smtp.example.com:465",
        MAIL_FROM: "Example ID <id@example.com>",
        SIGNUP_ENABLED: "on",
        REQUIRE_VERIFIED_EMAIL: "on",
        EMAIL_VERIFICATION_TTL: "2d",
        PASSWORD_RESET_TTL: "15m",
      },
      "/tmp",
    );
    expect(config.selfService).toMatchObject({
      signup: true,
      requireVerifiedEmail: true,
      mailTransport: "smtp",
      smtpUrl: "smtps://user:pass@smtp.example.com:465",
      mailFrom: "Example ID <id@example.com>",
      emailVerificationTtl: 172800,
      passwordResetTtl: 900,
    });
  });

  it.each([
    ["SMTP_URL", { SMTP_URL: "http://smtp.example.com" }],
    ["SIGNUP_ENABLED", { ...PRODUCTION, SIGNUP_ENABLED: "on" }],
    ["SIGNUP_ENABLED", { SIGNUP_ENABLED: "maybe" }],
    ["REQUIRE_VERIFIED_EMAIL", { REQUIRE_VERIFIED_EMAIL: "2" }],
    ["MAIL_FROM", { MAIL_FROM: "nobody" }],
    ["EMAIL_VERIFICATION_TTL", { EMAIL_VERIFICATION_TTL: "31d" }],
    ["PASSWORD_RESET_TTL", { PASSWORD_RESET_TTL: "2d" }],
    ["PASSWORD_RESET_TTL", { PASSWORD_RESET_TTL: "10s" }],
    ["MAIL_REQUESTS_PER_IP", { MAIL_REQUESTS_PER_IP: "0" }],
    ["MAILS_PER_ADDRESS", { MAILS_PER_ADDRESS: "many" }],
  ])("refuses a bad %s", (variable, env) => {
    expect(() => loadConfig(env, "/tmp")).toThrow(ConfigError);
    expect(() => loadConfig(env, "/tmp")).toThrow(`${variable}: `);
  });

  it("does not repeat an SMTP_URL, which may hold a password, in its error", () => {
    expect(() => loadConfig({ SMTP_URL: "http://user:secret@smtp" }, "/tmp")).toThrow(
      /^SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL$/,
    );
  });
});
