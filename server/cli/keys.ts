// `latchkey keys …`: list the signing keys and force a rotation.

import type { KeyView } from "../operator/operations.ts";
import type { Command, CommandGroup } from "./command.ts";
import { formatTable } from "./output.ts";

function keyTable(keys: KeyView[]): string {
  if (keys.length === 0) return "No signing keys yet: the server creates the first at start.";
  return formatTable(
    ["KID", "ALG", "STATE", "CREATED", "ACTIVATES", "RETIRES", "EXPIRES"],
    keys.map((k) => [
      k.kid,
      k.alg,
      k.state,
      k.created_at,
      k.activates_at,
      k.retires_at,
      k.expires_at,
    ]),
  );
}

const list: Command = {
  path: "keys list",
  positionals: [],
  summary: "List the published signing keys with their state and dates.",
  description: [
    "next: published, signs from ACTIVATES; active: signs now; retired: no longer signs,",
    "published until EXPIRES so that the tokens it signed can still be verified.",
  ].join("\n"),
  options: [],
  async run(_args, ctx) {
    const keys = await (await ctx.ops()).keysList({});
    return { json: keys, text: keyTable(keys) };
  },
};

const rotate: Command = {
  path: "keys rotate",
  positionals: [],
  summary: "Start a signing-key rotation now.",
  description: [
    "A new key is published at once and signs only after the pre-publication time",
    "(JWKS_MAX_AGE + KEY_REFRESH_INTERVAL + CLOCK_SKEW), so resource servers know it",
    "first; when a next key already waits, its activation is brought forward as far as",
    "that rule allows. Safe while servers run: one rotation at a time, under a database lock.",
  ].join("\n"),
  options: [],
  async run(_args, ctx) {
    const keys = await (await ctx.ops()).keysRotate({});
    const successor = keys.at(-1);
    const headline = successor
      ? `Key ${successor.kid} signs from ${successor.activates_at}.\n\n`
      : "";
    return { json: keys, text: `${headline}${keyTable(keys)}` };
  },
};

export const keysCommands: CommandGroup = {
  name: "keys",
  summary: "Manage the signing keys.",
  commands: [list, rotate],
};
