// Counting failed logins and the temporary locks they lead to, in the store: per account and
// per client IP. An account is keyed by its user id, an unknown address by a digest of its
// normalised form, so an unknown address locks exactly like an account and a lock says
// nothing about whether the address has one. These locks are separate from the operator's
// permanent users.locked_at; `latchkey user unlock` clears both.
//
// A lock's end is stored as a time from deps.now(), so the clock decides when it ends; the
// store's TTL only removes it afterwards.

import { createHash } from "node:crypto";
import type { Config } from "../config.ts";
import type { KvStore } from "../store/kv/types.ts";

export type ThrottleConfig = Pick<
  Config,
  | "loginMaxFailures"
  | "loginMaxFailuresPerIp"
  | "loginFailureWindow"
  | "loginLockoutBase"
  | "loginLockoutMax"
>;

export interface ThrottleDeps {
  kv: KvStore;
  config: ThrottleConfig;
  now: () => Date;
}

// Every lock within this long counts towards the doubling of the next one.
const LOCKOUT_MEMORY_SECONDS = 24 * 3600;

/** The throttling key of a user id, or of an address that has no account. */
export function accountKey(subject: { userId: string } | { unknownEmail: string }): string {
  if ("userId" in subject) return `user:${subject.userId}`;
  const digest = createHash("sha256").update(subject.unknownEmail).digest("base64url");
  return `email:${digest}`;
}

const failuresKey = (account: string) => `login:failures:${account}`;
const lockKey = (account: string) => `login:lock:${account}`;
const lockoutsKey = (account: string) => `login:lockouts:${account}`;
const ipKey = (ip: string) => `login:ip:${ip}`;

/** True while the IP has used up its failures for the window. */
export async function ipBlocked(deps: ThrottleDeps, ip: string): Promise<boolean> {
  const value = await deps.kv.get(ipKey(ip));
  return value !== null && Number(value) >= deps.config.loginMaxFailuresPerIp;
}

/** The end of the account's temporary lock, or null when it is not locked now. */
export async function lockedUntil(deps: ThrottleDeps, account: string): Promise<Date | null> {
  const value = await deps.kv.get(lockKey(account));
  if (value === null) return null;
  const until = new Date(Number(value));
  return until > deps.now() ? until : null;
}

export interface FailureResult {
  /** Set when this failure locked the account: the lock's end and its length in seconds. */
  locked: { until: Date; seconds: number } | null;
  failures: number;
}

/**
 * Counts a failed login against the account and the IP. The account's counter is kept when
 * it locks, so after the lock the next failure locks it again, for twice as long.
 */
export async function recordFailure(
  deps: ThrottleDeps,
  account: string,
  ip: string,
): Promise<FailureResult> {
  const { config, kv } = deps;
  await kv.increment(ipKey(ip), config.loginFailureWindow);
  const failures = await kv.increment(failuresKey(account), config.loginFailureWindow);
  if (failures < config.loginMaxFailures) return { locked: null, failures };
  const lockouts = await kv.increment(lockoutsKey(account), LOCKOUT_MEMORY_SECONDS);
  const seconds = lockoutSeconds(config, lockouts);
  const until = new Date(deps.now().getTime() + seconds * 1000);
  await kv.set(lockKey(account), String(until.getTime()), seconds);
  return { locked: { until, seconds }, failures };
}

/** LOGIN_LOCKOUT_BASE for the first lock, doubled for each further one, up to the maximum. */
export function lockoutSeconds(config: ThrottleConfig, lockouts: number): number {
  const doublings = Math.min(Math.max(lockouts - 1, 0), 30);
  return Math.min(config.loginLockoutBase * 2 ** doublings, config.loginLockoutMax);
}

/** After a successful login: the account starts again from no failures and no locks. */
export async function clearAccount(deps: Pick<ThrottleDeps, "kv">, account: string) {
  await deps.kv.delete(failuresKey(account));
  await deps.kv.delete(lockoutsKey(account));
  await deps.kv.delete(lockKey(account));
}

// Secrets typed on the account page (the current password to change it, a code to turn
// two-step verification off or get new recovery codes) are limited per session: whoever holds
// a session (a borrowed laptop, a stolen cookie) must not get unlimited guesses at them.
const ACCOUNT_FORM_MAX_FAILURES = 5;
const ACCOUNT_FORM_WINDOW_SECONDS = 15 * 60;
const accountFormKey = (sid: string) => `account:form-failures:${sid}`;

/** True while the session has used up its wrong passwords and codes for the window. */
export async function accountFormBlocked(kv: KvStore, sid: string): Promise<boolean> {
  const value = await kv.get(accountFormKey(sid));
  return value !== null && Number(value) >= ACCOUNT_FORM_MAX_FAILURES;
}

export async function recordAccountFormFailure(kv: KvStore, sid: string): Promise<void> {
  await kv.increment(accountFormKey(sid), ACCOUNT_FORM_WINDOW_SECONDS);
}
