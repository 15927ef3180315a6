// Command-line parsing for one command, on top of node:util parseArgs: every command takes
// --json and --help; single-value options may be given once; positionals are counted. All
// problems become a UsageError with a one-line message that points at the command's help.

import { type ParseArgsOptionsConfig, parseArgs } from "node:util";

export interface OptionSpec {
  name: string;
  /** Placeholder shown in help, e.g. "URI"; absent for boolean flags. */
  value?: string;
  multiple?: boolean;
  help: string;
}

export interface CommandSpec {
  /** The words that select the command, e.g. "client create". */
  path: string;
  /** Placeholders of the required positionals, e.g. ["EMAIL"]. */
  positionals: string[];
  options: OptionSpec[];
  summary: string;
  /** Paragraphs after the usage line. */
  description: string;
}

export interface ParsedArgs {
  help: boolean;
  json: boolean;
  positionals: string[];
  values: Record<string, string | string[] | boolean | undefined>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const COMMON_OPTIONS: OptionSpec[] = [
  { name: "json", help: "print the result as JSON" },
  { name: "help", help: "show this help" },
];

export function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

export function parseCommandArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const hint = `(see latchkey ${spec.path} --help)`;
  if (wantsHelp(argv)) return { help: true, json: false, positionals: [], values: {} };

  const options: ParseArgsOptionsConfig = { help: { type: "boolean", short: "h" } };
  for (const option of [...spec.options, ...COMMON_OPTIONS]) {
    options[option.name] = {
      type: option.value ? "string" : "boolean",
      multiple: option.multiple ?? false,
    };
  }
  const parsed = (() => {
    try {
      return parseArgs({ args: argv, options, allowPositionals: true, strict: true, tokens: true });
    } catch (err) {
      throw new UsageError(`${describeParseError(err)} ${hint}`);
    }
  })();

  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== "option") continue;
    const multiple = spec.options.find((o) => o.name === token.name)?.multiple ?? false;
    if (seen.has(token.name) && !multiple) {
      throw new UsageError(`--${token.name} may be given only once ${hint}`);
    }
    seen.add(token.name);
  }

  const { positionals } = parsed;
  if (positionals.length < spec.positionals.length) {
    throw new UsageError(`missing ${spec.positionals[positionals.length]} ${hint}`);
  }
  if (positionals.length > spec.positionals.length) {
    const extra = positionals[spec.positionals.length] ?? "";
    throw new UsageError(`unexpected argument "${extra.slice(0, 100)}" ${hint}`);
  }
  const values = parsed.values as ParsedArgs["values"];
  return { help: false, json: values.json === true, positionals, values };
}

function describeParseError(err: unknown): string {
  const { code, message } = err as { code?: string; message?: string };
  const option = /'(--?[^' ]+)/.exec(message ?? "")?.[1] ?? "";
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${option}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /does not take/.test(message ?? "")
        ? `option ${option} does not take a value`
        : `option ${option} needs a value`;
    default:
      return (message ?? String(err)).split("\n")[0] ?? "";
  }
}

/** The help text of one command: usage, description, options. */
export function formatHelp(spec: CommandSpec): string {
  const positionals = spec.positionals.map((p) => ` ${p}`).join("");
  const lines = [`Usage: latchkey ${spec.path}${positionals} [options]`, "", spec.summary];
  if (spec.description) lines.push("", spec.description);
  lines.push("", "Options:");
  const rows = [...spec.options, ...COMMON_OPTIONS].map((o) => {
    const flag = `${o.name === "help" ? "-h, " : ""}--${o.name}${o.value ? ` ${o.value}` : ""}`;
    return [flag, `${o.help}${o.multiple ? " (repeatable)" : ""}`] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  for (const [flag, help] of rows) lines.push(`  ${flag.padEnd(width)}  ${help}`);
  return lines.join("\n");
}

export function stringValue(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === "string" ? value : undefined;
}

export function listValue(args: ParsedArgs, name: string): string[] | undefined {
  const value = args.values[name];
  return Array.isArray(value) ? value : undefined;
}
