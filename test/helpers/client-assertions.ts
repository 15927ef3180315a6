// Fixtures for private_key_jwt tests: client key pairs, signed client assertions, and a small
// HTTP server on 127.0.0.1 that plays a client's jwks_uri (and its misbehaving variants).

import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface ClientKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeClientKey(alg: string, kid: string): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { modulusLength: 2048 });
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, use: "sig" } };
}

export interface AssertionOptions {
  aud?: string | string[];
  /** Seconds from `now`. */
  expIn?: number;
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  jti?: string | null;
  iss?: string;
  sub?: string;
}

/** A client assertion as RFC 7523 §3 asks for, signed with `key`, at the time `now`. */
export function signAssertion(
  key: ClientKey,
  clientId: string,
  now: Date,
  options: AssertionOptions = {},
): Promise<string> {
  const seconds = Math.floor(now.getTime() / 1000);
  const jti = options.jti === undefined ? randomBytes(12).toString("base64url") : options.jti;
  const payload: Record<string, unknown> = {
    iss: options.iss ?? clientId,
    sub: options.sub ?? clientId,
    aud: options.aud,
    iat: seconds,
    exp: seconds + (options.expIn ?? 60),
    ...(jti === null ? {} : { jti }),
    ...options.claims,
  };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...options.header })
    .sign(key.privateKey);
}

export interface JwksServer {
  url: string;
  /** The key set each path serves; change it to rotate. */
  sets: Map<string, { keys: JWK[] }>;
  hits(path: string): number;
  close(): Promise<void>;
}

/**
 * Serves `sets` by path, plus /redirect (a 302 to the first set) and /large (a JSON body of
 * 100 KiB), counting every request per path.
 */
export async function startJwksServer(): Promise<JwksServer> {
  const sets = new Map<string, { keys: JWK[] }>();
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/";
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const set = sets.get(path);
    if (set) {
      res.writeHead(200, {
        "content-type": "application/jwk-set+json",
        "cache-control": "public, max-age=300",
      });
      res.end(JSON.stringify(set));
    } else if (path === "/redirect") {
      res.writeHead(302, { location: [...sets.keys()][0] ?? "/" }).end();
    } else if (path === "/large") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [], padding: "x".repeat(100 * 1024) }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sets,
    hits: (path) => counts.get(path) ?? 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
