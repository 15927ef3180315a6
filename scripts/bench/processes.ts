// Child processes of the bench: the targets, the ceilings and the load driver all run in
// processes of their own, started with this project's Node (process.execPath).

import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import net from "node:net";

export const ROOT = new URL("../..", import.meta.url).pathname;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Child {
  child: ChildProcess;
  output(): string;
  /** Resident set size in MiB, from /proc; null where there is no /proc. */
  rssMiB(): Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Starts `node script` with only PATH and HOME from this environment plus `env`, and waits
 * until `ready(output)` holds (or the process exits, or 60 s pass).
 */
export async function startNode(
  script: string,
  env: Record<string, string>,
  ready: (output: string) => boolean | Promise<boolean>,
  nodeArgs: string[] = [],
): Promise<Child> {
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited early:\n${output}`);
    if (await ready(output)) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${script} was not ready in 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    output: () => output,
    async rssMiB() {
      try {
        const status = await readFile(`/proc/${child.pid}/status`, "utf8");
        const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
        return kb === undefined ? null : Math.round(Number(kb) / 1024);
      } catch {
        return null;
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** True once GET url answers 200. */
export async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}
