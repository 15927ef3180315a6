// Compact RS256 JWS signing and verification of our own tokens with node:crypto. jose works
// through WebCrypto, which costs a key conversion and a promise hop per call: signing measured
// about a third slower per token (npm run bench, "client_credentials") and verification cost
// the introspection and userinfo endpoints more than their own work. A JWS is only
// base64url(header) "." base64url(payload) "." base64url(signature) (RFC 7515 §7.1).
// Signing (about a millisecond of RSA) runs on the libuv thread pool; verifying (tens of
// microseconds) runs inline, where a thread-pool hop would cost more than it saves. Tokens
// of other parties (client assertions, id_token_hint) are still verified with jose.

import { type KeyObject, sign, verify } from "node:crypto";
import type { JWTPayload } from "jose";

function encode(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** Signs `payload` with RSASSA-PKCS1-v1_5 SHA-256 on the libuv thread pool. */
export function signRs256(
  header: { alg: "RS256"; kid: string; typ: string },
  payload: JWTPayload,
  key: KeyObject,
): Promise<string> {
  const input = `${encode(header)}.${encode(payload)}`;
  return new Promise((resolve, reject) => {
    sign("sha256", Buffer.from(input), key, (err, signature) => {
      if (err) reject(err);
      else resolve(`${input}.${signature.toString("base64url")}`);
    });
  });
}

/** A token that is not a valid JWT of ours; the message says why (for logs, not clients). */
export class JwsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JwsError";
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function decodeJson(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    throw new JwsError(`the ${what} is not base64url JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new JwsError(`the ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** "application/at+jwt" and "AT+JWT" name the same media type as "at+jwt" (RFC 7515 §4.1.9). */
const normalizeTyp = (typ: string) => typ.toLowerCase().replace(/^application\//, "");

export interface Rs256Expectations {
  typ: string;
  issuer: string;
  /** Seconds since the epoch. */
  now: number;
  /** Seconds of clock skew tolerated for exp and nbf. */
  clockTolerance: number;
}

/**
 * Verifies a compact RS256 JWS made by this server and returns its claims: alg RS256, a kid
 * naming one of the keys keyFor() knows, no crit header, the expected typ, the signature, iss,
 * exp (required) and nbf. Throws JwsError otherwise.
 */
export function verifyRs256(
  token: string,
  keyFor: (kid: string) => KeyObject | undefined,
  expected: Rs256Expectations,
): JWTPayload {
  return verifySignedToken(token, keyFor, expected).payload;
}

function verifySignedToken(
  token: string,
  keyFor: (kid: string) => KeyObject | undefined,
  expected: Rs256Expectations,
): { payload: JWTPayload; kid: string } {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) {
    throw new JwsError("not a compact JWS");
  }
  const [encodedHeader = "", encodedPayload = "", encodedSignature = ""] = parts;
  const header = decodeJson(encodedHeader, "header");
  if (header.alg !== "RS256") throw new JwsError(`alg ${String(header.alg)} is not RS256`);
  if (header.crit !== undefined) throw new JwsError("a crit header is not understood");
  if (typeof header.typ !== "string" || normalizeTyp(header.typ) !== normalizeTyp(expected.typ)) {
    throw new JwsError(`typ ${String(header.typ)} is not ${expected.typ}`);
  }
  const kid = typeof header.kid === "string" ? header.kid : null;
  const key = kid === null ? undefined : keyFor(kid);
  if (kid === null || key === undefined) {
    throw new JwsError(`no published key has kid ${String(header.kid)}`);
  }
  const signed = Buffer.from(`${encodedHeader}.${encodedPayload}`);
  if (!verify("sha256", signed, key, Buffer.from(encodedSignature, "base64url"))) {
    throw new JwsError("the signature does not verify");
  }
  const payload = decodeJson(encodedPayload, "payload") as JWTPayload;
  if (payload.iss !== expected.issuer) throw new JwsError(`iss ${String(payload.iss)} is not ours`);
  const { exp, iat } = payload;
  if (typeof exp !== "number") throw new JwsError("exp is missing");
  if (iat !== undefined && typeof iat !== "number") throw new JwsError("iat is not a number");
  if (payload.nbf !== undefined && typeof payload.nbf !== "number") {
    throw new JwsError("nbf is not a number");
  }
  checkTimes(payload, expected);
  return { payload, kid };
}

function checkTimes(payload: JWTPayload, expected: Rs256Expectations): void {
  const { exp = 0, nbf } = payload;
  if (exp <= expected.now - expected.clockTolerance) throw new JwsError("the token has expired");
  if (nbf !== undefined && nbf > expected.now + expected.clockTolerance) {
    throw new JwsError("the token is not yet valid");
  }
}

const VERIFIED_CACHE_ENTRIES = 10_000;

/**
 * verifyRs256 with a memory of the tokens whose signature verified: a resource server
 * introspecting the same access token on each of its calls, or an app calling userinfo
 * again, then costs no RSA verification. A token counts as the same only byte for byte (the
 * whole string is the key), so nothing unverified is ever taken from the memory; the times
 * are checked again on every call, and so is the publication of the key that signed it, so
 * a key taken out of the JWKS stops its tokens at once. At most 10,000 tokens are kept, the
 * oldest dropped first, and an expired one is dropped when seen.
 */
export function createRs256Verifier(): (
  token: string,
  keyFor: (kid: string) => KeyObject | undefined,
  expected: Rs256Expectations,
) => JWTPayload {
  const verified = new Map<string, { payload: JWTPayload; kid: string; typ: string }>();
  return (token, keyFor, expected) => {
    const hit = verified.get(token);
    if (hit !== undefined && hit.typ === normalizeTyp(expected.typ)) {
      if (keyFor(hit.kid) === undefined) throw new JwsError(`no published key has kid ${hit.kid}`);
      try {
        checkTimes(hit.payload, expected);
      } catch (err) {
        verified.delete(token);
        throw err;
      }
      return hit.payload;
    }
    const { payload, kid } = verifySignedToken(token, keyFor, expected);
    if (verified.size >= VERIFIED_CACHE_ENTRIES) {
      const oldest = verified.keys().next().value;
      if (oldest !== undefined) verified.delete(oldest);
    }
    verified.set(token, { payload: Object.freeze(payload), kid, typ: normalizeTyp(expected.typ) });
    return payload;
  };
}
