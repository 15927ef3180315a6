// With debug logging, a whole login, code exchange, refresh, introspection and revocation
// must leave no password, client secret, code, token, session cookie or CSRF token in the
// process output.

import { afterAll, beforeAll, expect, it } from "vitest";
import { runFullFlow } from "../helpers/full-flow.ts";
import { type ServerOnServices, startServerOnServices } from "../helpers/services.ts";

let latchkey: ServerOnServices;

beforeAll(async () => {
  latchkey = await startServerOnServices({ LOG_LEVEL: "debug" });
});

afterAll(async () => {
  await latchkey?.close();
});

it("logs no password, secret, code, token, cookie or CSRF token at debug level", async () => {
  const secrets = await runFullFlow(latchkey.issuer, latchkey.data, "logs");
  const output = latchkey.server.output();
  // The flow was logged: every request, the security events among them.
  expect(output).toContain('"path":"/oauth/token"');
  expect(output).toContain('"type":"login.success"');
  const named: Array<[string, string]> = [
    ["password", secrets.password],
    ["client secret", secrets.clientSecret],
    ["code", secrets.code],
    ["access token", secrets.accessToken],
    ["ID token", secrets.idToken],
    ...secrets.refreshTokens.map((t, i): [string, string] => [`refresh token ${i + 1}`, t]),
    ...secrets.cookieValues.map((v, i): [string, string] => [`cookie ${i + 1}`, v]),
    ...secrets.csrfTokens.map((t, i): [string, string] => [`CSRF token ${i + 1}`, t]),
  ];
  expect(secrets.cookieValues.length).toBeGreaterThan(0);
  expect(secrets.csrfTokens.length).toBe(2);
  const leaked = named
    .filter(([, value]) => value.length >= 8 && output.includes(value))
    .map(([name]) => name);
  expect(leaked).toEqual([]);
  // Decoded cookie values too: a cookie may be URL-encoded on the wire.
  for (const value of secrets.cookieValues) {
    expect(output.includes(decodeURIComponent(value))).toBe(false);
  }
});
