// Fixtures for token-endpoint and userinfo tests: clients and users made with the business
// functions on the test app's own database, and authorization codes minted straight into its
// store, so these tests do not go through the login pages.

import { randomBytes } from "node:crypto";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";
import { createUser, type User } from "../../server/accounts/users.ts";
import type { ClientMetadataInput } from "../../server/oauth/client-metadata.ts";
import { type Client, createClient } from "../../server/oauth/clients.ts";
import { s256Challenge } from "../../server/oauth/pkce.ts";
import { type AuthorizationCodeGrant, issueAuthorizationCode } from "../../server/tokens/codes.ts";

export const REDIRECT_URI = "https://rp.example.com/callback";

export async function makeClient(
  app: FastifyInstance,
  input: Partial<ClientMetadataInput> = {},
): Promise<{ client: Client; secret: string | null }> {
  return createClient(
    app.deps.db,
    { name: "Test RP", redirectUris: [REDIRECT_URI], ...input },
    app.deps.now(),
  );
}

export async function makeUser(
  app: FastifyInstance,
  input: { name?: string | null; emailVerified?: boolean } = {},
): Promise<User> {
  return createUser(
    app.deps.db,
    {
      email: `user-${randomBytes(4).toString("hex")}@example.com`,
      password: "correct horse battery staple",
      name: input.name === undefined ? "Ada Lovelace" : input.name,
      emailVerified: input.emailVerified ?? true,
    },
    app.deps.now(),
  );
}

export function newVerifier(): string {
  return randomBytes(32).toString("base64url");
}

/** Mints a code as the authorization endpoint would; PKCE with `verifier` unless null. */
export async function mintCode(
  app: FastifyInstance,
  grant: Pick<AuthorizationCodeGrant, "clientId" | "userId"> & Partial<AuthorizationCodeGrant>,
  options: { verifier?: string | null; ttl?: number } = {},
): Promise<string> {
  const verifier = options.verifier === undefined ? null : options.verifier;
  return issueAuthorizationCode(
    app.deps.kv,
    {
      redirectUri: REDIRECT_URI,
      scope: "openid profile email",
      resources: [],
      nonce: "n-0S6_WzA2Mj",
      codeChallenge: verifier === null ? null : s256Challenge(verifier),
      codeChallengeMethod: verifier === null ? null : "S256",
      authTime: Math.floor(app.deps.now().getTime() / 1000) - 5,
      sid: randomBytes(16).toString("base64url"),
      amr: ["pwd"],
      maxAgeRequested: false,
      claimsLocales: null,
      ...grant,
    },
    options.ttl ?? app.deps.config.authCodeTtl,
  );
}

/** The Authorization header of client_secret_basic, form-encoding both halves (RFC 6749 §2.3.1). */
export function basicAuth(clientId: string, secret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString("base64")}`;
}

export function formBody(params: Record<string, string | string[]>): string {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) body.append(name, item);
  }
  return body.toString();
}

export function postToken(
  app: FastifyInstance,
  params: Record<string, string | string[]>,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: "POST",
    url: "/oauth/token",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    payload: formBody(params),
  });
}

/** Verifies a JWT against the app's published JWKS, as a relying party would. */
export async function verifyWithJwks(
  app: FastifyInstance,
  token: string,
  options: { typ: string; audience?: string },
): Promise<{ payload: JWTPayload; header: Record<string, unknown> }> {
  const res = await app.inject({ method: "GET", url: "/oauth/jwks" });
  const jwks = createLocalJWKSet(res.json() as JSONWebKeySet);
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: app.deps.config.issuer,
    typ: options.typ,
    algorithms: ["RS256"],
    ...(options.audience === undefined ? {} : { audience: options.audience }),
  });
  return { payload, header: protectedHeader as Record<string, unknown> };
}
