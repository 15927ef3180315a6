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
//
// Two store indexes follow the live sessions by sid, each with its deadline: one of all
// sessions (the active-sessions gauge counts it) and one per user (so that ending a user's
// sessions takes them out of the count at once). They hold sids, which are public, never
// cookie values.

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
const endedKey = (sid: string) => `session-ended:${sid}`;
// An ended session's authorization codes must die with it; codes live at most 10 minutes
// (AUTH_CODE_TTL's cap, RFC 6749 §4.1.2), so the mark that says so needs to live no longer.
const ENDED_MARK_SECONDS = 600;
const LIVE_INDEX = "sessions:live";
const userIndex = (userId: string) => `sessions-of:${userId}`;

/** When the session must end, in milliseconds since the epoch. */
function deadline(session: LoginSession, deps: SessionDeps): number {
  const idleEnd = session.lastSeenAt + deps.config.sessionIdleTtl * 1000;
  const absoluteEnd = session.createdAt + deps.config.sessionAbsoluteTtl * 1000;
  return Math.min(idleEnd, absoluteEnd);
}

/** Seconds until the session must end, or 0 when it already has. */
function remainingSeconds(session: LoginSession, deps: SessionDeps, nowMs: number): number {
  return Math.max(0, (deadline(session, deps) - nowMs) / 1000);
}

/** Puts the session in the indexes with its current deadline, or moves that deadline. */
function track(deps: SessionDeps, session: LoginSession): Promise<unknown> {
  const ends = deadline(session, deps);
  const ttl = deps.config.sessionAbsoluteTtl;
  return Promise.all([
    deps.kv.indexAdd(LIVE_INDEX, session.sid, ends, ttl),
    deps.kv.indexAdd(userIndex(session.userId), session.sid, ends, ttl),
  ]);
}

function untrack(deps: SessionDeps, userId: string, sids: string[]): Promise<unknown> {
  return Promise.all([
    deps.kv.indexRemove(LIVE_INDEX, sids),
    deps.kv.indexRemove(userIndex(userId), sids),
  ]);
}

/** Takes ended sessions out of the indexes and marks them ended for their codes. */
function markEnded(deps: SessionDeps, userId: string, sids: string[]): Promise<unknown> {
  return Promise.all([
    untrack(deps, userId, sids),
    ...sids.map((sid) => deps.kv.set(endedKey(sid), "1", ENDED_MARK_SECONDS)),
  ]);
}

/**
 * Whether the session with this sid was ended by a logout, a logout everywhere or a password
 * change within the last 10 minutes: an authorization code issued in it is then refused.
 */
export async function sessionEnded(deps: Pick<SessionDeps, "kv">, sid: string): Promise<boolean> {
  return (await deps.kv.get(endedKey(sid))) !== null;
}

/** How many sessions are alive now, in every browser and on every instance sharing the store. */
export function countActiveSessions(deps: Pick<SessionDeps, "kv" | "now">): Promise<number> {
  return deps.kv.indexCount(LIVE_INDEX, deps.now().getTime());
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
  await Promise.all([
    deps.kv.set(
      sessionKey(cookieValue),
      JSON.stringify(session),
      remainingSeconds(session, deps, nowMs),
    ),
    track(deps, session),
  ]);
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
    await Promise.all([deps.kv.delete(key), untrack(deps, session.userId, [session.sid])]);
    return null;
  }
  const touched = { ...session, lastSeenAt: nowMs };
  // The cut-off is read alongside the touch: a revoked session is rare, so the common case
  // pays no extra round trip, and touching one about to be deleted does no harm.
  const [cutOff] = await Promise.all([
    deps.kv.get(cutOffKey(session.userId)),
    deps.kv.set(key, JSON.stringify(touched), remainingSeconds(touched, deps, nowMs)),
    track(deps, touched),
  ]);
  if (cutOff !== null && endedByCutOff(session, cutOff)) {
    await Promise.all([deps.kv.delete(key), markEnded(deps, session.userId, [session.sid])]);
    return null;
  }
  return touched;
}

export async function endSession(deps: SessionDeps, cookieValue: string): Promise<void> {
  if (!COOKIE_VALUE.test(cookieValue)) return;
  const stored = await deps.kv.take(sessionKey(cookieValue));
  if (stored === null) return;
  const session = JSON.parse(stored) as LoginSession;
  await markEnded(deps, session.userId, [session.sid]);
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
  const ended = (await deps.kv.indexMembers(userIndex(userId), cutOff)).filter(
    (sid) => sid !== options.exceptSid,
  );
  await markEnded(deps, userId, ended);
  return cutOff;
}
