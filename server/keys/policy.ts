// The rotation policy as pure functions of the config, the key timestamps and the clock.
//
// A key is published (in the JWKS) from created_at, signs from activates_at, stops signing at
// retires_at and leaves the JWKS at expires_at. Keys form a chain: each successor activates
// exactly when its predecessor retires, so one key signs at any instant.

import type { Config } from "../config.ts";

export type KeyState = "next" | "active" | "retired" | "removed";

export interface KeyTimes {
  createdAt: Date;
  activatesAt: Date;
  retiresAt: Date | null;
  expiresAt: Date | null;
}

type PolicyConfig = Pick<
  Config,
  | "keyRotationInterval"
  | "jwksMaxAge"
  | "keyRefreshInterval"
  | "clockSkew"
  | "accessTokenTtl"
  | "idTokenTtl"
>;

/**
 * How long a key is published before it signs, in seconds: every instance has loaded it
 * (keyRefreshInterval), every JWKS cached before that has expired (jwksMaxAge), and clocks
 * may disagree (clockSkew).
 */
export function prepublishSeconds(config: PolicyConfig): number {
  return config.jwksMaxAge + config.keyRefreshInterval + config.clockSkew;
}

/**
 * How long a key stays published after it stops signing, in seconds: until the longest-lived
 * token it signed has expired, allowing for clock skew and for an instance that has not yet
 * reloaded the schedule.
 */
export function retentionSeconds(config: PolicyConfig): number {
  return (
    Math.max(config.accessTokenTtl, config.idTokenTtl) +
    config.clockSkew +
    config.keyRefreshInterval
  );
}

export function keyState(key: KeyTimes, now: Date): KeyState {
  const t = now.getTime();
  if (key.expiresAt !== null && t >= key.expiresAt.getTime()) return "removed";
  if (t < key.activatesAt.getTime()) return "next";
  if (key.retiresAt === null || t < key.retiresAt.getTime()) return "active";
  return "retired";
}

/** The last key of the chain: the one without a retirement date (the active or next key). */
export function chainTail<K extends KeyTimes>(keys: readonly K[]): K | null {
  let tail: K | null = null;
  for (const key of keys) {
    if (key.retiresAt !== null) continue;
    if (tail === null || key.activatesAt.getTime() > tail.activatesAt.getTime()) tail = key;
  }
  return tail;
}

/** The key the tail succeeded, i.e. the one that retires when the tail activates. */
export function predecessorOf<K extends KeyTimes>(keys: readonly K[], tail: K): K | null {
  let predecessor: K | null = null;
  for (const key of keys) {
    if (key === tail || key.activatesAt.getTime() >= tail.activatesAt.getTime()) continue;
    if (predecessor === null || key.activatesAt.getTime() > predecessor.activatesAt.getTime()) {
      predecessor = key;
    }
  }
  return predecessor;
}

/**
 * When the successor of `tail` should activate, if it is time to schedule one: once the
 * active tail is within the pre-publication time of the end of its period. The successor
 * activates at the end of that period, or later if it could not be published long enough.
 */
export function scheduledSuccession(tail: KeyTimes, now: Date, config: PolicyConfig): Date | null {
  if (keyState(tail, now) !== "active") return null;
  const periodEnd = tail.activatesAt.getTime() + config.keyRotationInterval * 1000;
  const prepublish = prepublishSeconds(config) * 1000;
  if (now.getTime() < periodEnd - prepublish) return null;
  return new Date(Math.max(now.getTime() + prepublish, periodEnd));
}

/** A forced rotation: the earliest activation that still respects pre-publication. */
export function forcedSuccession(now: Date, config: PolicyConfig): Date {
  return new Date(now.getTime() + prepublishSeconds(config) * 1000);
}

/** A forced rotation while a successor is already scheduled: bring its activation forward. */
export function expeditedActivation(next: KeyTimes, now: Date, config: PolicyConfig): Date {
  const earliest = next.createdAt.getTime() + prepublishSeconds(config) * 1000;
  return new Date(Math.min(next.activatesAt.getTime(), Math.max(earliest, now.getTime())));
}

/** The retirement of a key whose successor activates at `retiresAt`. */
export function retirement(
  retiresAt: Date,
  config: PolicyConfig,
): { retiresAt: Date; expiresAt: Date } {
  return {
    retiresAt,
    expiresAt: new Date(retiresAt.getTime() + retentionSeconds(config) * 1000),
  };
}
