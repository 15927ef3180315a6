// Fixtures for the refresh and client credentials tests: a sign-in that goes through the real
// authorization_code grant (so the refresh family is started exactly as in production), a
// refresh request, and a controllable clock for lifetimes and the reuse grace period.

import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import type { Client } from "../../server/oauth/clients.ts";
import type { AuthorizationCodeGrant } from "../../server/tokens/codes.ts";
import { basicAuth, mintCode, newVerifier, postToken, REDIRECT_URI } from "./token-fixtures.ts";

export interface TestClient {
  client: Client;
  /** Null for a public client, which names itself with client_id. */
  secret: string | null;
}

export interface TokenSet {
  access_token: string;
  refresh_token: string;
  id_token?: string;
  scope: string;
  expires_in: number;
  token_type: string;
}

/** The client's way of authenticating: Basic for confidential clients, client_id otherwise. */
export function clientAuth(rp: TestClient): {
  params: Record<string, string>;
  headers: Record<string, string>;
} {
  return rp.secret === null
    ? { params: { client_id: rp.client.id }, headers: {} }
    : { params: {}, headers: { authorization: basicAuth(rp.client.id, rp.secret) } };
}

/** A login: a code minted as the authorize endpoint would, redeemed at the token endpoint. */
export async function signIn(
  app: FastifyInstance,
  rp: TestClient,
  userId: string,
  grant: Partial<AuthorizationCodeGrant> = {},
): Promise<TokenSet> {
  const verifier = newVerifier();
  const code = await mintCode(app, { clientId: rp.client.id, userId, ...grant }, { verifier });
  const { params, headers } = clientAuth(rp);
  const res = await postToken(
    app,
    {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      ...params,
    },
    headers,
  );
  expect(res.statusCode).toBe(200);
  return res.json() as TokenSet;
}

export function refresh(
  app: FastifyInstance,
  rp: TestClient,
  refreshToken: string,
  extra: Record<string, string | string[]> = {},
): Promise<LightMyRequestResponse> {
  const { params, headers } = clientAuth(rp);
  return postToken(
    app,
    { grant_type: "refresh_token", refresh_token: refreshToken, ...params, ...extra },
    headers,
  );
}

export function getUserinfo(
  app: FastifyInstance,
  accessToken: string,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: "GET",
    url: "/oauth/userinfo",
    headers: { authorization: `Bearer ${accessToken}` },
  });
}

export function expectTokenError(res: LightMyRequestResponse, error: string, status = 400): void {
  expect({ status: res.statusCode, body: res.json() }).toEqual({
    status,
    body: { error, error_description: expect.any(String) },
  });
  expect(res.headers["cache-control"]).toBe("no-store");
}

/** A clock the test moves forward by hand; it starts at the real time. */
export function manualClock(): { now: () => Date; advance(seconds: number): void } {
  let at = Date.now();
  return {
    now: () => new Date(at),
    advance(seconds: number) {
      at += seconds * 1000;
    },
  };
}
