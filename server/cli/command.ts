// What a CLI command is: its spec (usage, options, help) and a run() that calls one or more
// operator operations and returns the result both as JSON and as text for people.

import type { Operations } from "../operator/operations.ts";
import type { CommandSpec, ParsedArgs } from "./args.ts";

/** An error whose message is meant for the operator as it is (exit status 1). */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

export interface Output {
  json: unknown;
  text: string;
}

export interface CommandContext {
  /** The operations, opened on first use: the running server's admin API or the database. */
  ops(): Promise<Operations>;
  /** A secret read from stdin (piped, or typed at a prompt without echo). */
  readSecret(prompt: string): Promise<string>;
}

export interface Command extends CommandSpec {
  run(args: ParsedArgs, ctx: CommandContext): Promise<Output>;
}

export interface CommandGroup {
  name: string;
  summary: string;
  commands: Command[];
}

export function formatGroupHelp(group: CommandGroup): string {
  const names = group.commands.map((c) => c.path.split(" ").at(-1) ?? "");
  const width = Math.max(...names.map((n) => n.length));
  return [
    `Usage: latchkey ${group.name} <command> [options]`,
    "",
    group.summary,
    "",
    "Commands:",
    ...group.commands.map((c, i) => `  ${(names[i] ?? "").padEnd(width)}  ${c.summary}`),
    "",
    `Run "latchkey ${group.name} <command> --help" for the options of a command.`,
  ].join("\n");
}
