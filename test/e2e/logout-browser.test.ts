// RP-Initiated Logout in a real browser (Debian's chromium, driven by playwright-core): the
// confirmation page's buttons and their redirects through the CSP form-action, the signed-out
// page, and an RP on another site logging out with a cross-site form POST, which carries no
// SameSite=Lax cookie until Latchkey turns it into a GET. Screenshots of the pages on a laptop
// and on a phone go to SCREENSHOT_DIR.

import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s256Challenge } from "../../server/oauth/pkce.ts";
import { freePort } from "../helpers/server-process.ts";
import { type ServerOnServices, startServerOnServices } from "../helpers/services.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = process.env.SCREENSHOT_DIR ?? path.join(os.tmpdir(), "latchkey-screenshots");
const PASSWORD = "correct horse battery staple";
const EMAIL = "ada@example.com";
const VERIFIER = "a-verifier-that-is-long-enough-for-pkce-0123456789";
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let latchkey: ServerOnServices;
let rp: FastifyInstance;
let rpUrl: string;
let client: { clientId: string; secret: string | null };
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does this)`);
  }
  await mkdir(SCREENSHOTS, { recursive: true });
  latchkey = await startServerOnServices();
  await latchkey.data.user(EMAIL, PASSWORD, "Ada Lovelace");
  // The RP is on 127.0.0.1, Latchkey on localhost: two sites, as in production.
  const port = await freePort();
  rpUrl = `http://127.0.0.1:${port}`;
  client = await latchkey.data.client({
    name: "Notes app",
    redirectUris: [`${rpUrl}/callback`],
    postLogoutRedirectUris: [`${rpUrl}/bye`],
    scope: "openid profile email",
    skipConsent: true,
  });
  rp = Fastify();
  const html = (body: string) => `<!doctype html><meta charset="utf-8"><title>RP</title>${body}`;
  rp.get("/callback", async (_request, reply) =>
    reply.type("text/html").send(html("<h1>Back at the RP</h1>")),
  );
  rp.get("/bye", async (_request, reply) =>
    reply.type("text/html").send(html("<h1>Goodbye from the RP</h1>")),
  );
  // The RP's own logout button: a form POST to the end_session_endpoint.
  rp.get<{ Querystring: { hint?: string } }>("/logout-form", async (request, reply) => {
    const fields = {
      ...(request.query.hint
        ? { id_token_hint: request.query.hint }
        : { client_id: client.clientId }),
      post_logout_redirect_uri: `${rpUrl}/bye`,
      state: "rp-state",
    };
    const inputs = Object.entries(fields)
      .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
      .join("");
    return reply
      .type("text/html")
      .send(
        html(
          `<form method="post" action="${latchkey.issuer}/oauth/logout">${inputs}<button>Log out</button></form>`,
        ),
      );
  });
  await rp.listen({ port, host: "127.0.0.1" });
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

function authorizeUrl(extra: Record<string, string> = {}): string {
  return `${latchkey.issuer}/oauth/authorize?${new URLSearchParams({
    response_type: "code",
    client_id: client.clientId,
    redirect_uri: `${rpUrl}/callback`,
    scope: "openid",
    state: "login-state",
    code_challenge: s256Challenge(VERIFIER),
    code_challenge_method: "S256",
    ...extra,
  })}`;
}

/** Signs in on the login page; returns the code the RP received. */
async function signIn(page: Page): Promise<string> {
  await page.goto(authorizeUrl());
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Back at the RP" }).waitFor();
  return new URL(page.url()).searchParams.get("code") ?? "";
}

async function idTokenFor(code: string): Promise<string> {
  const basic = Buffer.from(`${client.clientId}:${client.secret}`).toString("base64");
  const response = await fetch(`${latchkey.issuer}/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${basic}`,
    },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: `${rpUrl}/callback`,
      code_verifier: VERIFIER,
    }),
  });
  return ((await response.json()) as { id_token: string }).id_token;
}

