// A login halfway: the password was right and the account has a second factor, so the code
// comes next. The browser holds an opaque value in a short-lived cookie; the store holds the
// user and what the login is for under that value's digest. A pending login lives for a few
// minutes and a few wrong codes; after that the password must be typed again. It does not
// count as being signed in anywhere.

import type { KvStore } from "../store/kv/types.ts";
import { digestToken, generateOpaqueToken, hasOpaqueTokenShape } from "../tokens/opaque.ts";

/** Long enough to open the app and type a code. */
export const PENDING_LOGIN_TTL = 300;
/** Wrong codes before the password must be typed again (the account lockout counts them too). */
export const PENDING_LOGIN_MAX_FAILURES = 5;

export interface PendingLogin {
  userId: string;
  /** What the login is for: "interaction:<id>" or "account"; a code counts only there. */
  purpose: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  failures: number;
}

export interface PendingLoginDeps {
  kv: KvStore;
  now: () => Date;
}

const pendingKey = (value: string) => `pending-login:${digestToken(value)}`;

function remainingSeconds(pending: PendingLogin, now: Date): number {
  return PENDING_LOGIN_TTL - (now.getTime() - pending.createdAt) / 1000;
}

/** Stores the pending login; returns the value for the browser's cookie. */
export async function startPendingLogin(
  deps: PendingLoginDeps,
  login: { userId: string; purpose: string },
): Promise<string> {
  const value = generateOpaqueToken();
  const pending: PendingLogin = { ...login, createdAt: deps.now().getTime(), failures: 0 };
  await deps.kv.set(pendingKey(value), JSON.stringify(pending), PENDING_LOGIN_TTL);
  return value;
}

/** The live pending login behind the cookie value, for this purpose only; else null. */
export async function findPendingLogin(
  deps: PendingLoginDeps,
  value: string | undefined,
  purpose: string,
): Promise<PendingLogin | null> {
  if (value === undefined || !hasOpaqueTokenShape(value)) return null;
  const stored = await deps.kv.get(pendingKey(value));
  if (stored === null) return null;
  const pending = JSON.parse(stored) as PendingLogin;
  if (pending.purpose !== purpose || remainingSeconds(pending, deps.now()) <= 0) return null;
  return pending;
}

/** Counts a wrong code; false when that was the last one allowed (the login is then ended). */
export async function recordPendingFailure(
  deps: PendingLoginDeps,
  value: string,
  pending: PendingLogin,
): Promise<boolean> {
  const failures = pending.failures + 1;
  const remaining = remainingSeconds(pending, deps.now());
  if (failures >= PENDING_LOGIN_MAX_FAILURES || remaining <= 0) {
    await endPendingLogin(deps, value);
    return false;
  }
  await deps.kv.set(pendingKey(value), JSON.stringify({ ...pending, failures }), remaining);
  return true;
}

/** Ends the pending login; true for exactly one caller, so a code completes a login once. */
export async function endPendingLogin(deps: PendingLoginDeps, value: string): Promise<boolean> {
  if (!hasOpaqueTokenShape(value)) return false;
  return (await deps.kv.take(pendingKey(value))) !== null;
}
