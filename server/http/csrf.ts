// CSRF protection for the login and consent forms, without server state and without a
// server-wide secret that instances would have to share. The browser gets a random 256-bit
// key in an HttpOnly cookie (Secure and __Host- under https, so neither script nor a sibling
// subdomain can read or plant it); every form carries HMAC-SHA256(key, purpose), where the
// purpose names the form and its interaction (and, for consent, the session). A cross-site
// attacker can neither read the cookie nor compute the token, and a token for one form or
// one interaction is worthless for another. SameSite=Lax on all cookies is a second layer.

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.ts";
import { cookieName, cookieOptions } from "./plugins/cookies.ts";

const KEY_COOKIE = "latchkey-csrf";
const KEY_VALUE = /^[A-Za-z0-9_-]{43}$/;

function tokenFor(key: string, purpose: string): string {
  return createHmac("sha256", key).update(purpose).digest("base64url");
}

function presentedKey(request: FastifyRequest, config: Pick<Config, "issuer">): string | null {
  const key = request.cookies[cookieName(config, KEY_COOKIE)];
  return key !== undefined && KEY_VALUE.test(key) ? key : null;
}

/** The token for a form; sets the key cookie when the browser has none yet. */
export function csrfToken(
  request: FastifyRequest,
  reply: FastifyReply,
  config: Pick<Config, "issuer">,
  purpose: string,
): string {
  let key = presentedKey(request, config);
  if (key === null) {
    key = randomBytes(32).toString("base64url");
    reply.setCookie(cookieName(config, KEY_COOKIE), key, cookieOptions(config));
    // A later csrfToken() call in the same request must use the same key.
    request.cookies[cookieName(config, KEY_COOKIE)] = key;
  }
  return tokenFor(key, purpose);
}

/** True when the submitted token was made for this browser and this purpose. */
export function csrfTokenValid(
  request: FastifyRequest,
  config: Pick<Config, "issuer">,
  purpose: string,
  submitted: unknown,
): boolean {
  const key = presentedKey(request, config);
  if (key === null || typeof submitted !== "string") return false;
  const expected = Buffer.from(tokenFor(key, purpose));
  const given = Buffer.from(submitted);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
