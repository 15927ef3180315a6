// CPU time per operation, by process: the target's server, Postgres, Redis and the load
// driver itself. On a machine with few cores throughput is bounded by total CPU, so what one
// operation costs in each process says more than requests/s alone. The driver samples
// /proc at the start and the end of its timed window (Linux only; elsewhere no figures).

import { execFileSync } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";

/** What the driver is told to watch: the pids of the target's server process(es). */
export interface CpuPlan {
  target: number[];
}

/** Milliseconds of CPU per operation in each group of processes. */
export interface CpuPerOp {
  target: number;
  postgres: number;
  redis: number;
  driver: number;
}

type Group = "target" | "postgres" | "redis";

/** Clock ticks per second of /proc/<pid>/stat's times; 100 (the usual) if getconf fails. */
let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      const n = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
      ticksPerSecond = Number.isFinite(n) && n > 0 ? n : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of a process (all its threads), in clock ticks; null once it is gone. */
function processTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    // Field 3 is then index 0, so utime (14) and stime (15) are 11 and 12.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** Every process to watch, by pid, with the group it is counted in. */
function watched(targets: readonly number[]): Map<number, Group> {
  const groups = new Map<number, Group>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${name}/comm`, "utf8").trim();
    } catch {
      continue; // exited while we looked
    }
    // Every Postgres process counts, the checkpointer and WAL writer as well as the
    // backends: their work is the writes' cost too.
    if (comm === "postgres") groups.set(Number(name), "postgres");
    else if (comm === "redis-server") groups.set(Number(name), "redis");
  }
  for (const pid of targets) groups.set(pid, "target");
  return groups;
}

function sample(targets: readonly number[]): Map<number, { group: Group; ticks: number }> {
  const ticks = new Map<number, { group: Group; ticks: number }>();
  for (const [pid, group] of watched(targets)) {
    const t = processTicks(pid);
    if (t !== null) ticks.set(pid, { group, ticks: t });
  }
  return ticks;
}

export interface CpuWindow {
  /** CPU per operation since the window opened; undefined when there were no operations. */
  end(ops: number): CpuPerOp | undefined;
}

/**
 * Opens a window: reads the watched processes' CPU times now, and again at `end`. Reads are
 * synchronous so that the window starts and stops exactly where the caller stands. Returns
 * null where there is no /proc (or no plan).
 */
export function openCpuWindow(plan: CpuPlan | undefined): CpuWindow | null {
  if (!plan || !existsSync("/proc/self/stat")) return null;
  const hz = clockTicks();
  const before = sample(plan.target);
  const driverBefore = process.cpuUsage();
  return {
    end(ops) {
      const driver = process.cpuUsage(driverBefore);
      const after = sample(plan.target);
      if (ops <= 0) return undefined;
      const ms: Record<Group, number> = { target: 0, postgres: 0, redis: 0 };
      for (const [pid, { group, ticks }] of after) {
        // A process started inside the window (a new Postgres backend) counts from 0; one
        // that exited inside it is lost, which a bench's long-lived pools make rare.
        ms[group] += ((ticks - (before.get(pid)?.ticks ?? 0)) * 1000) / hz;
      }
      return {
        target: ms.target / ops,
        postgres: ms.postgres / ops,
        redis: ms.redis / ops,
        driver: (driver.user + driver.system) / 1000 / ops,
      };
    },
  };
}

/**
 * The CPU cost of one RS256 signature with an RSA-2048 key on one thread, in milliseconds:
 * the unit most of the token endpoint's work is made of. CPU time rather than wall time, so
 * that other load on the machine inflates it less.
 */
export function rsaSignatureMs(): number {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const data = Buffer.from("a JWT's header.payload is about this long, give or take a claim");
  for (let i = 0; i < 20; i++) sign("sha256", data, privateKey);
  const count = 200;
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) sign("sha256", data, privateKey);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / count;
}
