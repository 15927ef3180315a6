// Picks the store for the configuration: Redis when REDIS_URL is set, in-process otherwise.

import type { Config } from "../../config.ts";
import type { Logger } from "../../log.ts";
import { MemoryKvStore } from "./memory.ts";
import { RedisKvStore } from "./redis.ts";
import type { KvStore } from "./types.ts";

export type { KvStore } from "./types.ts";

export async function openKvStore(
  config: Pick<Config, "redisUrl" | "redisPrefix">,
  log?: Logger,
): Promise<KvStore> {
  if (config.redisUrl === null) return new MemoryKvStore();
  return RedisKvStore.connect(config.redisUrl, config.redisPrefix, log);
}
