// Each test file gets its own Redis key prefix; cleanup deletes only keys under it.

import { randomBytes } from "node:crypto";
import { createClient } from "redis";

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export function uniquePrefix(): string {
  return `latchkey-test:${randomBytes(6).toString("hex")}:`;
}

export async function deleteKeysWithPrefix(prefix: string): Promise<void> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      keys.push(...batch);
    }
    if (keys.length > 0) await client.del(keys);
  } finally {
    client.destroy();
  }
}
