import { describe, expect, it } from "vitest";
import {
  chainTail,
  expeditedActivation,
  forcedSuccession,
  type KeyTimes,
  keyState,
  predecessorOf,
  prepublishSeconds,
  retentionSeconds,
  retirement,
  scheduledSuccession,
} from "../../server/keys/policy.ts";

const config = {
  keyRotationInterval: 1000,
  jwksMaxAge: 60,
  keyRefreshInterval: 10,
  clockSkew: 5,
  accessTokenTtl: 120,
  idTokenTtl: 300,
};
const T0 = Date.UTC(2030, 0, 1);
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const key = (
  created: number,
  activates: number,
  retires: number | null = null,
  expires: number | null = null,
): KeyTimes => ({
  createdAt: at(created),
  activatesAt: at(activates),
  retiresAt: retires === null ? null : at(retires),
  expiresAt: expires === null ? null : at(expires),
});

describe("key rotation policy", () => {
  it("publishes a key for a JWKS cache lifetime plus a refresh and the clock skew", () => {
    expect(prepublishSeconds(config)).toBe(75);
  });

  it("keeps a retired key until its longest-lived token expired, plus skew and a refresh", () => {
    expect(retentionSeconds(config)).toBe(315);
    expect(retentionSeconds({ ...config, accessTokenTtl: 900 })).toBe(915);
  });

  it.each([
    ["before activation", key(0, 100), 50, "next"],
    ["at activation", key(0, 100), 100, "active"],
    ["active with no successor", key(0, 100), 99_999, "active"],
    ["just before retirement", key(0, 100, 200, 515), 199, "active"],
    ["at retirement", key(0, 100, 200, 515), 200, "retired"],
    ["just before expiry", key(0, 100, 200, 515), 514, "retired"],
    ["at expiry", key(0, 100, 200, 515), 515, "removed"],
  ] as const)("derives the state %s", (_name, times, now, state) => {
    expect(keyState(times, at(now))).toBe(state);
  });

  it.each([
    ["early in the period", 0, 500, null],
    ["just before the pre-publication window", 0, 924, null],
    ["at the start of the window: activates at the period's end", 0, 925, 1000],
    ["inside the window: activates after a full pre-publication", 0, 950, 1025],
    ["long overdue: still a full pre-publication", 0, 5000, 5075],
  ] as const)("schedules a successor %s", (_name, activates, now, expected) => {
    const activation = scheduledSuccession(key(activates, activates), at(now), config);
    expect(activation).toEqual(expected === null ? null : at(expected));
  });

  it("schedules no successor for a key that does not sign yet", () => {
    expect(scheduledSuccession(key(900, 1000), at(950), config)).toBeNull();
  });

  it("makes a forced successor wait the full pre-publication time", () => {
    expect(forcedSuccession(at(10), config)).toEqual(at(85));
  });

  it.each([
    ["published long enough: activates now", key(0, 400), 100, 100],
    ["recently published: after its pre-publication", key(50, 400), 100, 125],
    ["never postponed", key(0, 60), 10, 60],
  ] as const)("brings a waiting successor forward when %s", (_name, next, now, expected) => {
    expect(expeditedActivation(next, at(now), config)).toEqual(at(expected));
  });

  it("retires a key when its successor activates and expires it after the retention", () => {
    expect(retirement(at(1000), config)).toEqual({ retiresAt: at(1000), expiresAt: at(1315) });
  });

  it("finds the tail of the chain and the key before it", () => {
    const retired = key(0, 0, 1000, 1315);
    const active = key(925, 1000, 2000, 2315);
    const next = key(1925, 2000);
    expect(chainTail([retired, next, active])).toBe(next);
    expect(predecessorOf([retired, next, active], next)).toBe(active);
    expect(predecessorOf([retired, next, active], retired)).toBeNull();
    expect(chainTail([retired])).toBeNull();
  });
});
