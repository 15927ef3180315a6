// How `latchkey` reads its command line: command groups, repeatable and single options,
// positionals, --json anywhere, --help at every level, one-line usage errors.

import { describe, expect, it } from "vitest";
import { UsageError } from "../../server/cli/args.ts";
import { GROUPS, resolveCommand } from "../../server/cli/dispatch.ts";

function run(argv: string[]) {
  const resolved = resolveCommand(argv);
  if (resolved.kind !== "run") throw new Error(`expected a command, got ${resolved.kind}`);
  return { path: resolved.command.path, ...resolved.args };
}

function usageError(argv: string[]): string {
  try {
    resolveCommand(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error("expected a usage error");
}

describe("latchkey argument parsing", () => {
  it("reads repeatable options as lists and flags as booleans", () => {
    const args = run([
      "client",
      "create",
      "--name",
      "Web app",
      "--redirect-uri",
      "https://a.example/cb",
      "--redirect-uri=https://b.example/cb",
      "--skip-consent",
      "--scope",
      "",
    ]);
    expect(args.path).toBe("client create");
    expect(args.values).toMatchObject({
      name: "Web app",
      "redirect-uri": ["https://a.example/cb", "https://b.example/cb"],
      "skip-consent": true,
      scope: "",
    });
    expect(args.json).toBe(false);
  });

  it("accepts --json before or after the command", () => {
    expect(run(["--json", "client", "list"]).json).toBe(true);
    expect(run(["client", "list", "--json"]).json).toBe(true);
    expect(run(["keys", "rotate"]).json).toBe(false);
  });

  it("takes positionals, also ones that look like options after --", () => {
    expect(run(["user", "lock", "ann@example.com"]).positionals).toEqual(["ann@example.com"]);
    expect(run(["client", "show", "--", "-odd-id"]).positionals).toEqual(["-odd-id"]);
  });

  it.each([
    [[], "missing command (see latchkey --help)"],
    [["frobnicate"], 'unknown command "frobnicate" (see latchkey --help)'],
    [["client"], "missing client command (see latchkey client --help)"],
    [["client", "destroy"], 'unknown command "client destroy" (see latchkey client --help)'],
    [
      ["client", "create", "--nam", "x"],
      "unknown option --nam (see latchkey client create --help)",
    ],
    [
      ["client", "create", "--name"],
      "option --name needs a value (see latchkey client create --help)",
    ],
    [["client", "create", "--skip-consent=yes"], "option --skip-consent does not take a value"],
    [["client", "create", "--name", "a", "--name", "b"], "--name may be given only once"],
    [["client", "show"], "missing ID (see latchkey client show --help)"],
    [["client", "show", "a", "b"], 'unexpected argument "b" (see latchkey client show --help)'],
    [["user", "lock"], "missing EMAIL (see latchkey user lock --help)"],
    [["--verbose", "client", "list"], "unknown option --verbose (see latchkey --help)"],
  ])("%j is a usage error", (argv, message) => {
    expect(usageError(argv)).toContain(message);
  });

  it("has --help at every level, whatever else is on the line", () => {
    for (const argv of [["--help"], ["-h"], ["help"]]) {
      expect(resolveCommand(argv)).toMatchObject({ kind: "help" });
    }
    for (const group of GROUPS) {
      const help = resolveCommand([group.name, "--help"]);
      expect(help).toMatchObject({ kind: "help" });
      for (const command of group.commands) {
        const sub = command.path.split(" ")[1]!;
        expect((help as { text: string }).text).toContain(sub);
        const own = resolveCommand([group.name, sub, "--bogus", "--help"]);
        expect(own).toMatchObject({ kind: "help" });
        expect((own as { text: string }).text).toContain(`Usage: latchkey ${command.path}`);
      }
    }
    expect(resolveCommand(["migrate", "-h"])).toMatchObject({ kind: "help" });
  });

  it("documents every option of a command in its help", () => {
    const help = resolveCommand(["client", "create", "--help"]) as { text: string };
    for (const option of [
      "--name NAME",
      "--redirect-uri URI",
      "--post-logout-redirect-uri URI",
      "--grant-type GRANT",
      "--auth-method METHOD",
      "--scope",
      "--skip-consent",
      "--jwks-uri URI",
      "--jwks FILE",
      "--json",
    ]) {
      expect(help.text).toContain(option);
    }
  });
});
