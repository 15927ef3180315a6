// `latchkey migrate`: applies the pending database migrations.

import type { Command } from "./command.ts";

export const migrateCommand: Command = {
  path: "migrate",
  positionals: [],
  summary: "Apply the pending database migrations.",
  description: [
    "Safe to run while servers run and from several places at once: migrations run under a",
    "database lock, each exactly once. Servers also migrate when they start.",
  ].join("\n"),
  options: [],
  async run(_args, ctx) {
    const result = await (await ctx.ops()).migrate({});
    const text =
      result.applied.length === 0
        ? "The database is up to date."
        : `Applied ${result.applied.length} migration(s):\n${result.applied.map((m) => `  ${m}`).join("\n")}`;
    return { json: result, text };
  },
};
