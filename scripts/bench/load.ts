// Runs one plan in a fresh driver process (driver.ts) and returns its result.

import { spawn } from "node:child_process";
import type { LoadResult, Plan } from "./driver.ts";
import { ROOT } from "./processes.ts";

export type { LoadResult, Plan } from "./driver.ts";

export async function runLoad(plan: Plan): Promise<LoadResult> {
  const child = spawn(process.execPath, ["scripts/bench/driver.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(JSON.stringify(plan));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const last = stdout.trim().split("\n").at(-1) ?? "";
  if (code !== 0 || !last.startsWith("{")) {
    throw new Error(`load driver failed (exit ${code}):\n${stderr}${stdout}`);
  }
  return JSON.parse(last) as LoadResult;
}
