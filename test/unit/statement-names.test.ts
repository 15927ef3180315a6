// Which query texts become named prepared statements: a text from its second sighting, the
// same name for the same text, and no more than 200 names however many texts a server sends.

import { describe, expect, it } from "vitest";
import { StatementNames } from "../../server/store/db/prepared-statements.ts";

describe("StatementNames", () => {
  it("names a text from its second sighting, always with the same name", () => {
    const names = new StatementNames();
    expect(names.nameFor("select $1")).toBeUndefined();
    const name = names.nameFor("select $1");
    expect(name).toMatch(/^latchkey_\d+$/);
    expect(names.nameFor("select $1")).toBe(name);
    expect(names.nameFor("select $2")).toBeUndefined();
    expect(names.nameFor("select $2")).not.toBe(name);
  });

  it("stops naming new texts at 200 and keeps the names it gave", () => {
    const names = new StatementNames();
    names.nameFor("q0");
    const first = names.nameFor("q0");
    for (let i = 1; i < 250; i++) {
      names.nameFor(`q${i}`);
      names.nameFor(`q${i}`);
    }
    expect(names.size).toBe(200);
    expect(names.nameFor("q249")).toBeUndefined();
    expect(names.nameFor("q0")).toBe(first);
    expect(names.nameFor("q199")).toBe("latchkey_200");
  });

  it("forgets texts seen once in bulk, so one-off queries cannot crowd out hot ones", () => {
    const names = new StatementNames();
    for (let i = 0; i < 5000; i++) names.nameFor(`one-off ${i}`);
    expect(names.size).toBe(0);
    names.nameFor("hot");
    expect(names.nameFor("hot")).toBe("latchkey_1");
  });
});
