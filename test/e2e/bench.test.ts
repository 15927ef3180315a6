// `npm run bench -- --quick`: the benchmark runs end to end against Latchkey, the peer and
// the ceilings, prints every scenario and its table, and no request fails. The figures
// themselves are not judged here: a test machine is too noisy for that.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SCENARIOS } from "../../scripts/bench/scenarios.ts";
import { CPU_TABLE_TITLE } from "../../scripts/bench/table.ts";
import { ROOT } from "../helpers/server-process.ts";

function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["scripts/bench/main.ts", ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      ...(process.env.TEST_PG_URL ? { BENCH_PG_URL: process.env.TEST_PG_URL } : {}),
      ...(process.env.TEST_REDIS_URL ? { BENCH_REDIS_URL: process.env.TEST_REDIS_URL } : {}),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}

describe("npm run bench -- --quick", () => {
  it("runs every scenario on both targets and the ceilings without an error", async () => {
    const { code, output } = await runBench(["--quick", "--duration", "1"]);
    expect(code, output).toBe(0);
    // The final table, then (where there is /proc) the CPU table, each one row per scenario.
    const [main = "", cpu = ""] = output.split(CPU_TABLE_TITLE);
    const hasProc = existsSync("/proc/self/stat");
    for (const scenario of SCENARIOS) {
      const rows = main.split("\n").filter((line) => line.startsWith(`| ${scenario.title} `));
      expect(rows, `${scenario.title} in the table`).toHaveLength(1);
      if (scenario.reference) expect(rows[0]).toContain(`(${scenario.reference.label})`);
      if (hasProc) {
        const cpuRows = cpu.split("\n").filter((line) => line.startsWith(`| ${scenario.title} `));
        expect(cpuRows, `${scenario.title} in the CPU table`).toHaveLength(1);
      }
    }
    expect(output).toMatch(/RSA-2048 signature: [\d.]+ ms of CPU/);
    if (hasProc) expect(output).toMatch(/Latchkey .* CPU\/op: server [\d.]+ ms, postgres/);
    // Every measurement line reports its errors: all zero.
    const measured = output.split("\n").filter((line) => / errors \d+/.test(line));
    expect(measured.length).toBeGreaterThanOrEqual(SCENARIOS.length * 2);
    expect(
      measured.filter((line) => !/ errors 0(\s|$)/.test(line)),
      output,
    ).toEqual([]);
    expect(output).toContain("total errors: 0");
  }, 150_000);
});
