#!/usr/bin/env node
// The `latchkey` command: operator tasks on the database, clients, users and signing keys.
// Results go to stdout (text, or JSON with --json); any failure is one line on stderr and a
// non-zero exit status (1 for a failed command, 2 for a usage error).

import { readFileSync } from "node:fs";
import { loadConfig } from "../config.ts";
import type { Logger } from "../log.ts";
import { UsageError } from "./args.ts";
import type { Backend } from "./backend.ts";
import { openBackend } from "./backend.ts";
import { resolveCommand } from "./dispatch.ts";
import { readSecret } from "./prompt.ts";

// Only warnings reach the operator; progress messages of the layers below stay quiet.
const stderrLogger: Logger = {
  debug() {},
  info() {},
  warn: (obj, msg) => process.stderr.write(`latchkey: warning: ${msg ?? obj}\n`),
  error: (obj, msg) => process.stderr.write(`latchkey: ${msg ?? obj}\n`),
};

function version(): string {
  const file = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

/** One line for the operator, whatever was thrown. */
export function errorMessage(err: unknown): string {
  const { code, message, errors, description } = err as {
    code?: string;
    message?: string;
    errors?: unknown[];
    description?: string;
  };
  let text: string;
  if (code === "42P01") text = "the database has no latchkey tables yet: run latchkey migrate";
  else if (description) text = description;
  else if (message) text = message;
  // pg reports a refused connection to every address of a host as an AggregateError.
  else if (errors?.length) text = errorMessage(errors[0]);
  else text = String(err);
  return text.replace(/\s*\n\s*/g, " ").trim();
}

async function main(argv: string[]): Promise<number> {
  let backend: Backend | null = null;
  try {
    const resolved = resolveCommand(argv);
    if (resolved.kind === "help") return print(resolved.text);
    if (resolved.kind === "version") return print(version());

    const config = loadConfig(process.env);
    const ctx = {
      ops: async () => {
        backend ??= await openBackend(config, stderrLogger);
        return backend.ops;
      },
      readSecret,
    };
    const output = await resolved.command.run(resolved.args, ctx);
    return print(resolved.args.json ? JSON.stringify(output.json, null, 2) : output.text);
  } catch (err) {
    process.stderr.write(`latchkey: ${errorMessage(err)}\n`);
    return err instanceof UsageError ? 2 : 1;
  } finally {
    await (backend as Backend | null)?.close().catch((err: unknown) => {
      process.stderr.write(`latchkey: warning: ${errorMessage(err)}\n`);
    });
  }
}

function print(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

// A closed pipe (`latchkey client list | head -1`) is the reader's choice, not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

const code = await main(process.argv.slice(2));
// Exit explicitly: idle keep-alive sockets or pools must not hold the command open, and the
// callback runs once stdout has taken everything (pipes may be asynchronous).
process.stdout.write("", () => process.exit(code));
