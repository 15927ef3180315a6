// Login sessions: what lets a user who signed in once go through later authorization requests
// without typing the password again. The browser holds an opaque 256-bit value in a cookie;
// the store holds the session under that value's digest only, so a leaked store dump cannot
// be replayed as a cookie. Every instance reads the same store: no sticky sessions.
//
// A session ends after SESSION_IDLE_TTL without use and SESSION_ABSOLUTE_TTL after the login,
// whichever comes first. The store entry's TTL follows the same deadline, and the deadlines
// are checked again on every read, so a store that keeps entries a little longer changes
// nothing.
//
// Sessions are found by cookie digest only; there is no index of a user's sessions. Ending
// all of them ("log out everywhere", a password change) stores a per-user cut-off instead: a
// session created at or before it is dead, except the one session it may name (the browser
// that changed the password stays signed in). The cut-off needs to live only as long as a
// session can (SESSION_ABSOLUTE_TTL), and costs a read of one more key per lookup.

import { randomBytes } from "node:crypto";
import type { Config } from "../config.ts";
import type { KvStore } from "../store/kv/types.ts";
import { digestToken, generateOpaqueToken } from "../tokens/opaque.ts";

export interface LoginSession {
  /** Public random id of the session: the ID token's `sid`, safe to show to clients. */
  sid: string;
  userId: string;
  /** When the user authenticated, in seconds since the epoch (the ID token's `auth_time`). */
  authTime: number;
  /** Authentication methods (RFC 8176). */
  amr: string[];
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch of the last request that used the session. */
  lastSeenAt: number;
}

export interface SessionDeps {
  kv: KvStore;
  config: Pick<Config, "sessionIdleTtl" | "sessionAbsoluteTtl">;
  now: () => Date;
}

/** The shape of a cookie value made by generateOpaqueToken(); anything else is not looked up. */
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

const sessionKey = (cookieValue: string) => `session:${digestToken(cookieValue)}`;
const cutOffKey = (userId: string) => `sessions-revoked-before:${userId}`;

/** Seconds until the session must end, or 0 when it already has. */
function remainingSeconds(session: LoginSession, deps: SessionDeps, nowMs: number): number {
  const idleEnd = session.lastSeenAt + deps.config.sessionIdleTtl * 1000;
  const absoluteEnd = session.createdAt + deps.config.sessionAbsoluteTtl * 1000;
  return Math.max(0, (Math.min(idleEnd, absoluteEnd) - nowMs) / 1000);
}

export interface StartedSession {
  /** The cookie value: given to the browser once, never stored. */
  cookieValue: string;
  session: LoginSession;
}

/**
 * Starts a session after a successful login. Any session the browser still held is ended
 * first: a new login always gets a new cookie value and a new sid, so a value planted in the
 * browser before the login (session fixation) is worth nothing after it.
 */
export async function startSession(
  deps: SessionDeps,
  login: { userId: string; amr: string[]; previousCookieValue?: string | undefined },
): Promise<StartedSession> {
  if (login.previousCookieValue !== undefined) await endSession(deps, login.previousCookieValue);
  const nowMs = deps.now().getTime();
  const session: LoginSession = {
    sid: randomBytes(16).toString("base64url"),
    userId: login.userId,
    authTime: Math.floor(nowMs / 1000),
    amr: login.amr,
    createdAt: nowMs,
    lastSeenAt: nowMs,
  };
  const cookieValue = generateOpaqueToken();
  await deps.kv.set(
    sessionKey(cookieValue),
    JSON.stringify(session),
    remainingSeconds(session, deps, nowMs),
  );
  return { cookieValue, session };
}

/**
 * The live session behind a cookie value, or null. Using a session moves its idle deadline;
 * an expired one is deleted.
 */
export async function findSession(
  deps: SessionDeps,
  cookieValue: string | undefined,
): Promise<LoginSession | null> {
  if (cookieValue === undefined || !COOKIE_VALUE.test(cookieValue)) return null;
  const key = sessionKey(cookieValue);
  const stored = await deps.kv.get(key);
  if (stored === null) return null;
  const session = JSON.parse(stored) as LoginSession;
  const nowMs = deps.now().getTime();
  if (remainingSeconds(session, deps, nowMs) <= 0) {
    await deps.kv.delete(key);
    return null;
  }
  const touched = { ...session, lastSeenAt: nowMs };
  // The cut-off is read alongside the touch: a revoked session is rare, so the common case
  // pays no extra round trip, and touching one about to be deleted does no harm.
  const [cutOff] = await Promise.all([
    deps.kv.get(cutOffKey(session.userId)),
    deps.kv.set(key, JSON.stringify(touched), remainingSeconds(touched, deps, nowMs)),
  ]);
  if (cutOff !== null && endedByCutOff(session, cutOff)) {
    await deps.kv.delete(key);
    return null;
  }
  return touched;
}

export async function endSession(deps: SessionDeps, cookieValue: string): Promise<void> {
  if (COOKIE_VALUE.test(cookieValue)) await deps.kv.delete(sessionKey(cookieValue));
}

// The stored cut-off: "<milliseconds>" or "<milliseconds>:<sid of the session it spares>".
function endedByCutOff(session: LoginSession, stored: string): boolean {
  const [before, sparedSid] = stored.split(":");
  return session.createdAt <= Number(before) && session.sid !== sparedSid;
}

/**
 * Ends every session of the user that exists now, in every browser, by storing a cut-off
 * that findSession() checks; `exceptSid` names one session that stays alive. Returns
 * the cut-off (milliseconds since the epoch). A later cut-off replaces an earlier one, which
 * it covers.
 */
export async function endSessionsOfUser(
  deps: SessionDeps,
  userId: string,
  options: { exceptSid?: string } = {},
): Promise<number> {
  const cutOff = deps.now().getTime();
  const value = options.exceptSid === undefined ? String(cutOff) : `${cutOff}:${options.exceptSid}`;
  await deps.kv.set(cutOffKey(userId), value, deps.config.sessionAbsoluteTtl);
  return cutOff;
}
