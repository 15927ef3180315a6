// Login sessions in the store: lifetimes, touch, end, and storage by digest. The in-process
// store shares the manual clock, so the store's own TTL is checked along with the deadlines.

import { afterEach, describe, expect, it } from "vitest";
import {
  endSession,
  endSessionsOfUser,
  findSession,
  type SessionDeps,
  startSession,
} from "../../server/accounts/sessions.ts";
import { MemoryKvStore } from "../../server/store/kv/memory.ts";
import { digestToken } from "../../server/tokens/opaque.ts";
import { manualClock } from "../helpers/keys.ts";

const clock = manualClock();
const kv = new MemoryKvStore(() => clock.now().getTime());
const deps: SessionDeps = {
  kv,
  config: { sessionIdleTtl: 1800, sessionAbsoluteTtl: 43200 },
  now: clock.now,
};

afterEach(async () => {
  kv.sweep();
});

describe("login sessions", () => {
  it("starts a session with a public sid, the login time and the methods", async () => {
    const { cookieValue, session } = await startSession(deps, { userId: "u1", amr: ["pwd"] });
    expect(cookieValue).toMatch(/^[\w-]{43}$/);
    expect(session).toEqual({
      sid: expect.stringMatching(/^[\w-]{22}$/),
      userId: "u1",
      authTime: Math.floor(clock.now().getTime() / 1000),
      amr: ["pwd"],
      createdAt: clock.now().getTime(),
      lastSeenAt: clock.now().getTime(),
    });
    expect(await kv.get(`session:${cookieValue}`)).toBeNull();
    expect(await kv.get(`session:${digestToken(cookieValue)}`)).not.toBeNull();
    expect(await findSession(deps, cookieValue)).toMatchObject({ sid: session.sid });
  });

  it("moves the idle deadline with every use", async () => {
    const { cookieValue } = await startSession(deps, { userId: "u1", amr: ["pwd"] });
    for (let i = 0; i < 4; i++) {
      clock.advance(1799);
      expect(await findSession(deps, cookieValue)).not.toBeNull();
    }
    clock.advance(1800);
    expect(await findSession(deps, cookieValue)).toBeNull();
  });

  it("ends at the absolute deadline, and the store entry with it", async () => {
    const { cookieValue } = await startSession(deps, { userId: "u1", amr: ["pwd"] });
    for (let elapsed = 0; elapsed < 43200 - 1500; elapsed += 1500) {
      clock.advance(1500);
      expect(await findSession(deps, cookieValue)).not.toBeNull();
    }
    clock.advance(1500);
    expect(await kv.get(`session:${digestToken(cookieValue)}`)).toBeNull();
    expect(await findSession(deps, cookieValue)).toBeNull();
  });

  it("ends the previous session when a new one starts in the same browser", async () => {
    const first = await startSession(deps, { userId: "u1", amr: ["pwd"] });
    const second = await startSession(deps, {
      userId: "u2",
      amr: ["pwd"],
      previousCookieValue: first.cookieValue,
    });
    expect(await findSession(deps, first.cookieValue)).toBeNull();
    expect((await findSession(deps, second.cookieValue))?.userId).toBe("u2");
    expect(second.session.sid).not.toBe(first.session.sid);
  });

  it("ends a session on request", async () => {
    const { cookieValue } = await startSession(deps, { userId: "u1", amr: ["pwd"] });
    await endSession(deps, cookieValue);
    expect(await findSession(deps, cookieValue)).toBeNull();
  });

  it("ends every session of a user that exists at the cut-off, and no later one", async () => {
    const laptop = await startSession(deps, { userId: "cut", amr: ["pwd"] });
    const phone = await startSession(deps, { userId: "cut", amr: ["pwd"] });
    const bystander = await startSession(deps, { userId: "other", amr: ["pwd"] });
    clock.advance(1);
    const cutOff = await endSessionsOfUser(deps, "cut");
    expect(cutOff).toBe(clock.now().getTime());
    expect(await findSession(deps, laptop.cookieValue)).toBeNull();
    expect(await kv.get(`session:${digestToken(laptop.cookieValue)}`)).toBeNull();
    expect(await findSession(deps, phone.cookieValue)).toBeNull();
    expect(await findSession(deps, bystander.cookieValue)).not.toBeNull();
    clock.advance(1);
    const later = await startSession(deps, { userId: "cut", amr: ["pwd"] });
    expect(await findSession(deps, later.cookieValue)).not.toBeNull();
    // The cut-off lives as long as a session can, then goes.
    expect(await kv.get("sessions-revoked-before:cut")).toBe(String(cutOff));
    clock.advance(43200);
    expect(await kv.get("sessions-revoked-before:cut")).toBeNull();
  });

  it("spares the one session a cut-off names, and only until a later cut-off", async () => {
    const current = await startSession(deps, { userId: "spare", amr: ["pwd"] });
    const other = await startSession(deps, { userId: "spare", amr: ["pwd"] });
    const cutOff = await endSessionsOfUser(deps, "spare", { exceptSid: current.session.sid });
    expect(await kv.get("sessions-revoked-before:spare")).toBe(`${cutOff}:${current.session.sid}`);
    expect(await findSession(deps, other.cookieValue)).toBeNull();
    expect(await findSession(deps, current.cookieValue)).not.toBeNull();
    clock.advance(1);
    await endSessionsOfUser(deps, "spare");
    expect(await findSession(deps, current.cookieValue)).toBeNull();
  });

  it.each([undefined, "", "short", `${"x".repeat(42)}!`, "a".repeat(44)])(
    "finds nothing for the cookie value %j",
    async (value) => {
      expect(await findSession(deps, value)).toBeNull();
    },
  );
});
