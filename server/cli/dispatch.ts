// Turns argv into the command to run, or the help to print. Pure, so it is unit-tested.

import { formatHelp, type ParsedArgs, parseCommandArgs, UsageError, wantsHelp } from "./args.ts";
import { auditCommand } from "./audit.ts";
import { clientCommands } from "./client.ts";
import { type Command, type CommandGroup, formatGroupHelp } from "./command.ts";
import { keysCommands } from "./keys.ts";
import { migrateCommand } from "./migrate.ts";
import { userCommands } from "./user.ts";

export const GROUPS: CommandGroup[] = [clientCommands, userCommands, keysCommands];

export type Resolved =
  | { kind: "help"; text: string }
  | { kind: "version" }
  | { kind: "run"; command: Command; args: ParsedArgs };

export function topHelp(): string {
  const rows: Array<[string, string]> = [[migrateCommand.path, migrateCommand.summary]];
  rows.push([`${auditCommand.path} [--since DURATION|DATE]`, auditCommand.summary]);
  for (const group of GROUPS) {
    for (const command of group.commands) {
      rows.push([
        `${command.path}${command.positionals.map((p) => ` ${p}`).join("")}`,
        command.summary,
      ]);
    }
  }
  const width = Math.max(...rows.map(([usage]) => usage.length));
  return [
    "Usage: latchkey <command> [options]",
    "",
    "Manages a Latchkey server's database, clients, users and signing keys.",
    "",
    "Commands:",
    ...rows.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`),
    "",
    "Options of every command:",
    "  --json     print the result as JSON",
    "  -h, --help show the help of a command or command group",
    "  --version  print the version",
    "",
    "The CLI reads the server's environment (DATABASE_URL, DATA_DIR, KEYS_DIR,",
    "KEY_ENCRYPTION_KEY, ...). With DATABASE_URL it works on Postgres directly. Without,",
    "it calls the admin API of the server running on DATA_DIR, or opens DATA_DIR itself",
    "when no server runs.",
    "",
    "Exit status: 0 on success, 1 when the command failed, 2 for a usage error; errors are",
    "printed as one line on stderr.",
  ].join("\n");
}

export function resolveCommand(argv: string[]): Resolved {
  // Options before the command name: --json is passed on, --help and --version act alone.
  const leading: string[] = [];
  let rest = argv;
  while (rest[0]?.startsWith("-")) {
    const option = rest[0];
    if (option === "--help" || option === "-h") return { kind: "help", text: topHelp() };
    if (option === "--version") return { kind: "version" };
    if (option !== "--json") throw new UsageError(`unknown option ${option} (see latchkey --help)`);
    leading.push(option);
    rest = rest.slice(1);
  }
  const [name, ...tail] = rest;
  if (name === undefined) throw new UsageError("missing command (see latchkey --help)");
  if (name === "help") return { kind: "help", text: topHelp() };

  if (name === migrateCommand.path) return run(migrateCommand, [...leading, ...tail]);
  if (name === auditCommand.path) return run(auditCommand, [...leading, ...tail]);
  const group = GROUPS.find((g) => g.name === name);
  if (!group) throw new UsageError(`unknown command "${name}" (see latchkey --help)`);

  const [sub, ...args] = tail;
  if (sub === undefined || sub === "help" || (sub.startsWith("-") && wantsHelp(tail))) {
    if (sub === undefined) {
      throw new UsageError(`missing ${group.name} command (see latchkey ${group.name} --help)`);
    }
    return { kind: "help", text: formatGroupHelp(group) };
  }
  const command = group.commands.find((c) => c.path === `${group.name} ${sub}`);
  if (!command) {
    throw new UsageError(
      `unknown command "${group.name} ${sub}" (see latchkey ${group.name} --help)`,
    );
  }
  return run(command, [...leading, ...args]);
}

function run(command: Command, argv: string[]): Resolved {
  const args = parseCommandArgs(command, argv);
  if (args.help) return { kind: "help", text: formatHelp(command) };
  return { kind: "run", command, args };
}
