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
  const key = typeof header.kid === "string" ? keyFor(header.kid) : undefined;
  if (key === undefined) throw new JwsError(`no published key has kid ${String(header.kid)}`);
  const signed = Buffer.from(`${encodedHeader}.${encodedPayload}`);
  if (!verify("sha256", signed, key, Buffer.from(encodedSignature, "base64url"))) {
    throw new JwsError("the signature does not verify");
  }
  const payload = decodeJson(encodedPayload, "payload") as JWTPayload;
  if (payload.iss !== expected.issuer) throw new JwsError(`iss ${String(payload.iss)} is not ours`);
  const { exp, nbf, iat } = payload;
  if (typeof exp !== "number") throw new JwsError("exp is missing");
  if (exp <= expected.now - expected.clockTolerance) throw new JwsError("the token has expired");
  if (
    nbf !== undefined &&
    (typeof nbf !== "number" || nbf > expected.now + expected.clockTolerance)
  ) {
    throw new JwsError("the token is not yet valid");
  }
  if (iat !== undefined && typeof iat !== "number") throw new JwsError("iat is not a number");
  return payload;
}
