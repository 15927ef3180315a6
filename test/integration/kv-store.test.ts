// The ephemeral store's contract, run against real Redis and against the in-process twin.

import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryKvStore } from "../../server/store/kv/memory.ts";
import { RedisKvStore } from "../../server/store/kv/redis.ts";
import type { KvStore } from "../../server/store/kv/types.ts";
import { deleteKeysWithPrefix, REDIS_URL, uniquePrefix } from "../helpers/redis.ts";

const prefix = uniquePrefix();

// Four handles on the same data: four Redis connections, or one in-process store four times.
const backends: Array<[string, () => Promise<KvStore[]>]> = [
  ["redis", () => Promise.all([1, 2, 3, 4].map(() => RedisKvStore.connect(REDIS_URL, prefix)))],
  [
    "in-process",
    async () => {
      const store = new MemoryKvStore();
      return [store, store, store, store];
    },
  ],
];

describe.each(backends)("%s store", (_name, open) => {
  let store: KvStore;
  let handles: KvStore[];
  const spread = <T>(fn: (s: KvStore, i: number) => Promise<T>) =>
    Promise.all(Array.from({ length: 100 }, (_, i) => fn(handles[i % handles.length]!, i)));
  beforeAll(async () => {
    handles = await open();
    store = handles[0]!;
  });
  afterAll(async () => {
    for (const handle of new Set(handles)) await handle.close();
    await deleteKeysWithPrefix(prefix);
  });

  it("returns a stored value until it is deleted", async () => {
    await store.set("a", "1", 60);
    expect(await store.get("a")).toBe("1");
    await store.set("a", "2", 60);
    expect(await store.get("a")).toBe("2");
    await store.delete("a");
    expect(await store.get("a")).toBeNull();
  });

  it("gives a value to exactly one of 100 parallel takers", async () => {
    for (let round = 0; round < 5; round++) {
      await store.set("code", `value-${round}`, 60);
      const results = await spread((s) => s.take("code"));
      expect(results.filter((r) => r !== null)).toEqual([`value-${round}`]);
      expect(await store.get("code")).toBeNull();
    }
  });

  it("stores with setIfAbsent only once among 100 parallel callers", async () => {
    const results = await spread((s, i) => s.setIfAbsent("jti", String(i), 60));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("counts 100 parallel increments exactly", async () => {
    const counts = await spread((s) => s.increment("counter", 60));
    expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it("expires values, take markers and counters after their TTL", async () => {
    await store.set("short", "x", 0.2);
    await store.setIfAbsent("marker", "x", 0.2);
    await store.increment("window", 0.2);
    await store.increment("window", 60); // a later increment does not extend the window
    expect(await store.get("short")).toBe("x");
    await sleep(350);
    expect(await store.get("short")).toBeNull();
    expect(await store.take("short")).toBeNull();
    expect(await store.setIfAbsent("marker", "y", 60)).toBe(true);
    expect(await store.increment("window", 60)).toBe(1);
  });

  it("counts and lists an index's members until their own deadlines", async () => {
    const now = Date.now();
    await spread((s, i) => s.indexAdd("live", `m${i}`, now + (i < 60 ? 60_000 : 1_000), 60));
    expect(await store.indexCount("live", now)).toBe(100);
    // A later add moves a member's deadline; removing takes it out at once.
    await store.indexAdd("live", "m99", now + 60_000, 60);
    await store.indexRemove("live", ["m0", "m1", "unknown"]);
    expect(await store.indexCount("live", now + 5_000)).toBe(59);
    const members = await store.indexMembers("live", now + 5_000);
    expect(members).toHaveLength(59);
    expect(members).toContain("m99");
    expect(members).not.toContain("m0");
    expect(members).not.toContain("m70");
    expect(await store.indexMembers("none", now)).toEqual([]);
    expect(await store.indexCount("none", now)).toBe(0);
  });

  it("expires a whole index after its TTL", async () => {
    const now = Date.now();
    await store.indexAdd("brief", "a", now + 600_000, 0.2);
    expect(await store.indexCount("brief", now)).toBe(1);
    await sleep(350);
    expect(await store.indexCount("brief", now)).toBe(0);
  });

  it("refuses a write without a positive TTL", async () => {
    await expect(store.set("k", "v", 0)).rejects.toThrow(RangeError);
  });
});

describe("redis store", () => {
  it("keeps every key under its prefix", async () => {
    const own = uniquePrefix();
    const store = await RedisKvStore.connect(REDIS_URL, own);
    const other = await RedisKvStore.connect(REDIS_URL, uniquePrefix());
    try {
      await store.set("shared-name", "mine", 60);
      expect(await other.get("shared-name")).toBeNull();
      expect(await store.get("shared-name")).toBe("mine");
    } finally {
      await store.close();
      await other.close();
      await deleteKeysWithPrefix(own);
    }
  });

  it("fails to connect to an unreachable Redis instead of hanging", async () => {
    await expect(RedisKvStore.connect("redis://127.0.0.1:1", "x:")).rejects.toThrow();
  }, 20_000);
});

describe("in-process store", () => {
  it("frees expired entries on sweep", async () => {
    let now = 1_000_000;
    const store = new MemoryKvStore(() => now);
    await store.set("a", "1", 1);
    await store.set("b", "2", 10);
    now += 2000;
    expect(store.sweep()).toBe(1);
    expect(store.size).toBe(1);
    await store.close();
  });
});
