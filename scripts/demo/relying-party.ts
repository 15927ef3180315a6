// A small "Login with Latchkey" web app: a real relying party built on openid-client, the
// library most Node apps use. It runs the authorization code flow with PKCE, state and nonce,
// then shows the validated ID token claims, the userinfo response and the access token's
// claims. buildRelyingParty() never listens; scripts/demo/main.ts and the tests do.

import { randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { decodeJwt } from "jose";
import * as oidc from "openid-client";

export interface RelyingPartyOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scope?: string;
  logger?: boolean;
}

interface PendingLogin {
  codeVerifier: string;
  state: string;
  nonce: string;
}

const COOKIE = "demo_rp_login";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
  main { max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
  .card { background: #fff; border-radius: 12px; padding: 1.5rem; box-shadow: 0 1px 3px #0002; margin-bottom: 1rem; }
  a.button { display: inline-block; background: #3451b2; color: #fff; padding: .7rem 1.2rem; border-radius: 8px; text-decoration: none; font-weight: 600; }
  pre { background: #0f172a; color: #e2e8f0; padding: 1rem; border-radius: 8px; overflow-x: auto; font-size: 14px; }
  h1 { font-size: 1.5rem; } h2 { font-size: 1.1rem; margin-top: 0; }
</style></head>
<body><main>${body}</main></body></html>`;
}

function claimsCard(id: string, title: string, value: unknown): string {
  return `<section class="card" id="${id}"><h2>${escapeHtml(title)}</h2><pre>${escapeHtml(
    JSON.stringify(value, null, 2),
  )}</pre></section>`;
}

export async function buildRelyingParty(options: RelyingPartyOptions): Promise<FastifyInstance> {
  const issuerUrl = new URL(options.issuer);
  const insecure = issuerUrl.protocol === "http:";
  const config = await oidc.discovery(
    issuerUrl,
    options.clientId,
    undefined,
    oidc.ClientSecretBasic(options.clientSecret),
    insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
  );
  const scope = options.scope ?? "openid profile email offline_access";
  // One process, one developer: pending logins can live in memory, keyed by a cookie.
  const pending = new Map<string, PendingLogin>();

  const app = Fastify({ logger: options.logger ?? false });

  app.get("/", async (_request, reply) =>
    reply.type("text/html").send(
      page(
        "Demo app",
        `<section class="card"><h1>Demo app</h1>
         <p>This app signs you in with Latchkey at <code>${escapeHtml(options.issuer)}</code>.</p>
         <p><a class="button" href="/login">Login with Latchkey</a></p></section>`,
      ),
    ),
  );

  app.get("/login", async (_request, reply) => {
    const login: PendingLogin = {
      codeVerifier: oidc.randomPKCECodeVerifier(),
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
    };
    const id = randomBytes(16).toString("base64url");
    pending.set(id, login);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: options.redirectUri,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(login.codeVerifier),
      code_challenge_method: "S256",
      state: login.state,
      nonce: login.nonce,
    });
    reply.header("set-cookie", `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600`);
    return reply.redirect(url.href, 302);
  });

  app.get("/callback", async (request, reply) => {
    const cookie = /(?:^|;\s*)demo_rp_login=([\w-]+)/.exec(request.headers.cookie ?? "")?.[1];
    const login = cookie ? pending.get(cookie) : undefined;
    if (!cookie || !login) {
      return reply
        .code(400)
        .type("text/html")
        .send(
          page(
            "Login expired",
            `<section class="card"><h1>Login expired</h1><p><a href="/">Start again</a></p></section>`,
          ),
        );
    }
    pending.delete(cookie);
    const currentUrl = new URL(request.url, options.redirectUri);
    try {
      const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: login.codeVerifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error("no ID token");
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      return reply.type("text/html").send(
        page(
          "Signed in",
          `<section class="card"><h1>Signed in as ${escapeHtml(String(userinfo.email ?? claims.sub))}</h1>
           <p>openid-client validated the ID token, then called userinfo with the access token.</p>
           <p><a href="/">Back</a></p></section>` +
            claimsCard("id-token", "ID token claims", claims) +
            claimsCard("userinfo", "Userinfo", userinfo) +
            claimsCard("access-token", "Access token claims", decodeJwt(tokens.access_token)) +
            claimsCard("token-response", "Token response", {
              token_type: tokens.token_type,
              expires_in: tokens.expires_in,
              scope: tokens.scope,
              refresh_token: tokens.refresh_token ? "(received)" : "(none)",
            }),
        ),
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const code = (err as { error?: string }).error;
      return reply
        .code(400)
        .type("text/html")
        .send(
          page(
            "Login failed",
            `<section class="card"><h1>Login failed</h1><p id="error">${escapeHtml(code ?? "error")}: ${escapeHtml(message)}</p>
           <p><a href="/">Start again</a></p></section>`,
          ),
        );
    }
  });

  return app;
}
