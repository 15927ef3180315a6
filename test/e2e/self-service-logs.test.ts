// With debug logging, sign-up, email verification and a password reset over real SMTP must
// leave no password, link token or link in the process output; the mails themselves carried
// the links (they went to the SMTP server in the test process, not to the console).

import { afterAll, beforeAll, expect, it } from "vitest";
import { HttpClient, readForms } from "../helpers/http-client.ts";
import { type ServerOnServices, startServerOnServices } from "../helpers/services.ts";
import { linkIn, startSmtpServer, type TestSmtpServer } from "../helpers/smtp.ts";

const EMAIL = "logs@example.com";
const FIRST_PASSWORD = "first sign-up passphrase";
const NEW_PASSWORD = "second reset passphrase";

let smtp: TestSmtpServer;
let latchkey: ServerOnServices;

beforeAll(async () => {
  smtp = await startSmtpServer();
  latchkey = await startServerOnServices({
    LOG_LEVEL: "debug",
    SMTP_URL: smtp.url,
    SIGNUP_ENABLED: "on",
  });
});

afterAll(async () => {
  await latchkey?.close();
  await smtp?.close();
});

/** Opens the page and submits its only form with the given fields. */
async function submit(browser: HttpClient, url: string, fields: Record<string, string> = {}) {
  const page = await browser.follow(url, "http://unused.invalid");
  expect(page.status).toBe(200);
  const [form] = readForms(page.body, page.url);
  const answer = await browser.follow(form!.action, "http://unused.invalid", {
    method: "POST",
    form: { ...form!.fields, ...fields },
  });
  expect(answer.status).toBe(200);
  return answer;
}

it("logs no password, link token or link of sign-up, verification and reset", async () => {
  const browser = new HttpClient();
  const issuer = latchkey.issuer;
  await submit(browser, `${issuer}/account/signup`, {
    email: EMAIL,
    password: FIRST_PASSWORD,
    name: "Log Reader",
  });
  const verify = linkIn(await smtp.waitFor(EMAIL), "/email/verify");
  await submit(browser, verify.href);
  await submit(browser, `${issuer}/password/forgot`, { email: EMAIL });
  const reset = linkIn(await smtp.waitFor(EMAIL, { after: 1 }), "/password/reset");
  const done = await submit(browser, reset.href, {
    new_password: NEW_PASSWORD,
    new_password_confirm: NEW_PASSWORD,
  });
  expect(done.body).toContain("Your password was changed");

  // The process writes its log lines a moment after it answered.
  await expect.poll(() => latchkey.server.output()).toContain('"type":"password.reset"');
  const output = latchkey.server.output();
  expect(output).toContain('"msg":"mail sent"');
  const secrets: Array<[string, string]> = [
    ["sign-up password", FIRST_PASSWORD],
    ["new password", NEW_PASSWORD],
    ["verification token", verify.searchParams.get("token") ?? ""],
    ["reset token", reset.searchParams.get("token") ?? ""],
  ];
  expect(secrets.every(([, value]) => value.length >= 16)).toBe(true);
  expect(secrets.filter(([, value]) => output.includes(value)).map(([name]) => name)).toEqual([]);
  expect(output).not.toContain("/password/reset?");
  expect(output).not.toContain("/email/verify?");
});
