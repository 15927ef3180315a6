// Two-step verification in a real browser (Debian's chromium, driven by playwright-core)
// against a listening server on Postgres and Redis: set it up from the account page (the QR
// code, the typed key, a first code), keep the recovery codes, sign in to an app with the
// password and a code, and check every new page with axe-core at laptop and phone width.
// Screenshots go to SCREENSHOT_DIR.

import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base32Decode, totpCode } from "../../server/accounts/totp.ts";
import { seriousAxeViolations } from "../helpers/axe.ts";
import { type ServerOnServices, startServerOnServices } from "../helpers/services.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = process.env.SCREENSHOT_DIR ?? path.join(os.tmpdir(), "latchkey-screenshots");
const PASSWORD = "correct horse battery staple";
const REDIRECT_URI = "http://127.0.0.1:9/callback";

let latchkey: ServerOnServices;
let browser: Browser;
let clientId: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does this)`);
  }
  await mkdir(SCREENSHOTS, { recursive: true });
  latchkey = await startServerOnServices();
  ({ clientId } = await latchkey.data.client({
    name: "Acme Photo Printing",
    redirectUris: [REDIRECT_URI],
    authMethod: "client_secret_basic",
    grantTypes: ["authorization_code"],
    scope: "openid profile",
  }));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
});

afterAll(async () => {
  await browser?.close();
  await latchkey?.close();
});

function authorizeUrl(): string {
  const url = new URL(`${latchkey.issuer}/oauth/authorize`);
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    response_type: "code",
    scope: "openid profile",
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
])("two-step verification on a %s", (device, viewport) => {
  it("is set up from the account page and then asked for at sign-in", async () => {
    const email = `ada-${device}@example.com`;
    await latchkey.data.user(email, PASSWORD, "Ada Lovelace");
    // bypassCSP lets axe's script run; the pages themselves carry no script.
    const context = await browser.newContext({ viewport, bypassCSP: true });
    const page = await context.newPage();
    const shot = (name: string) =>
      page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${device}.png`), fullPage: true });

    await page.goto(`${latchkey.issuer}/account`);
    await page.getByLabel(/email/i).fill(email);
    await page.getByLabel(/password/i).fill(PASSWORD);
    await page.getByRole("button", { name: /sign in/i }).click();
    await page.getByRole("button", { name: "Set up two-step verification" }).click();

    await page.getByRole("img", { name: /QR code/ }).waitFor();
    await expectAccessible(page, "set-up page");
    await shot("totp-setup");
    const typed = (await page.locator("code.secret").textContent()) ?? "";
    const secret = base32Decode(typed);
    expect(secret).toHaveLength(20);

    await page.getByLabel("Code from your app").fill("000000");
    await page.getByRole("button", { name: "Turn on two-step verification" }).click();
    await page.getByRole("alert").waitFor();
    await expectAccessible(page, "set-up page with an error");

    await page.getByLabel("Code from your app").fill(totpCode(secret, new Date()));
    await page.getByRole("button", { name: "Turn on two-step verification" }).click();
    await page.getByRole("heading", { name: "Your recovery codes" }).waitFor();
    const codes = await page.locator(".recovery-codes code").allTextContents();
    expect(codes).toHaveLength(10);
    await expectAccessible(page, "recovery codes page");
    await shot("recovery-codes");

    await page.getByRole("link", { name: "I have saved my codes" }).click();
    await page.getByText("You have 10 unused recovery codes.").waitFor();
    await expectAccessible(page, "account page with two-step verification on");

    // A fresh browser signs in to the app: password, then the code page.
    const fresh = await browser.newContext({ viewport, bypassCSP: true });
    const app = await fresh.newPage();
    await app.goto(authorizeUrl());
    await app.getByLabel(/email/i).fill(email);
    await app.getByLabel(/password/i).fill(PASSWORD);
    await app.getByRole("button", { name: /sign in/i }).click();
    await app.getByLabel("Authentication code").waitFor();
    await expectAccessible(app, "code page");
    await app.screenshot({
      path: path.join(SCREENSHOTS, `login-otp-${device}.png`),
      fullPage: true,
    });

    await app.getByLabel("Authentication code").fill("123 456");
    await app.getByRole("button", { name: "Verify" }).click();
    await app.getByRole("alert").waitFor();
    await expectAccessible(app, "code page with an error");

    // The code of the next step: the one just used to set it up cannot be used again.
    await app
      .getByLabel("Authentication code")
      .fill(totpCode(secret, new Date(Date.now() + 30_000)));
    await app.getByRole("button", { name: "Verify" }).click();
    await app.getByRole("button", { name: /allow/i }).waitFor();
    await fresh.close();
    await context.close();
  });
});
