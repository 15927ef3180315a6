import { describe, expect, it } from "vitest";
import { OAuthError } from "../../server/errors.ts";
import { parseSince } from "../../server/operator/audit.ts";

const NOW = new Date("2026-12-02T12:00:00.000Z");

describe("latchkey audit --since", () => {
  it.each([
    ["90s", "2026-12-02T11:58:30.000Z"],
    ["15m", "2026-12-02T11:45:00.000Z"],
    ["12h", "2026-12-02T00:00:00.000Z"],
    ["30d", "2026-11-02T12:00:00.000Z"],
    ["2026-12-01", "2026-12-01T00:00:00.000Z"],
    ["2026-12-01T08:30:00Z", "2026-12-01T08:30:00.000Z"],
    ["2026-12-01T08:30:00+01:00", "2026-12-01T07:30:00.000Z"],
  ])("reads %s as %s", (text, expected) => {
    expect(parseSince(text, NOW).toISOString()).toBe(expected);
  });

  it.each(["yesterday", "-5m", "2026-13-45", "15 minutes", ""])("refuses %j", (text) => {
    expect(() => parseSince(text, NOW)).toThrow(OAuthError);
  });
});
