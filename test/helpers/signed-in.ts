// A browser that signed in through the real pages and a client that redeemed the code: the
// starting point of the logout tests (a live session, an ID token with its sid, a refresh
// token in a family of that session).

import type { FastifyInstance } from "fastify";
import { decodeJwt } from "jose";
import type { Client } from "../../server/oauth/clients.ts";
import {
  authorizeQuery,
  type Browser,
  location,
  REDIRECT_URI,
  VERIFIER,
} from "./authorize-flow.ts";
import { basicAuth, postToken } from "./token-fixtures.ts";

export interface Tokens {
  access_token: string;
  id_token: string;
  refresh_token: string;
  /** The ID token's sid: the login session. */
  sid: string;
}

/** Runs the code flow for a skip-consent client in the browser (signing in if needed). */
export async function tokensFor(
  app: FastifyInstance,
  browser: Browser,
  client: { client: Client; secret: string | null },
  login: { email: string; password?: string },
  scope = "openid",
): Promise<Tokens> {
  const query = authorizeQuery(client.client.id, { scope });
  let response = await browser.get(query);
  if (location(response).pathname.endsWith("/login")) {
    response = await browser.signIn(query, login.email, login.password);
  }
  const callback = location(response);
  if (`${callback.origin}${callback.pathname}` !== REDIRECT_URI) {
    throw new Error(`no code: ${callback.href}`);
  }
  const token = await postToken(
    app,
    {
      grant_type: "authorization_code",
      code: callback.searchParams.get("code") ?? "",
      redirect_uri: REDIRECT_URI,
      code_verifier: VERIFIER,
    },
    { authorization: basicAuth(client.client.id, client.secret ?? "") },
  );
  if (token.statusCode !== 200) throw new Error(`token endpoint: ${token.body}`);
  const body = token.json() as Omit<Tokens, "sid">;
  return { ...body, sid: String(decodeJwt(body.id_token).sid) };
}

/** Whether the browser's session still works: a prompt=none request gets a code. */
export async function sessionAlive(browser: Browser, clientId: string): Promise<boolean> {
  const response = await browser.get(authorizeQuery(clientId, { prompt: "none", scope: "openid" }));
  const url = location(response);
  if (url.searchParams.get("code") !== null) return true;
  if (url.searchParams.get("error") === "login_required") return false;
  throw new Error(`unexpected answer: ${url.href}`);
}
