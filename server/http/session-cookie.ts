// The login session cookie: carries the opaque session value of accounts/sessions.ts, with
// the shared cookie attributes (plugins/cookies.ts). It has no Max-Age: the server-side idle
// and absolute lifetimes decide how long it is worth anything.

import type { FastifyReply, FastifyRequest } from "fastify";
import { findSession, type LoginSession, type SessionDeps } from "../accounts/sessions.ts";
import type { Config } from "../config.ts";
import { cookieName, cookieOptions } from "./plugins/cookies.ts";

const SESSION_COOKIE = "latchkey-session";

export function sessionCookieName(config: Pick<Config, "issuer">): string {
  return cookieName(config, SESSION_COOKIE);
}

export function readSessionCookie(
  request: FastifyRequest,
  config: Pick<Config, "issuer">,
): string | undefined {
  return request.cookies[sessionCookieName(config)];
}

export function setSessionCookie(
  reply: FastifyReply,
  config: Pick<Config, "issuer">,
  value: string,
): void {
  reply.setCookie(sessionCookieName(config), value, cookieOptions(config));
}

/** Tells the browser to forget the session cookie (after logout). */
export function clearSessionCookie(reply: FastifyReply, config: Pick<Config, "issuer">): void {
  reply.clearCookie(sessionCookieName(config), cookieOptions(config));
}

/** The live login session of the request's browser, or null. */
export function currentSession(
  request: FastifyRequest,
  deps: SessionDeps & { config: Pick<Config, "issuer"> },
): Promise<LoginSession | null> {
  return findSession(deps, readSessionCookie(request, deps.config));
}
