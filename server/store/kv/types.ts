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
  /**
   * Indexes: sets of members, each with its own deadline (milliseconds since the epoch), so
   * that things which live in the store (sessions) can be counted and listed. A member past
   * its deadline is not live. The index itself expires ttlSeconds after its last change.
   */
  indexAdd(index: string, member: string, deadlineMs: number, ttlSeconds: number): Promise<void>;
  indexRemove(index: string, members: string[]): Promise<void>;
  /** The members whose deadline is after nowMs. */
  indexMembers(index: string, nowMs: number): Promise<string[]>;
  /** How many members have a deadline after nowMs; forgets the others. */
  indexCount(index: string, nowMs: number): Promise<number>;
  /** Throws when the store cannot be reached (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
