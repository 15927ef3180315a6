// PGlite is one Postgres backend inside one process: two processes opening the same data
// folder would corrupt it. So exactly one process (the server, or the CLI when no server
// runs) holds DATA_DIR at a time, through a lock file created with O_EXCL. The server also
// publishes its admin API address and token in that file so the CLI can reach it.

import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

export type LockRole = "server" | "cli";

export interface LockInfo {
  pid: number;
  role: LockRole;
  url?: string;
  adminToken?: string;
}

export interface DataDirLock {
  readonly path: string;
  /** Adds the admin API address and token to the lock file (atomically replaced). */
  publish(info: { url: string; adminToken: string }): Promise<void>;
  /** Removes the lock file if it is still ours; safe to call twice. */
  release(): Promise<void>;
}

export class DataDirLockedError extends Error {
  readonly holder: LockInfo;
  constructor(dataDir: string, holder: LockInfo) {
    const who = holder.role === "server" ? "the latchkey server" : "a latchkey CLI command";
    const self = holder.pid === process.pid ? "this process" : `pid ${holder.pid}`;
    super(`DATA_DIR ${dataDir} is in use by ${who} (${self})`);
    this.name = "DataDirLockedError";
    this.holder = holder;
  }
}

const LOCK_FILE = "latchkey.lock";
const TAKEOVER_FILE = "latchkey.lock.takeover";

// A pid in a stale lock may be our own (a container restarted with the same pid), so "held by
// this process" is known from this map rather than from the pid in the file.
const heldHere = new Map<string, LockRole>();

export function lockFilePath(dataDir: string): string {
  return path.join(dataDir, LOCK_FILE);
}

export async function acquireDataDirLock(dataDir: string, role: LockRole): Promise<DataDirLock> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = lockFilePath(dataDir);
  const heldRole = heldHere.get(file);
  if (heldRole) throw new DataDirLockedError(dataDir, { pid: process.pid, role: heldRole });

  const mine: LockInfo = { pid: process.pid, role };
  // Two rounds: the second follows the removal of a stale lock.
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await createExclusive(file, mine)) {
      heldHere.set(file, role);
      return heldLock(dataDir, file, mine);
    }
    const holder = await readLockFile(file);
    if (holder && isAlive(file, holder.pid)) throw new DataDirLockedError(dataDir, holder);
    await removeStaleLock(dataDir, file, holder);
  }
  const holder = await readLockFile(file);
  throw new DataDirLockedError(dataDir, holder ?? { pid: 0, role: "server" });
}

/** The live holder of DATA_DIR, or null when nobody (alive) holds it. */
export async function readDataDirLock(dataDir: string): Promise<LockInfo | null> {
  const file = lockFilePath(dataDir);
  const holder = await readLockFile(file);
  return holder && isAlive(file, holder.pid) ? holder : null;
}

function heldLock(dataDir: string, file: string, mine: LockInfo): DataDirLock {
  let released = false;
  return {
    path: file,
    async publish(info) {
      if (released) throw new Error(`the lock on ${dataDir} was released`);
      await writeAtomically(file, { ...mine, url: info.url, adminToken: info.adminToken });
    },
    async release() {
      if (released) return;
      released = true;
      heldHere.delete(file);
      const current = await readLockFile(file);
      if (current?.pid === mine.pid) await fs.rm(file, { force: true });
    },
  };
}

// The content is written to a private file first and linked into place, so the lock file
// appears complete or not at all: a reader never mistakes a half-written lock for a stale one.
async function createExclusive(file: string, info: LockInfo): Promise<boolean> {
  const temporary = await writeTemporary(file, info);
  try {
    await fs.link(temporary, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    await fs.rm(temporary, { force: true });
  }
}

// Removing a stale lock races with other processes doing the same: A and B both find it
// stale, A removes it and creates its own, B then removes A's. A second exclusive file
// serialises takeovers, and the lock is re-read inside it so only the stale one is removed.
async function removeStaleLock(dataDir: string, file: string, seen: LockInfo | null) {
  const takeover = path.join(dataDir, TAKEOVER_FILE);
  if (!(await createExclusive(takeover, { pid: process.pid, role: "cli" }))) {
    const other = await readLockFile(takeover);
    if (other && isAlive(takeover, other.pid)) return;
    // A process died in the middle of a takeover; its marker is as stale as the lock.
    await fs.rm(takeover, { force: true });
    if (!(await createExclusive(takeover, { pid: process.pid, role: "cli" }))) return;
  }
  try {
    const current = await readLockFile(file);
    const unchanged = current === null ? seen === null : current.pid === seen?.pid;
    if (unchanged && !(current && isAlive(file, current.pid))) await fs.rm(file, { force: true });
  } finally {
    await fs.rm(takeover, { force: true });
  }
}

async function writeAtomically(file: string, info: LockInfo): Promise<void> {
  const temporary = await writeTemporary(file, info);
  await fs.rename(temporary, file);
}

async function writeTemporary(file: string, info: LockInfo): Promise<string> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await fs.writeFile(temporary, JSON.stringify(info), { mode: 0o600, flag: "wx" });
  return temporary;
}

/** The parsed lock file; null when absent. Unreadable content counts as a dead holder. */
async function readLockFile(file: string): Promise<LockInfo | null> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockInfo>;
    if (typeof parsed.pid === "number" && (parsed.role === "server" || parsed.role === "cli")) {
      const info: LockInfo = { pid: parsed.pid, role: parsed.role };
      if (typeof parsed.url === "string") info.url = parsed.url;
      if (typeof parsed.adminToken === "string") info.adminToken = parsed.adminToken;
      return info;
    }
  } catch {
    // A process killed between creating and writing the file leaves it empty or partial.
  }
  return { pid: 0, role: "server" };
}

function isAlive(file: string, pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return heldHere.has(file);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
