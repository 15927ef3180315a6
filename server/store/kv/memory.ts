// The in-process twin of the Redis store for the embedded default (one process, no Redis).
// Expiry is real: an expired entry is never returned, and a sweep frees expired memory.
// JavaScript runs one callback at a time, so take() is atomic without a lock.

import type { KvStore } from "./types.ts";

interface Entry {
  value: string;
  expiresAt: number;
}

interface Index {
  /** Member → deadline in milliseconds since the epoch. */
  members: Map<string, number>;
  expiresAt: number;
}

const SWEEP_INTERVAL_MS = 30_000;

export class MemoryKvStore implements KvStore {
  readonly #entries = new Map<string, Entry>();
  readonly #indexes = new Map<string, Index>();
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #expiry(ttlSeconds: number): number {
    if (!(ttlSeconds > 0)) throw new RangeError("ttlSeconds must be positive");
    return this.#now() + Math.ceil(ttlSeconds * 1000);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.#entries.set(key, { value, expiresAt: this.#expiry(ttlSeconds) });
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const expiresAt = this.#expiry(ttlSeconds);
    if (this.#live(key)) return false;
    this.#entries.set(key, { value, expiresAt });
    return true;
  }

  async get(key: string): Promise<string | null> {
    return this.#live(key)?.value ?? null;
  }

  async take(key: string): Promise<string | null> {
    const entry = this.#live(key);
    if (!entry) return null;
    this.#entries.delete(key);
    return entry.value;
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const expiresAt = this.#expiry(ttlSeconds);
    const entry = this.#live(key);
    const count = entry ? Number(entry.value) + 1 : 1;
    this.#entries.set(key, { value: String(count), expiresAt: entry?.expiresAt ?? expiresAt });
    return count;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  #liveIndex(index: string): Index | undefined {
    const found = this.#indexes.get(index);
    if (found && found.expiresAt <= this.#now()) {
      this.#indexes.delete(index);
      return undefined;
    }
    return found;
  }

  async indexAdd(
    index: string,
    member: string,
    deadlineMs: number,
    ttlSeconds: number,
  ): Promise<void> {
    const expiresAt = this.#expiry(ttlSeconds);
    const found = this.#liveIndex(index) ?? { members: new Map<string, number>(), expiresAt };
    found.members.set(member, deadlineMs);
    found.expiresAt = expiresAt;
    this.#indexes.set(index, found);
  }

  async indexRemove(index: string, members: string[]): Promise<void> {
    const found = this.#liveIndex(index);
    for (const member of members) found?.members.delete(member);
  }

  async indexMembers(index: string, nowMs: number): Promise<string[]> {
    const found = this.#liveIndex(index);
    if (!found) return [];
    return [...found.members].filter(([, deadline]) => deadline > nowMs).map(([member]) => member);
  }

  async indexCount(index: string, nowMs: number): Promise<number> {
    const found = this.#liveIndex(index);
    if (!found) return 0;
    for (const [member, deadline] of found.members) {
      if (deadline <= nowMs) found.members.delete(member);
    }
    return found.members.size;
  }

  async ping(): Promise<void> {}

  /** Drops every expired entry; runs on a timer and is public for tests. */
  sweep(): number {
    const now = this.#now();
    let removed = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(key);
        removed++;
      }
    }
    for (const [index, found] of this.#indexes) {
      if (found.expiresAt <= now) this.#indexes.delete(index);
    }
    return removed;
  }

  get size(): number {
    return this.#entries.size;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#entries.clear();
    this.#indexes.clear();
  }
}
