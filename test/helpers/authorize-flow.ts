// Drives the authorization endpoint and its login and consent pages through app.inject, as a
// browser would: a cookie jar, the forms' hidden fields, and fixtures made with the server's
// own business functions.

import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { createUser, lockUser } from "../../server/accounts/users.ts";
import type { ClientMetadataInput } from "../../server/oauth/client-metadata.ts";
import { createClient } from "../../server/oauth/clients.ts";
import { s256Challenge } from "../../server/oauth/pkce.ts";
import { CookieJar } from "./cookie-jar.ts";

export const PASSWORD = "correct horse battery staple";
export const REDIRECT_URI = "https://rp.example.com/callback";
export const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-some-more";
export const CHALLENGE = s256Challenge(VERIFIER);

export async function makeClient(
  app: FastifyInstance,
  input: Partial<ClientMetadataInput> = {},
): Promise<string> {
  const { client } = await createClient(
    app.deps.db,
    {
      name: "Example App",
      redirectUris: [REDIRECT_URI],
      scope: "openid profile email offline_access",
      ...input,
    },
    new Date(),
  );
  return client.id;
}

let users = 0;
export async function makeUser(
  app: FastifyInstance,
  options: { email?: string; locked?: boolean } = {},
): Promise<{ id: string; email: string }> {
  const email = options.email ?? `user${++users}-${Date.now()}@example.com`;
  const user = await createUser(app.deps.db, { email, password: PASSWORD }, new Date());
  if (options.locked) await lockUser(app.deps.db, email, new Date());
  return { id: user.id, email: user.email };
}

export type Query = Record<string, string | string[] | undefined>;

/** A valid authorization request for the client, with the given changes (undefined drops one). */
export function authorizeQuery(clientId: string, changes: Query = {}): string {
  const params: Query = {
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    scope: "openid profile",
    state: "state-123",
    nonce: "nonce-456",
    code_challenge: CHALLENGE,
    code_challenge_method: "S256",
    ...changes,
  };
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of value === undefined ? [] : Array.isArray(value) ? value : [value]) {
      search.append(name, v);
    }
  }
  return `/oauth/authorize?${search}`;
}

/** The path and query of a (possibly absolute) URL. */
export function pathOf(url: string): string {
  const parsed = new URL(url, "http://localhost");
  return parsed.pathname + parsed.search;
}

export function location(response: LightMyRequestResponse): URL {
  const header = response.headers.location;
  if (typeof header !== "string") throw new Error(`no Location (status ${response.statusCode})`);
  return new URL(header, "http://localhost");
}

/** The value of a hidden or text input of the page's form. */
export function inputValue(html: string, name: string): string | undefined {
  const match = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html);
  return match?.[1]?.replaceAll("&amp;", "&").replaceAll("&#x3D;", "=");
}

export function formAction(html: string): string {
  const match = /<form[^>]*action="([^"]*)"/.exec(html);
  if (!match?.[1]) throw new Error("no form on the page");
  return match[1];
}

export class Browser {
  readonly jar = new CookieJar();
  readonly #app: FastifyInstance;

  constructor(app: FastifyInstance) {
    this.#app = app;
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    const response = await this.#app.inject({
      method: "GET",
      url: pathOf(url),
      headers: this.jar.header(),
    });
    this.jar.store(response);
    return response;
  }

  async post(url: string, form: Record<string, string>): Promise<LightMyRequestResponse> {
    const response = await this.#app.inject({
      method: "POST",
      url: pathOf(url),
      headers: { ...this.jar.header(), "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams(form).toString(),
    });
    this.jar.store(response);
    return response;
  }

  /** Submits the page's form with its hidden fields plus the given ones. */
  async submit(
    page: LightMyRequestResponse,
    fields: Record<string, string>,
  ): Promise<LightMyRequestResponse> {
    const csrf = inputValue(page.body, "csrf_token") ?? "";
    return this.post(formAction(page.body), { csrf_token: csrf, ...fields });
  }

  /** Starts an authorization request and signs in on the login page it leads to. */
  async signIn(query: string, email: string, password = PASSWORD) {
    const start = await this.get(query);
    if (start.statusCode !== 302) throw new Error(`authorize answered ${start.statusCode}`);
    const loginPage = await this.get(location(start).href);
    if (loginPage.statusCode !== 200)
      throw new Error(`login page answered ${loginPage.statusCode}`);
    return this.submit(loginPage, { email, password });
  }

  /** Follows a redirect to the consent page and answers it. */
  async consent(afterLogin: LightMyRequestResponse, decision: "allow" | "deny") {
    const consentPage = await this.get(location(afterLogin).href);
    if (consentPage.statusCode !== 200) {
      throw new Error(`consent page answered ${consentPage.statusCode}`);
    }
    return this.submit(consentPage, { decision });
  }
}
