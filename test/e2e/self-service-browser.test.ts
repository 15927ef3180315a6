// A real browser (Debian's chromium, driven by playwright-core) signs up and resets a
// password through the demo relying party and Latchkey's pages, reading the mails from a real
// SMTP server in the test process; openid-client in the relying party validates the ID token,
// whose email_verified follows the verification.

import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRelyingParty } from "../../scripts/demo/relying-party.ts";
import { freePort } from "../helpers/server-process.ts";
import { type ServerOnServices, startServerOnServices } from "../helpers/services.ts";
import { linkIn, startSmtpServer, type TestSmtpServer } from "../helpers/smtp.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = process.env.SCREENSHOT_DIR ?? path.join(os.tmpdir(), "latchkey-screenshots");
const EMAIL = "katherine@example.com";
const FIRST_PASSWORD = "orbital mechanics 1962";
const NEW_PASSWORD = "friendship seven splashdown";

let smtp: TestSmtpServer;
let latchkey: ServerOnServices;
let rp: FastifyInstance;
let rpUrl: string;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does this)`);
  }
  await mkdir(SCREENSHOTS, { recursive: true });
  smtp = await startSmtpServer();
  latchkey = await startServerOnServices({ SMTP_URL: smtp.url, SIGNUP_ENABLED: "on" });
  const rpPort = await freePort();
  rpUrl = `http://localhost:${rpPort}`;
  const { clientId, secret } = await latchkey.data.client({
    name: "Demo app",
    redirectUris: [`${rpUrl}/callback`],
    authMethod: "client_secret_basic",
    grantTypes: ["authorization_code", "refresh_token"],
    scope: "openid profile email offline_access",
  });
  rp = await buildRelyingParty({
    issuer: latchkey.issuer,
    clientId,
    clientSecret: secret!,
    redirectUri: `${rpUrl}/callback`,
  });
  await rp.listen({ port: rpPort, host: "127.0.0.1" });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
});

afterAll(async () => {
  await browser?.close();
  await rp?.close();
  await latchkey?.close();
  await smtp?.close();
});

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page: Page, password: string) {
  await page.getByLabel("Email address").fill(EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe("self-service accounts in a browser", () => {
  it("signs up, confirms the address from the mail and arrives verified at the app", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${rpUrl}/`);
    await page.getByRole("link", { name: "Login with Latchkey" }).click();
    await page.getByRole("link", { name: "Create an account" }).click();

    await page.getByLabel("Name").fill("Katherine Johnson");
    await page.getByLabel("Email address").fill(EMAIL);
    await page.getByLabel("Password").fill(FIRST_PASSWORD);
    await shot(page, "signup");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
    await shot(page, "signup-check-mail");

    const mail = await smtp.waitFor(EMAIL);
    expect(mail.subject).toBe("Confirm your email address");
    const link = linkIn(mail, "/email/verify");
    await page.goto(link.href);
    await shot(page, "verify-email");
    await page.getByRole("button", { name: "Confirm my email address" }).click();
    await page.getByRole("heading", { name: "Your email address is confirmed" }).waitFor();
    await shot(page, "verify-email-done");
    await page.getByRole("link", { name: "Continue to Demo app" }).click();

    await signIn(page, FIRST_PASSWORD);
    await page.getByRole("button", { name: /allow/i }).click();
    await page.getByRole("heading", { name: `Signed in as ${EMAIL}` }).waitFor();
    const idToken = await page.locator("#id-token").textContent();
    expect(idToken).toMatch(/"email_verified": true/);
    expect(idToken).toContain("Katherine Johnson");
    await context.close();
  });

  it("resets a forgotten password from the login page, then signs in with the new one", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${rpUrl}/`);
    await page.getByRole("link", { name: "Login with Latchkey" }).click();
    await page.getByRole("link", { name: "Forgot your password?" }).click();

    const before = smtp.mailsTo(EMAIL).length;
    await page.getByLabel("Email address").fill(EMAIL);
    await shot(page, "password-forgot");
    await page.getByRole("button", { name: "Send the link" }).click();
    await page.getByRole("heading", { name: "Check your inbox" }).waitFor();

    const mail = await smtp.waitFor(EMAIL, { after: before });
    expect(mail.subject).toBe("Reset your password");
    await page.goto(linkIn(mail, "/password/reset").href);
    await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("Confirm new password").fill(NEW_PASSWORD);
    await shot(page, "password-reset");
    await page.getByRole("button", { name: "Set new password" }).click();
    await page.getByRole("heading", { name: "Your password was changed" }).waitFor();
    await shot(page, "password-reset-done");
    await page.getByRole("link", { name: "Continue to Demo app" }).click();

    await signIn(page, FIRST_PASSWORD);
    await expect.poll(() => page.locator("body").textContent()).toContain("incorrect");
    await signIn(page, NEW_PASSWORD);
    await page.getByRole("heading", { name: `Signed in as ${EMAIL}` }).waitFor();

    // The link worked once.
    await page.goto(linkIn(mail, "/password/reset").href);
    await page.getByRole("heading", { name: "This link cannot be used" }).waitFor();
    await context.close();
  });
});
