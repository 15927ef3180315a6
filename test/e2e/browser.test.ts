// A real browser (Debian's chromium, driven by playwright-core) clicks through the demo
// relying party, Latchkey's login and consent pages, and back to the relying party.

import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRelyingParty } from "../../scripts/demo/relying-party.ts";
import { freePort } from "../helpers/server-process.ts";
import { type ServerOnServices, startServerOnServices } from "../helpers/services.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = process.env.SCREENSHOT_DIR ?? path.join(os.tmpdir(), "latchkey-screenshots");
const PASSWORD = "correct horse battery staple";

let latchkey: ServerOnServices;
let rp: FastifyInstance;
let rpUrl: string;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does this)`);
  }
  await mkdir(SCREENSHOTS, { recursive: true });
  latchkey = await startServerOnServices();
  const data = latchkey.data;
  await data.user("grace@example.com", PASSWORD, "Grace Hopper");
  const rpPort = await freePort();
  rpUrl = `http://localhost:${rpPort}`;
  const { clientId, secret } = await data.client({
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
});

describe("Login with Latchkey in a browser", () => {
  it("clicks through login and consent to the relying party's result page", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${rpUrl}/`);
    await page.getByRole("link", { name: "Login with Latchkey" }).click();

    await page.getByLabel("Email").fill("grace@example.com");
    await page.getByLabel("Password").fill("wrong password");
    await page.locator("form button[type=submit], form input[type=submit]").first().click();
    await expect.poll(() => page.locator("body").textContent()).toMatch(/incorrect|invalid|wrong/i);
    await page.screenshot({ path: path.join(SCREENSHOTS, "login-error.png"), fullPage: true });

    await page.getByLabel("Email").fill("grace@example.com");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.screenshot({ path: path.join(SCREENSHOTS, "login.png"), fullPage: true });
    await page.locator("form button[type=submit], form input[type=submit]").first().click();

    await page.getByRole("button", { name: /allow/i }).waitFor();
    expect(await page.locator("body").textContent()).toContain("Demo app");
    await page.screenshot({ path: path.join(SCREENSHOTS, "consent.png"), fullPage: true });
    await page.getByRole("button", { name: /allow/i }).click();

    await page.getByRole("heading", { name: /Signed in as grace@example\.com/ }).waitFor();
    expect(await page.locator("#userinfo").textContent()).toContain("Grace Hopper");
    await page.screenshot({ path: path.join(SCREENSHOTS, "relying-party.png"), fullPage: true });

    // Consent is remembered: the second login goes straight back to the app.
    await page.goto(`${rpUrl}/`);
    await page.getByRole("link", { name: "Login with Latchkey" }).click();
    await page.getByRole("heading", { name: /Signed in as grace@example\.com/ }).waitFor();
    await context.close();
  });

  it("shows the login page usable on a phone-sized screen", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${rpUrl}/login`);
    const email = page.getByLabel("Email");
    await email.waitFor();
    const box = await email.boundingBox();
    expect(box?.width).toBeGreaterThan(250);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    // The page is no wider than the screen: nothing to scroll sideways.
    const scrollWidth = await page.locator("html").evaluate((html) => html.scrollWidth);
    expect(scrollWidth).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(SCREENSHOTS, "login-phone.png"), fullPage: true });
    await context.close();
  });
});
