// The keys of a private_key_jwt client (RFC 7523 §2.2, RFC 7591 §2): exactly one of a JWK Set
// given by value or a JWKS URI, public keys only. Operators are trusted to register key sets
// as they see fit; a self-registered client's keys must really be usable public signature
// keys, and its JWKS URI https, because the server will fetch it.

import { createPublicKey, type JsonWebKey } from "node:crypto";
import type { OAuthError } from "../errors.ts";
import type { JsonWebKeySet } from "../store/db/clients.ts";
import { redirectUriProblem } from "./client-uris.ts";

const MAX_JWKS_KEYS = 10;
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
// RFC 7518 §3.3: RS256 and its relatives need keys of 2048 bits or more.
const MIN_RSA_BITS = 2048;

export interface ClientKeys {
  jwksUri: string | null;
  jwks: JsonWebKeySet | null;
}

export interface KeyRules {
  fail: (description: string) => OAuthError;
  selfRegistered: boolean;
}

/** Checks the key-related metadata against the auth method. */
export function resolveClientKeys(
  authMethod: string,
  input: { jwksUri?: string | null; jwks?: unknown },
  rules: KeyRules,
): ClientKeys {
  const { fail } = rules;
  const jwksUri = input.jwksUri ?? null;
  const hasJwks = input.jwks !== undefined && input.jwks !== null;
  if (authMethod === "private_key_jwt") {
    if ((jwksUri === null) === !hasJwks) {
      throw fail("A private_key_jwt client needs exactly one of a JWKS URI and a JWK Set.");
    }
  } else if (jwksUri !== null || hasJwks) {
    throw fail("A JWKS URI or JWK Set is used only with private_key_jwt.");
  }
  if (jwksUri !== null) {
    const problem =
      redirectUriProblem(jwksUri) ??
      (rules.selfRegistered && new URL(jwksUri).protocol !== "https:" ? "must use https" : null);
    if (problem) throw fail(`Invalid JWKS URI "${jwksUri.slice(0, 200)}": it ${problem}.`);
  }
  return { jwksUri, jwks: hasJwks ? checkJwks(input.jwks, rules) : null };
}

function checkJwks(jwks: unknown, { fail, selfRegistered }: KeyRules): JsonWebKeySet {
  const set = jwks as { keys?: unknown } | null;
  if (typeof set !== "object" || set === null || !Array.isArray(set.keys)) {
    throw fail('The JWK Set must be a JSON object with a "keys" array.');
  }
  if (set.keys.length === 0 || set.keys.length > MAX_JWKS_KEYS) {
    throw fail(`The JWK Set must hold 1 to ${MAX_JWKS_KEYS} keys.`);
  }
  const kids = new Set<unknown>();
  for (const key of set.keys as unknown[]) {
    if (typeof key !== "object" || key === null || Array.isArray(key)) {
      throw fail("Every key of the JWK Set must be a JSON object.");
    }
    const jwk = key as Record<string, unknown>;
    if (!["RSA", "EC", "OKP"].includes(jwk.kty as string)) {
      throw fail("Every key of the JWK Set must have kty RSA, EC or OKP.");
    }
    if (PRIVATE_JWK_MEMBERS.some((member) => member in jwk)) {
      throw fail("The JWK Set must hold public keys only.");
    }
    if (!selfRegistered) continue;
    checkSignatureKey(jwk, fail);
    // Assertions name their key by kid; two keys with one kid would make that ambiguous.
    if (jwk.kid !== undefined) {
      if (kids.has(jwk.kid)) throw fail("The keys of the JWK Set must have distinct kid values.");
      kids.add(jwk.kid);
    }
  }
  return { keys: set.keys as Array<Record<string, unknown>> };
}

function checkSignatureKey(jwk: Record<string, unknown>, fail: KeyRules["fail"]): void {
  if (jwk.use !== undefined && jwk.use !== "sig") {
    throw fail('Keys of the JWK Set must be signature keys (use "sig").');
  }
  // X25519 and X448 are OKP keys too, but for key agreement, not signatures.
  if (jwk.kty === "OKP" && jwk.crv !== "Ed25519" && jwk.crv !== "Ed448") {
    throw fail("OKP keys of the JWK Set must be Ed25519 or Ed448 signature keys.");
  }
  let bits: number | undefined;
  try {
    bits = createPublicKey({ key: jwk as JsonWebKey, format: "jwk" }).asymmetricKeyDetails
      ?.modulusLength;
  } catch {
    throw fail(`A ${jwk.kty} key of the JWK Set is not a valid public key.`);
  }
  if (jwk.kty === "RSA" && (bits ?? 0) < MIN_RSA_BITS) {
    throw fail(`RSA keys of the JWK Set must have at least ${MIN_RSA_BITS} bits.`);
  }
}