/** Whether the browser's session still works: prompt=none gets a code, not login_required. */
async function sessionAlive(page: Page): Promise<boolean> {
  await page.goto(authorizeUrl({ prompt: "none" }));
  await page.waitForURL(`${rpUrl}/callback?**`);
  const params = new URL(page.url()).searchParams;
  if (params.get("code") !== null) return true;
  expect(params.get("error")).toBe("login_required");
  return false;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, name), fullPage: true });
}

describe("RP-Initiated Logout in a browser", () => {
  it("asks before signing out: 'Stay signed in' and 'Sign out' both return to the RP", async () => {
    const context = await browser.newContext({ viewport: LAPTOP });
    const page = await context.newPage();
    await signIn(page);
    const logout = `${latchkey.issuer}/oauth/logout?${new URLSearchParams({
      client_id: client.clientId,
      post_logout_redirect_uri: `${rpUrl}/bye`,
      state: "abc",
    })}`;

    await page.goto(logout);
    await page.getByRole("heading", { name: "Sign out of Latchkey?" }).waitFor();
    expect(await page.locator("main").textContent()).toContain(EMAIL);
    await shot(page, "logout-confirm.png");
    await page.getByRole("button", { name: "Stay signed in" }).click();
    await page.getByRole("heading", { name: "Goodbye from the RP" }).waitFor();
    expect(new URL(page.url()).searchParams.get("state")).toBe("abc");
    expect(await sessionAlive(page)).toBe(true);

    await page.goto(logout);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Goodbye from the RP" }).waitFor();
    expect(new URL(page.url()).searchParams.get("state")).toBe("abc");
    expect(await sessionAlive(page)).toBe(false);

    await page.goto(`${latchkey.issuer}/oauth/logout`);
    await page.getByRole("heading", { name: "You are signed out" }).waitFor();
    await shot(page, "logout-signed-out.png");
    await context.close();
  });

  it("fits a phone-sized screen", async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${latchkey.issuer}/oauth/logout?client_id=${client.clientId}`);
    const signOut = page.getByRole("button", { name: "Sign out" });
    await signOut.waitFor();
    const box = await signOut.boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    expect(await page.locator("html").evaluate((html) => html.scrollWidth)).toBeLessThanOrEqual(
      PHONE.width,
    );
    await shot(page, "logout-confirm-phone.png");
    await page.getByRole("button", { name: "Stay signed in" }).click();
    await page.getByRole("heading", { name: "You are still signed in" }).waitFor();
    await shot(page, "logout-still-signed-in-phone.png");
    await page.goto(`${latchkey.issuer}/oauth/logout?client_id=${client.clientId}`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "You are signed out" }).waitFor();
    expect(await page.locator("html").evaluate((html) => html.scrollWidth)).toBeLessThanOrEqual(
      PHONE.width,
    );
    await shot(page, "logout-signed-out-phone.png");
    await context.close();
  });

  it("signs out at once on a cross-site POST with the session's id_token_hint", async () => {
    const context = await browser.newContext({ viewport: LAPTOP });
    const page = await context.newPage();
    const hint = await idTokenFor(await signIn(page));
    await page.goto(`${rpUrl}/logout-form?hint=${encodeURIComponent(hint)}`);
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("heading", { name: "Goodbye from the RP" }).waitFor();
    expect(new URL(page.url()).searchParams.get("state")).toBe("rp-state");
    expect(await sessionAlive(page)).toBe(false);
    await context.close();
  });

  it("asks on a cross-site POST without a hint: the session cookie reached the page", async () => {
    const context = await browser.newContext({ viewport: LAPTOP });
    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${rpUrl}/logout-form`);
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("heading", { name: "Sign out of Latchkey?" }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Goodbye from the RP" }).waitFor();
    expect(await sessionAlive(page)).toBe(false);
    await context.close();
  });
});
