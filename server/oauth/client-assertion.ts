// private_key_jwt client authentication (RFC 7523 §2.2 and §3, RFC 7521 §4.2, OIDC Core §9):
// the client signs a short-lived JWT about itself with a key it registered.
//
// Error codes: a missing client_assertion or client_assertion_type is a malformed request
// (invalid_request, RFC 6749 §5.2 "missing a required parameter"); an assertion type other
// than jwt-bearer is an "unsupported authentication method", which RFC 6749 §5.2 lists under
// invalid_client; every problem with the assertion itself is invalid_client (RFC 7521 §4.2.1).
//
// Order of checks: everything readable without trusting the JWT comes first and costs no
// I/O; the signature is checked next; the jti is spent last, so that nobody can burn a
// client's jti values with unsigned or forged assertions.

import {
  type CryptoKey,
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
} from "jose";
import type { Deps } from "../deps.ts";
import { invalidClient, invalidRequest, type OAuthError } from "../errors.ts";
import { JwksFetchError } from "./client-jwks-fetch.ts";
import type { Client } from "./clients.ts";
import type { Params } from "./params.ts";

export const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** Asymmetric algorithms only: `none` proves nothing, and HS* would need a shared secret. */
export const ASSERTION_SIGNING_ALGS = ["RS256", "PS256", "ES256", "EdDSA"] as const;

/**
 * The longest an assertion may still be valid when it arrives, in seconds. RFC 7523 §3 lets
 * the server limit this; a short window bounds how long the jti must be remembered and how
 * long a leaked assertion is worth anything.
 */
export const ASSERTION_MAX_LIFETIME = 600;

/** A jwks_uri is fetched again for an unknown kid at most this often per URI, in seconds. */
export const JWKS_REFETCH_INTERVAL = 60;

// Far above any real assertion; it bounds the work done for a bogus one.
const ASSERTION_MAX_LENGTH = 8192;
const JTI_MAX_LENGTH = 256;

export type AssertionDeps = Pick<Deps, "config" | "kv" | "now" | "clientJwks">;

const refused = (description: string, detail?: string): OAuthError =>
  invalidClient(description, detail);

/**
 * Reads the assertion parameters and, without trusting it yet, the client the assertion
 * names: iss and sub must both be that client (RFC 7523 §3 items 1 and 2), and a client_id
 * parameter, which RFC 7521 §4.2 makes optional, must name it too.
 */
export function readClientAssertion(params: Params): { assertion: string; clientId: string } {
  const type = params.client_assertion_type;
  const assertion = params.client_assertion;
  if (type === undefined) throw invalidRequest("The client_assertion_type parameter is missing.");
  if (assertion === undefined) throw invalidRequest("The client_assertion parameter is missing.");
  if (type !== JWT_BEARER_ASSERTION) {
    throw refused(`Only the client assertion type ${JWT_BEARER_ASSERTION} is supported.`);
  }
  if (assertion.length > ASSERTION_MAX_LENGTH) {
    throw refused("The client assertion is too long.", `${assertion.length} characters`);
  }
  const parts = assertion.split(".").length;
  if (parts === 5)
    throw refused("The client assertion must be a signed JWT, not an encrypted one.");
  if (parts !== 3) throw refused("The client assertion is not a compact JWS.");

  let alg: unknown;
  let claims: JWTPayload;
  try {
    alg = decodeProtectedHeader(assertion).alg;
    claims = decodeJwt(assertion);
  } catch {
    throw refused("The client assertion is not a well-formed JWT.");
  }
  if (!ASSERTION_SIGNING_ALGS.includes(alg as (typeof ASSERTION_SIGNING_ALGS)[number])) {
    throw refused(
      `The client assertion must be signed with one of ${ASSERTION_SIGNING_ALGS.join(", ")}.`,
      `alg ${String(alg).slice(0, 20)}`,
    );
  }
  const { iss, sub } = claims;
  if (typeof iss !== "string" || iss === "" || iss !== sub) {
    throw refused("The client assertion's iss and sub must both be the client_id.");
  }
  if (params.client_id !== undefined && params.client_id !== iss) {
    throw refused("The client_id parameter differs from the client assertion's issuer.");
  }
  return { assertion, clientId: iss };
}

export interface AssertionClaimRules {
  /** The current time, in seconds since the epoch. */
  now: number;
  clockSkew: number;
  /** Any one of these in aud is enough (RFC 7523 §3 item 3). */
  audiences: readonly string[];
}

