// Compact RS256 JWS signing with node:crypto, off the event loop. jose signs through
// WebCrypto, which costs a key conversion and a promise hop per call and measured about a
// third slower per token (npm run bench, "client_credentials"); the JWS itself is only
// base64url(header) "." base64url(payload) "." base64url(signature) (RFC 7515 §7.1).
// Verification stays with jose.

import { type KeyObject, sign } from "node:crypto";
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
