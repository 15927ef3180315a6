// The login, consent, error, logout and account pages, and the self-service pages (sign-up,
// "check your inbox", email confirmation, forgot and new password), checked by axe-core in
// Debian's chromium: no serious or critical accessibility violations, at laptop and phone
// width. The self-service mails go to an SMTP server in the test process.

import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousAxeViolations } from "../helpers/axe.ts";
import { type ServerOnServices, startServerOnServices } from "../helpers/services.ts";
import { linkIn, startSmtpServer, type TestSmtpServer } from "../helpers/smtp.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const PASSWORD = "correct horse battery staple";
const REDIRECT_URI = "http://127.0.0.1:9/callback";

let smtp: TestSmtpServer;
let latchkey: ServerOnServices;
let browser: Browser;
let clientId: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does this)`);
  }
  smtp = await startSmtpServer();
  latchkey = await startServerOnServices({ SMTP_URL: smtp.url, SIGNUP_ENABLED: "on" });
  await latchkey.data.user("ada@example.com", PASSWORD, "Ada Lovelace");
  ({ clientId } = await latchkey.data.client({
    name: "Acme Photo Printing",
    redirectUris: [REDIRECT_URI],
    authMethod: "client_secret_basic",
    grantTypes: ["authorization_code", "refresh_token"],
    scope: "openid profile email offline_access",
  }));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
});

afterAll(async () => {
  await browser?.close();
  await latchkey?.close();
  await smtp?.close();
});

function authorizeUrl(): string {
  const url = new URL(`${latchkey.issuer}/oauth/authorize`);
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    response_type: "code",
    scope: "openid profile email",
    state: "s",
    code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    code_challenge_method: "S256",
  }).toString();
  return url.href;
}

async function expectAccessible(page: Page, name: string): Promise<void> {
  const violations = await seriousAxeViolations(page);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
}

describe.each([
  ["laptop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
])("pages on a %s", (_name, viewport) => {
  it("have no serious or critical axe violations", async () => {
    const context = await browser.newContext({ viewport, bypassCSP: true });
    const page = await context.newPage();

    await page.goto(`${latchkey.issuer}/oauth/authorize?client_id=unknown`);
    await expectAccessible(page, "error page");

    await page.goto(authorizeUrl());
    await page.getByLabel(/email/i).waitFor();
    await expectAccessible(page, "login page");

    await page.getByLabel(/email/i).fill("ada@example.com");
    await page.getByLabel(/password/i).fill("not the password");
    await page.getByRole("button", { name: /sign in/i }).click();
    await page.getByLabel(/password/i).waitFor();
    await expectAccessible(page, "login page with an error");

    await page.getByLabel(/email/i).fill("ada@example.com");
    await page.getByLabel(/password/i).fill(PASSWORD);
    await page.getByRole("button", { name: /sign in/i }).click();
    await page.getByRole("button", { name: /allow/i }).waitFor();
    await expectAccessible(page, "consent page");

    await page.goto(`${latchkey.issuer}/account`);
    await page.getByRole("heading").first().waitFor();
    await expectAccessible(page, "account page");

    await page.goto(`${latchkey.issuer}/oauth/logout`);
    await page.locator("button[name=logout]").first().waitFor();
    await expectAccessible(page, "logout confirmation page");

    await context.close();
  });

  it("the self-service pages have no serious or critical axe violations", async () => {
    const context = await browser.newContext({ viewport, bypassCSP: true });
    const page = await context.newPage();
    const email = `grace-${viewport.width}@example.com`;

    await page.goto(authorizeUrl());
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Email address").waitFor();
    await expectAccessible(page, "sign-up page");
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password").fill("password");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("alert").waitFor();
    await expectAccessible(page, "sign-up page with an error");
    await page.getByLabel("Password").fill("a long enough passphrase");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
    await expectAccessible(page, "check your inbox page");

    await page.goto(linkIn(await smtp.waitFor(email), "/email/verify").href);
    await page.getByRole("button", { name: "Confirm my email address" }).waitFor();
    await expectAccessible(page, "email confirmation page");
    await page.getByRole("button", { name: "Confirm my email address" }).click();
    await page.getByRole("heading", { name: "Your email address is confirmed" }).waitFor();
    await expectAccessible(page, "email confirmed page");

    await page.goto(`${latchkey.issuer}/password/forgot`);
    await page.getByLabel("Email address").waitFor();
    await expectAccessible(page, "forgot password page");
    await page.getByLabel("Email address").fill(email);
    await page.getByRole("button", { name: "Send the link" }).click();
    await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
    const reset = linkIn(await smtp.waitFor(email, { after: 1 }), "/password/reset");
    await page.goto(reset.href);
    await page.getByLabel("Confirm new password").waitFor();
    await expectAccessible(page, "new password page");
    await page.getByLabel("New password", { exact: true }).fill("one long passphrase");
    await page.getByLabel("Confirm new password").fill("another long passphrase");
    await page.getByRole("button", { name: "Set new password" }).click();
    await page.getByRole("alert").waitFor();
    await expectAccessible(page, "new password page with an error");
    await page.goto(`${latchkey.issuer}/email/verify?token=expired`);
    await page.getByRole("heading", { name: "This link cannot be used" }).waitFor();
    await expectAccessible(page, "unusable link page");

    await context.close();
  });
});

describe("the axe check itself", () => {
  it("reports an unlabelled input, so a clean result means something", async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.setContent(
      '<html lang="en"><title>t</title><main><input type="text"></main></html>',
    );
    const violations = await seriousAxeViolations(page);
    expect(violations.map((v) => v.id)).toContain("label");
    await context.close();
  });
});
