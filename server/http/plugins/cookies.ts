// Cookie parsing and setting (@fastify/cookie), and the attributes every Latchkey cookie
// shares: HttpOnly (no script reads them), SameSite=Lax (not sent on cross-site POSTs or
// subresource requests), Path=/, and under an https issuer Secure plus the __Host- prefix,
// which makes the browser refuse the cookie unless it is Secure, host-only and Path=/, so a
// sibling subdomain cannot plant or overwrite it.

import cookie, { type CookieSerializeOptions } from "@fastify/cookie";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { type Config, isSecureIssuer } from "../../config.ts";

export function cookieName(config: Pick<Config, "issuer">, name: string): string {
  return isSecureIssuer(config) ? `__Host-${name}` : name;
}

/** Browser-session cookies: no Max-Age; the server decides how long the value is worth. */
export function cookieOptions(config: Pick<Config, "issuer">): CookieSerializeOptions {
  return { httpOnly: true, sameSite: "lax", path: "/", secure: isSecureIssuer(config) };
}

async function cookies(app: FastifyInstance): Promise<void> {
  await app.register(cookie);
}

export default fp(cookies, { name: "cookies" });
