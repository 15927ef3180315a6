// The Redis store. Every key gets the deployment's prefix; every write carries a TTL.
// take() is GETDEL (Redis 6.2+), which Redis runs atomically; increment() creates the counter
// and its expiry in one script so a crash between the two can never leave a counter forever.
// Indexes are sorted sets scored by each member's deadline.

import { createClient, type RedisClientType } from "redis";
import type { Logger } from "../../log.ts";
import type { KvStore } from "./types.ts";

const INCREMENT_WITH_TTL = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

function ttlMs(ttlSeconds: number): number {
  if (!(ttlSeconds > 0)) throw new RangeError("ttlSeconds must be positive");
  return Math.ceil(ttlSeconds * 1000);
}

export class RedisKvStore implements KvStore {
  readonly #client: RedisClientType;
  readonly #prefix: string;

  private constructor(client: RedisClientType, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
  }

  static async connect(url: string, prefix: string, log?: Logger): Promise<RedisKvStore> {
    // At start a Redis that stays unreachable fails the start (after about ten seconds);
    // once connected, the client reconnects for as long as it takes.
    let connected = false;
    const client: RedisClientType = createClient({
      url,
      socket: {
        connectTimeout: 5000,
        reconnectStrategy: (retries, cause) =>
          !connected && retries >= 8 ? cause : Math.min(50 * 2 ** retries, 2000),
      },
    });
    // Without a listener node-redis would throw on connection errors; reconnection is automatic.
    client.on("error", (err: Error) => log?.warn({ err: err.message }, "redis connection error"));
    await client.connect();
    connected = true;
    return new RedisKvStore(client, prefix);
  }

  #key(key: string): string {
    return this.#prefix + key;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.#client.set(this.#key(key), value, { PX: ttlMs(ttlSeconds) });
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const reply = await this.#client.set(this.#key(key), value, {
      PX: ttlMs(ttlSeconds),
      NX: true,
    });
    return reply === "OK";
  }

  async get(key: string): Promise<string | null> {
    return this.#client.get(this.#key(key));
  }

  async take(key: string): Promise<string | null> {
    return this.#client.getDel(this.#key(key));
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const reply = await this.#client.eval(INCREMENT_WITH_TTL, {
      keys: [this.#key(key)],
      arguments: [String(ttlMs(ttlSeconds))],
    });
    return Number(reply);
  }

  async delete(key: string): Promise<void> {
    await this.#client.del(this.#key(key));
  }

  async indexAdd(
    index: string,
    member: string,
    deadlineMs: number,
    ttlSeconds: number,
  ): Promise<void> {
    const key = this.#key(index);
    await this.#client
      .multi()
      .zAdd(key, { score: deadlineMs, value: member })
      .pExpire(key, ttlMs(ttlSeconds))
      .exec();
  }

  async indexRemove(index: string, members: string[]): Promise<void> {
    if (members.length > 0) await this.#client.zRem(this.#key(index), members);
  }

  async indexMembers(index: string, nowMs: number): Promise<string[]> {
    return this.#client.zRangeByScore(this.#key(index), `(${nowMs}`, "+inf");
  }

  async indexCount(index: string, nowMs: number): Promise<number> {
    const key = this.#key(index);
    await this.#client.zRemRangeByScore(key, "-inf", nowMs);
    return this.#client.zCard(key);
  }

  async ping(): Promise<void> {
    await this.#client.ping();
  }

  async close(): Promise<void> {
    if (this.#client.isOpen) await this.#client.close();
  }
}
