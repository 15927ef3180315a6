// The peer: node-oidc-provider configured for the same work as Latchkey (RS256 with an
// RSA-2048 key, JWT access tokens through resource indicators with a default resource, the
// same lifetimes, PKCE, refresh rotation, Redis for its state), run as its own process with
// a tiny login handler that verifies an argon2id password with Latchkey's parameters.
// Started by peer.ts with its configuration as JSON in BENCH_PEER; prints one "ready" line.

import { generateKeyPairSync } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import argon2 from "argon2";
import Provider from "oidc-provider";
import { createClient } from "redis";
import { redisAdapter } from "./peer-redis-adapter.ts";

export interface PeerClient {
  client_id: string;
  client_secret: string;
  grant_types: string[];
  redirect_uris: string[];
  scope: string;
  /** Whether the client's tokens are for the API (JWT) or for userinfo (opaque). */
  api: boolean;
}

export interface PeerConfig {
  port: number;
  redisUrl: string;
  prefix: string;
  api: string;
  apiScope: string;
  ttl: {
    accessToken: number;
    idToken: number;
    authCode: number;
    refreshIdle: number;
    session: number;
  };
  users: Array<{ id: string; email: string; name: string; hash: string }>;
  clients: PeerClient[];
}

const config = JSON.parse(process.env.BENCH_PEER ?? "") as PeerConfig;
const issuer = `http://127.0.0.1:${config.port}`;

const redis = createClient({ url: config.redisUrl });
await redis.connect();

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: "jwk" }), kid: "peer-1", alg: "RS256", use: "sig" };

const usersByEmail = new Map(config.users.map((user) => [user.email, user]));
const usersById = new Map(config.users.map((user) => [user.id, user]));
const apiClients = new Set(config.clients.filter((c) => c.api).map((c) => c.client_id));

// Remembered consent per account and client, the way Latchkey keeps it per user and client:
// oidc-provider's grants belong to a session, so a new login looks the grant up here.
const grantKey = (accountId: string, clientId: string) =>
  `${config.prefix}consent:${accountId}:${clientId}`;

interface OidcContext {
  oidc: {
    client?: { clientId: string };
    session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    result?: { consent?: { grantId?: string } };
    params?: Record<string, unknown>;
  };
}

const provider = new Provider(issuer, {
  adapter: redisAdapter(redis, config.prefix),
  // Client `scope` may list OpenID scopes only; the API scope is allowed by the resource server.
  clients: config.clients.map(({ api: _api, scope, ...client }) => ({
    ...client,
    ...(scope.includes(" ") ? { scope: scope.replace(config.apiScope, "").trim() } : {}),
    response_types: client.grant_types.includes("authorization_code") ? ["code"] : [],
    token_endpoint_auth_method: "client_secret_basic",
  })),
  jwks: { keys: [jwk] },
  cookies: { keys: ["bench-cookie-key-0123456789abcdef"] },
  // The API scope is the resource server's (getResourceServerInfo), not an OpenID scope.
  scopes: ["openid", "email", "profile", "offline_access"],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  async findAccount(_ctx: unknown, id: string) {
    const user = usersById.get(id);
    if (!user) return undefined;
    return {
      accountId: id,
      claims: async () => ({ sub: id, email: user.email, email_verified: false, name: user.name }),
    };
  },
  async loadExistingGrant(ctx: OidcContext) {
    const { client, session, result } = ctx.oidc;
    if (!client || !session?.accountId) return undefined;
    const grantId =
      result?.consent?.grantId ??
      session.grantIdFor(client.clientId) ??
      (await redis.get(grantKey(session.accountId, client.clientId))) ??
      undefined;
    return grantId ? provider.Grant.find(grantId) : undefined;
  },
  interactions: {
    url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
  },
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: true },
    revocation: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Tokens are JWTs for the API, as Latchkey's are for its default audience; the client
      // marked api: false gets opaque tokens, the only kind the peer's userinfo and
      // introspection accept.
      defaultResource: (ctx: OidcContext) =>
        ctx.oidc.client && apiClients.has(ctx.oidc.client.clientId) ? config.api : undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: config.apiScope,
        audience: config.api,
        accessTokenTTL: config.ttl.accessToken,
        accessTokenFormat: "jwt",
        jwt: { sign: { alg: "RS256" } },
      }),
    },
  },
  pkce: { required: () => true },
  // oidc-provider drops offline_access from a request without prompt=consent (OIDC Core
  // §11), which would ask for consent on every authorization; Latchkey remembers consent
  // instead, so the peer issues refresh tokens to every client registered for the grant.
  issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
    client.grantTypeAllowed("refresh_token"),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: config.ttl.accessToken,
    ClientCredentials: config.ttl.accessToken,
    IdToken: config.ttl.idToken,
    AuthorizationCode: config.ttl.authCode,
    RefreshToken: config.ttl.refreshIdle,
    Interaction: 600,
    Session: config.ttl.session,
    Grant: config.ttl.refreshIdle,
  },
});
provider.on("server_error", (_ctx, err) => {
  process.stderr.write(`peer server_error: ${String(err)}\n`);
});

/** Grants every bench user's consent to every client once, as Latchkey's consents table does. */
async function grantConsents(): Promise<void> {
  for (const user of config.users) {
    for (const client of config.clients.filter((c) =>
      c.grant_types.includes("authorization_code"),
    )) {
      const grant = new provider.Grant({ accountId: user.id, clientId: client.client_id });
      grant.addOIDCScope(
        client.scope
          .split(" ")
          .filter((s) => s !== config.apiScope)
          .join(" "),
      );
      if (client.api) grant.addResourceScope(config.api, config.apiScope);
      await redis.set(grantKey(user.id, client.client_id), await grant.save());
    }
  }
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

const LOGIN_PAGE = (uid: string) =>
  `<!doctype html><title>Sign in</title><form method="post" action="/interaction/${uid}/login">` +
  `<label>Email <input name="email"></label><label>Password <input name="password" type="password"></label>` +
  `<button>Sign in</button></form>`;

async function interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (req.method === "GET") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(LOGIN_PAGE(details.uid));
    return;
  }
  const form = await readForm(req);
  const user = usersByEmail.get(form.get("email") ?? "");
  const ok = user
    ? await argon2.verify(user.hash, (form.get("password") ?? "").normalize("NFKC"))
    : false;
  if (!user || !ok) {
    res.writeHead(401, { "content-type": "text/html; charset=utf-8" });
    res.end(LOGIN_PAGE(details.uid));
    return;
  }
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: user.id } },
    { mergeWithLastSubmission: false },
  );
}

await grantConsents();
const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url?.startsWith("/interaction/")) {
    interaction(req, res).catch((err: unknown) => {
      process.stderr.write(`peer interaction error: ${String(err)}\n`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
    return;
  }
  callback(req, res);
});
server.keepAliveTimeout = 60_000;
server.listen(config.port, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ ready: true, issuer })}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  redis.destroy();
  process.exit(0);
});
