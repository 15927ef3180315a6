// Who may register and manage clients. In `token` mode the registration endpoint wants the
// operator's initial access token (RFC 7591 §3); the client configuration endpoint always
// wants the client's own registration access token (RFC 7592 §3). Both are Bearer tokens
// (RFC 6750 §2.1), compared in constant time on their SHA-256 digests; a registration access
// token is stored only as its digest.

import { timingSafeEqual } from "node:crypto";
import type { Config } from "../config.ts";
import { invalidToken } from "../errors.ts";
import type { Client } from "../store/db/clients.ts";
import { digestToken, generateOpaqueToken } from "../tokens/opaque.ts";
import { extractBearerToken } from "./bearer-token.ts";
import type { RawParams } from "./params.ts";

export interface BearerSources {
  authorization: string | undefined;
  query: RawParams;
}

function sameDigest(storedDigest: string, presented: string): boolean {
  const stored = Buffer.from(storedDigest, "base64url");
  const given = Buffer.from(digestToken(presented), "base64url");
  return stored.length === given.length && timingSafeEqual(stored, given);
}

/** The Bearer token of a request; the body is JSON here, so only the header can carry it. */
export function presentedBearerToken(sources: BearerSources): string {
  return extractBearerToken({ ...sources, form: null });
}

/** Throws invalid_token unless the mode is open or the initial access token is presented. */
export function checkInitialAccessToken(
  config: Pick<Config, "registration" | "registrationAccessToken">,
  sources: BearerSources,
): void {
  if (config.registration === "open") return;
  const expected = config.registrationAccessToken;
  const token = presentedBearerToken(sources);
  if (expected === null || !sameDigest(digestToken(expected), token)) {
    throw invalidToken("The initial access token is not valid.");
  }
}

export interface RegistrationToken {
  token: string;
  digest: string;
}

/** A new registration access token: 256 random bits, of which only the digest is kept. */
export function newRegistrationToken(): RegistrationToken {
  const token = generateOpaqueToken();
  return { token, digest: digestToken(token) };
}

/**
 * The client a registration access token manages. An unknown client, a client made by the
 * operator (it has no token) and a wrong token all read the same: 401 invalid_token, so the
 * endpoint does not tell who exists (RFC 7592 §2.1: an unknown client is a 401, not a 404).
 */
export async function authorizeManagement(
  findClient: (id: string) => Promise<Client | null>,
  clientId: string,
  token: string,
): Promise<{ client: Client; tokenDigest: string }> {
  const client = clientId.length > 200 ? null : await findClient(clientId);
  const digest = client?.registrationTokenDigest ?? null;
  if (client === null || digest === null || !sameDigest(digest, token)) {
    throw invalidToken(
      "The registration access token is not valid for this client.",
      `client ${clientId.slice(0, 64)}: ${client === null ? "unknown" : digest === null ? "no registration token" : "wrong token"}`,
    );
  }
  return { client, tokenDigest: digest };
}
