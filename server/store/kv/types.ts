// The ephemeral store: codes, sessions, counters and replay markers. Redis in production, an
// in-process twin in the embedded default. Every value has a TTL; single-use values are taken
// atomically (get-and-delete), so two concurrent takers never both receive one.

export interface KvStore {
  /** Stores a value for ttlSeconds (fractions allowed), replacing any previous value. */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Stores a value only if the key is absent; true when it was stored. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  get(key: string): Promise<string | null>;
  /** Atomically returns and deletes the value: exactly one concurrent caller gets it. */
  take(key: string): Promise<string | null>;
  /** Increments a counter; the TTL is set when the counter is created and kept after. */
  increment(key: string, ttlSeconds: number): Promise<number>;
  delete(key: string): Promise<void>;
  /** Throws when the store cannot be reached (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
