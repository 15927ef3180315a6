// What a browser and a client application do against either target, over one undici
// connection each: follow redirects, keep cookies, fill in the login form, run the
// authorization code flow with PKCE and refresh a token. The driver times these; main.ts
// uses them once to prepare tokens for the scenarios that need one.

import { createHash, randomBytes } from "node:crypto";
import { Client } from "undici";

/** Where a target serves each endpoint, and the client and user the flows use. */
export interface TargetSpec {
  name: string;
  origin: string;
  paths: { authorize: string; token: string; introspect: string; userinfo: string; jwks: string };
  /** The confidential client of the code flow and the refresh chains. */
  web: { id: string; secret: string };
  /** The confidential client_credentials client. */
  machine: { id: string; secret: string };
  redirectUri: string;
  /** The scope of the code flow. */
  scope: string;
  /** The scope of client_credentials requests. */
  machineScope: string;
  user: { email: string; password: string };
}

export interface Reply {
  status: number;
  location: string | undefined;
  body: string;
}

export function basicAuth(client: { id: string; secret: string }): string {
  const pair = `${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`;
  return `Basic ${Buffer.from(pair).toString("base64")}`;
}

/** One connection to a target with a cookie jar (paths and expiry ignored: one site). */
export class Browser {
  readonly client: Client;
  readonly origin: string;
  readonly cookies = new Map<string, string>();

  constructor(origin: string) {
    this.origin = origin;
    this.client = new Client(origin, { pipelining: 1, keepAliveTimeout: 60_000 });
  }

  async send(
    method: "GET" | "POST",
    url: string,
    options: { form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const target = new URL(url, this.origin);
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    }
    let body: string | undefined;
    if (options.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(options.form).toString();
    }
    const res = await this.client.request({
      method,
      path: `${target.pathname}${target.search}`,
      headers,
      body,
    });
    const setCookie = res.headers["set-cookie"];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const pair = line.split(";", 1)[0] ?? "";
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === "" || /expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0/i.test(line)) {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
    const location = res.headers.location;
    return {
      status: res.statusCode,
      location: typeof location === "string" ? new URL(location, target).href : undefined,
      body: await res.body.text(),
    };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

export class FlowError extends Error {}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&#x3D;/g, "=")
    .replace(/&#x2F;/g, "/")
    .replace(/&#x60;/g, "`")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`, "i").exec(tag);
  return match ? decodeEntities(match[1] ?? "") : undefined;
}

/** The form holding a password input: its action and its hidden fields. */
export function loginForm(html: string): { action: string; fields: Record<string, string> } | null {
  for (const form of html.match(/<form[\s\S]*?<\/form>/gi) ?? []) {
    if (!/name="password"/.test(form)) continue;
    const action = attribute(form.slice(0, form.indexOf(">") + 1), "action") ?? "";
    const fields: Record<string, string> = {};
    for (const input of form.match(/<input[^>]*>/gi) ?? []) {
      if (!/type="hidden"/i.test(input)) continue;
      const name = attribute(input, "name");
      if (name) fields[name] = attribute(input, "value") ?? "";
    }
    return { action, fields };
  }
  return null;
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export function authorizeUrl(target: TargetSpec, challenge: string): string {
  const url = new URL(target.paths.authorize, target.origin);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: target.web.id,
    redirect_uri: target.redirectUri,
    scope: target.scope,
    state: randomBytes(8).toString("hex"),
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  return url.href;
}

function codeFrom(location: string, redirectUri: string): string {
  if (!location.startsWith(redirectUri)) throw new FlowError(`unexpected redirect ${location}`);
  const url = new URL(location);
  const code = url.searchParams.get("code");
  if (!code) throw new FlowError(`no code: ${url.search}`);
  return code;
}

/**
 * From an authorization request to its code the way a browser goes: redirects are followed,
 * a login form is filled in with the user's email and password; consent is already granted.
 * The browser keeps the session cookie afterwards. Returns the number of requests made.
 */
export async function browserAuthorize(
  browser: Browser,
  target: TargetSpec,
  challenge: string,
): Promise<{ code: string; requests: number }> {
  let reply = await browser.send("GET", authorizeUrl(target, challenge));
  for (let requests = 1; requests < 12; requests++) {
    if ((reply.status === 302 || reply.status === 303) && reply.location) {
      if (reply.location.startsWith(target.redirectUri)) {
        return { code: codeFrom(reply.location, target.redirectUri), requests };
      }
      reply = await browser.send("GET", reply.location);
      continue;
    }
    const form = reply.status === 200 ? loginForm(reply.body) : null;
    if (!form) throw new FlowError(`unexpected ${reply.status}: ${reply.body.slice(0, 200)}`);
    reply = await browser.send("POST", form.action, {
      form: { ...form.fields, email: target.user.email, password: target.user.password },
    });
  }
  throw new FlowError("too many steps to the code");
}

/** The token response of a code or refresh exchange. */
export interface Tokens {
  access_token: string;
  refresh_token?: string;
}

async function tokenRequest(
  browser: Browser,
  target: TargetSpec,
  form: Record<string, string>,
): Promise<Tokens> {
  const reply = await browser.send("POST", target.paths.token, {
    form,
    headers: { authorization: basicAuth(target.web) },
  });
  if (reply.status !== 200) {
    throw new FlowError(`token endpoint ${reply.status}: ${reply.body.slice(0, 200)}`);
  }
  return JSON.parse(reply.body) as Tokens;
}

/** With a signed-in browser: authorize (code at once) and exchange the code: two requests. */
export async function codeFlow(browser: Browser, target: TargetSpec): Promise<Tokens> {
  const { verifier, challenge } = pkce();
  const reply = await browser.send("GET", authorizeUrl(target, challenge));
  if ((reply.status !== 302 && reply.status !== 303) || !reply.location) {
    throw new FlowError(`authorize ${reply.status}: ${reply.body.slice(0, 200)}`);
  }
  const code = codeFrom(reply.location, target.redirectUri);
  return tokenRequest(browser, target, {
    grant_type: "authorization_code",
    code,
    redirect_uri: target.redirectUri,
    code_verifier: verifier,
  });
}

/** Signs the browser in and redeems the first code: the refresh chain starts here. */
export async function signIn(browser: Browser, target: TargetSpec): Promise<Tokens> {
  const { verifier, challenge } = pkce();
  const { code } = await browserAuthorize(browser, target, challenge);
  return tokenRequest(browser, target, {
    grant_type: "authorization_code",
    code,
    redirect_uri: target.redirectUri,
    code_verifier: verifier,
  });
}

export function refresh(browser: Browser, target: TargetSpec, token: string): Promise<Tokens> {
  return tokenRequest(browser, target, { grant_type: "refresh_token", refresh_token: token });
}