/** The time and audience rules of RFC 7523 §3 items 3 to 7; returns what the jti check needs. */
export function checkAssertionClaims(
  claims: JWTPayload,
  rules: AssertionClaimRules,
): { jti: string; exp: number } {
  const { now, clockSkew } = rules;
  const aud = typeof claims.aud === "string" ? [claims.aud] : (claims.aud ?? []);
  if (!Array.isArray(aud) || !aud.some((value) => rules.audiences.includes(value))) {
    throw refused("The client assertion's aud must name this authorization server.");
  }
  const { exp, nbf, iat, jti } = claims;
  if (typeof exp !== "number" || !Number.isFinite(exp)) {
    throw refused("The client assertion has no exp claim.");
  }
  if (exp + clockSkew <= now) throw refused("The client assertion has expired.");
  if (exp - now > ASSERTION_MAX_LIFETIME + clockSkew) {
    throw refused(
      `The client assertion must expire within ${ASSERTION_MAX_LIFETIME} seconds.`,
      `exp is ${exp - now} s ahead`,
    );
  }
  if (nbf !== undefined && (typeof nbf !== "number" || nbf - clockSkew > now)) {
    throw refused("The client assertion is not valid yet.");
  }
  if (iat !== undefined && (typeof iat !== "number" || iat - clockSkew > now)) {
    throw refused("The client assertion is issued in the future.");
  }
  if (typeof jti !== "string" || jti === "" || jti.length > JTI_MAX_LENGTH) {
    throw refused("The client assertion needs a jti claim of at most 256 characters.");
  }
  return { jti, exp };
}

/**
 * Verifies the assertion of a client registered for private_key_jwt: claims, signature with
 * one of the client's keys, then spends the jti. Throws invalid_client on any failure.
 */
export async function verifyClientAssertion(
  deps: AssertionDeps,
  client: Client,
  assertion: string,
  audiences: readonly string[],
): Promise<void> {
  const nowMs = deps.now().getTime();
  const now = Math.floor(nowMs / 1000);
  const { jti, exp } = checkAssertionClaims(decodeJwt(assertion), {
    now,
    clockSkew: deps.config.clockSkew,
    audiences,
  });

  await verifySignature(deps, client, assertion, nowMs);

  // RFC 7523 §3 item 7: remembered until no copy of this assertion could pass the exp check.
  const ttl = Math.max(1, exp + deps.config.clockSkew - now);
  const fresh = await deps.kv.setIfAbsent(`assertion-jti:${client.id}:${jti}`, "1", ttl);
  if (!fresh) {
    throw refused("The client assertion has been used before.", `replayed jti for ${client.id}`);
  }
}

async function verifySignature(
  deps: AssertionDeps,
  client: Client,
  assertion: string,
  nowMs: number,
): Promise<void> {
  if (client.jwks !== null) {
    if (await verifyWithSet(client.jwks as JSONWebKeySet, assertion)) return;
    throw refused("The client assertion is not signed by a key of the client.", client.id);
  }
  if (client.jwksUri === null) {
    throw refused("Client authentication failed.", `client ${client.id} has no keys`);
  }
  const uri = client.jwksUri;
  const fetched = await fetchKeys(deps, uri, false);
  if (await verifyWithSet(fetched.jwks as JSONWebKeySet, assertion)) return;
  // The client may have rotated to a key our cached copy does not have yet (OIDC Core §10.1).
  // Refetching is rate-limited so that bad assertions cannot make us hammer the URI.
  if (nowMs - fetched.fetchedAt >= JWKS_REFETCH_INTERVAL * 1000) {
    const refreshed = await fetchKeys(deps, uri, true);
    if (await verifyWithSet(refreshed.jwks as JSONWebKeySet, assertion)) return;
  }
  throw refused("The client assertion is not signed by a key of the client.", client.id);
}

async function fetchKeys(deps: AssertionDeps, uri: string, refresh: boolean) {
  try {
    return await deps.clientJwks.get(uri, { refresh });
  } catch (err) {
    if (err instanceof JwksFetchError) throw refused("Client authentication failed.", err.message);
    throw err;
  }
}

/**
 * True when some key of the set, chosen by kid and algorithm, verifies the JWS. A set with
 * several candidates (no kid in the header) has each tried in turn.
 */
async function verifyWithSet(jwks: JSONWebKeySet, assertion: string): Promise<boolean> {
  const options = { algorithms: [...ASSERTION_SIGNING_ALGS] };
  try {
    await compactVerify(assertion, createLocalJWKSet(jwks), options);
    return true;
  } catch (err) {
    if (err instanceof errors.JWKSMultipleMatchingKeys) {
      for await (const key of err as unknown as AsyncIterable<CryptoKey>) {
        if (
          await compactVerify(assertion, key, options).then(
            () => true,
            () => false,
          )
        )
          return true;
      }
      return false;
    }
    if (
      err instanceof errors.JWKSNoMatchingKey ||
      err instanceof errors.JWSSignatureVerificationFailed
    ) {
      return false;
    }
    throw refused("The client assertion could not be verified.", (err as Error).message);
  }
}
