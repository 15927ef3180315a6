// One process at a time on the embedded database's folder: an exclusive lock file, stale
// locks taken over, live ones refused with one clear line, the admin address published.

import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  acquireDataDirLock,
  type DataDirLock,
  lockFilePath,
  readDataDirLock,
} from "../../server/store/data-dir-lock.ts";
import { tempDir } from "../helpers/server-process.ts";

const held: DataDirLock[] = [];
afterEach(async () => {
  for (const lock of held.splice(0)) await lock.release();
});

async function acquire(dir: string, role: "server" | "cli" = "server") {
  const lock = await acquireDataDirLock(dir, role);
  held.push(lock);
  return lock;
}

/** A pid that certainly belongs to no process: one that just exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

describe("the data folder lock", () => {
  it("creates the folder and a private lock file naming the holder", async () => {
    const dir = path.join(await tempDir("lock"), "data");
    await acquire(dir, "cli");
    const stat = await fs.stat(lockFilePath(dir));
    expect(stat.mode & 0o777).toBe(0o600);
    expect(JSON.parse(await fs.readFile(lockFilePath(dir), "utf8"))).toEqual({
      pid: process.pid,
      role: "cli",
    });
  });

  it("refuses a second holder in the same process", async () => {
    const dir = await tempDir("lock");
    await acquire(dir);
    await expect(acquireDataDirLock(dir, "cli")).rejects.toThrow(
      `DATA_DIR ${dir} is in use by the latchkey server (this process)`,
    );
  });

  it("refuses while another live process holds it, with one line naming it", async () => {
    const dir = await tempDir("lock");
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"]);
    try {
      await fs.writeFile(lockFilePath(dir), JSON.stringify({ pid: other.pid, role: "server" }));
      await expect(acquireDataDirLock(dir, "cli")).rejects.toThrow(
        `DATA_DIR ${dir} is in use by the latchkey server (pid ${other.pid})`,
      );
      expect(await readDataDirLock(dir)).toEqual({ pid: other.pid, role: "server" });
    } finally {
      other.kill();
    }
  });

  it("takes over a lock left by a process that died", async () => {
    const dir = await tempDir("lock");
    const pid = await deadPid();
    await fs.writeFile(lockFilePath(dir), JSON.stringify({ pid, role: "server", url: "x" }));
    expect(await readDataDirLock(dir)).toBeNull();
    await acquire(dir, "cli");
    expect(JSON.parse(await fs.readFile(lockFilePath(dir), "utf8")).pid).toBe(process.pid);
  });

  it("takes over an empty or damaged lock file", async () => {
    const dir = await tempDir("lock");
    await fs.writeFile(lockFilePath(dir), "{");
    await acquire(dir);
    expect(await readDataDirLock(dir)).toMatchObject({ pid: process.pid });
  });

  it("lets exactly one of many concurrent takers of a stale lock win", async () => {
    const dir = await tempDir("lock");
    await fs.writeFile(lockFilePath(dir), JSON.stringify({ pid: await deadPid(), role: "cli" }));
    const script = `
      const { acquireDataDirLock } = await import(${JSON.stringify(
        new URL("../../server/store/data-dir-lock.ts", import.meta.url).pathname,
      )});
      try { await acquireDataDirLock(process.argv[1], "cli"); console.log("won"); }
      catch { console.log("lost"); }
      setTimeout(() => {}, 1500);`;
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const child = spawn(process.execPath, ["--input-type=module", "-e", script, dir]);
        let out = "";
        for await (const chunk of child.stdout) out += chunk;
        return out.trim();
      }),
    );
    expect(outcomes.filter((o) => o === "won")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "lost")).toHaveLength(5);
  });

  it("publishes the admin address and token, and removes the file on release", async () => {
    const dir = await tempDir("lock");
    const lock = await acquire(dir);
    await lock.publish({ url: "http://127.0.0.1:3000", adminToken: "t0k3n" });
    expect(await readDataDirLock(dir)).toEqual({
      pid: process.pid,
      role: "server",
      url: "http://127.0.0.1:3000",
      adminToken: "t0k3n",
    });
    expect((await fs.stat(lockFilePath(dir))).mode & 0o777).toBe(0o600);
    await lock.release();
    await lock.release();
    expect(await readDataDirLock(dir)).toBeNull();
    await expect(fs.access(lockFilePath(dir))).rejects.toThrow();
    await acquire(dir, "cli");
  });
});
