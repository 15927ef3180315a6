// A Redis adapter for node-oidc-provider, so that the peer keeps its codes, tokens, sessions
// and grants where Latchkey keeps its ephemeral state: a fair comparison needs both servers to
// pay for their round trips. It follows the Redis example in oidc-provider's documentation
// (consumable models are hashes, so `consume` can mark them; grants list their tokens).

import type { Adapter, AdapterPayload } from "oidc-provider";
import type { createClient } from "redis";

type Redis = ReturnType<typeof createClient>;

const GRANTABLE = new Set([
  "AccessToken",
  "AuthorizationCode",
  "RefreshToken",
  "DeviceCode",
  "BackchannelAuthenticationRequest",
]);
const CONSUMABLE = new Set([
  "AuthorizationCode",
  "RefreshToken",
  "DeviceCode",
  "BackchannelAuthenticationRequest",
]);

/** The adapter class oidc-provider instantiates once per model name. */
export function redisAdapter(redis: Redis, prefix: string) {
  const grantKey = (id: string) => `${prefix}grant:${id}`;
  const userCodeKey = (code: string) => `${prefix}userCode:${code}`;
  const uidKey = (uid: string) => `${prefix}uid:${uid}`;

  return class RedisAdapter implements Adapter {
    readonly name: string;
    constructor(name: string) {
      this.name = name;
    }

    key(id: string): string {
      return `${prefix}${this.name}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const key = this.key(id);
      const multi = redis.multi();
      if (CONSUMABLE.has(this.name)) multi.hSet(key, { payload: JSON.stringify(payload) });
      else multi.set(key, JSON.stringify(payload));
      if (expiresIn) multi.expire(key, expiresIn);
      if (GRANTABLE.has(this.name) && payload.grantId) {
        const grant = grantKey(payload.grantId);
        multi.rPush(grant, key);
        const ttl = await redis.ttl(grant);
        if (expiresIn > ttl) multi.expire(grant, expiresIn);
      }
      if (payload.userCode) {
        multi.set(userCodeKey(payload.userCode), id);
        if (expiresIn) multi.expire(userCodeKey(payload.userCode), expiresIn);
      }
      if (payload.uid) {
        multi.set(uidKey(payload.uid), id);
        if (expiresIn) multi.expire(uidKey(payload.uid), expiresIn);
      }
      await multi.exec();
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (CONSUMABLE.has(this.name)) {
        const hash = await redis.hGetAll(this.key(id));
        if (!hash.payload) return undefined;
        const { payload, ...rest } = hash;
        return {
          ...(JSON.parse(payload) as AdapterPayload),
          ...(rest.consumed ? { consumed: Number(rest.consumed) } : {}),
        };
      }
      const text = await redis.get(this.key(id));
      return text ? (JSON.parse(text) as AdapterPayload) : undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = await redis.get(uidKey(uid));
      return id ? this.find(id) : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = await redis.get(userCodeKey(userCode));
      return id ? this.find(id) : undefined;
    }

    async destroy(id: string): Promise<void> {
      await redis.del(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const keys = await redis.lRange(grantKey(grantId), 0, -1);
      await redis.del([...keys, grantKey(grantId)]);
    }

    async consume(id: string): Promise<void> {
      await redis.hSet(this.key(id), "consumed", Math.floor(Date.now() / 1000));
    }
  };
}
