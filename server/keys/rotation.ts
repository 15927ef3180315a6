// Key maintenance against the database, shared by every instance and by the CLI. Changes to
// the key chain happen only under a Postgres advisory lock inside one transaction, so exactly
// one session at a time reads the chain and extends it: two instances never both schedule a
// successor. Everything else (which key signs, which keys are published) is derived from the
// stored timestamps and the clock, and needs no coordination.

import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Db } from "../store/db/index.ts";
import {
  deleteExpiredSigningKeys,
  insertSigningKey,
  listSigningKeys,
  lockSigningKeys,
  rescheduleSigningKey,
  type StoredSigningKey,
} from "../store/db/signing-keys.ts";
import { encryptPrivateKey, generateSigningKey, SIGNING_ALG } from "./crypto.ts";
import {
  chainTail,
  expeditedActivation,
  forcedSuccession,
  keyState,
  predecessorOf,
  retirement,
  scheduledSuccession,
} from "./policy.ts";

export interface KeyContext {
  db: Db;
  kek: Buffer;
  config: Config;
  now: () => Date;
  log?: Logger;
}

export interface KeyInfo {
  kid: string;
  alg: string;
  state: "next" | "active" | "retired";
  createdAt: Date;
  activatesAt: Date;
  retiresAt: Date | null;
  expiresAt: Date | null;
}

export interface MaintenanceResult {
  /** False when another session held the lock and did the maintenance instead. */
  performed: boolean;
  /** The kid of the key created (the first key, or the scheduled successor). */
  created: string | null;
  /** The kids of the keys that left the JWKS and were deleted. */
  deleted: string[];
}

export interface RotationResult {
  /** The key that takes over signing, and when. */
  kid: string;
  activatesAt: Date;
  keys: KeyInfo[];
}

/** The keys still published at `now`, in signing order. */
export async function listKeys(db: Db, now: Date): Promise<KeyInfo[]> {
  return toKeyInfos(await listSigningKeys(db), now);
}

/**
 * The periodic step every instance runs: creates the first key when there is none, schedules
 * the successor of the active key when its period nears the end, deletes expired keys. With
 * wait=false it gives up at once when another instance is doing it.
 */
export async function maintainKeys(
  ctx: KeyContext,
  options: { wait?: boolean } = {},
): Promise<MaintenanceResult> {
  return ctx.db.transaction().execute(async (trx) => {
    if (!(await lockSigningKeys(trx, options.wait ?? false))) {
      return { performed: false, created: null, deleted: [] };
    }
    const now = ctx.now();
    const deleted = await deleteExpired(trx, ctx, now);
    const keys = await listSigningKeys(trx);
    const tail = chainTail(keys);
    let created: string | null = null;
    if (tail === null) {
      created = await addKey(trx, ctx, keys, now, now);
    } else {
      const activatesAt = scheduledSuccession(tail, now, ctx.config);
      if (activatesAt !== null) created = await addKey(trx, ctx, keys, now, activatesAt);
    }
    return { performed: true, created, deleted };
  });
}

/**
 * `latchkey keys rotate`: starts a rotation now. The new key still waits the full
 * pre-publication time before it signs; when a successor is already waiting, its activation
 * is brought forward as far as that rule allows instead of adding another key.
 */
export async function rotateKeys(ctx: KeyContext): Promise<RotationResult> {
  return ctx.db.transaction().execute(async (trx) => {
    await lockSigningKeys(trx, true);
    const now = ctx.now();
    await deleteExpired(trx, ctx, now);
    const keys = await listSigningKeys(trx);
    const tail = chainTail(keys);
    let kid: string;
    let activatesAt: Date;
    if (tail === null) {
      activatesAt = now;
      kid = await addKey(trx, ctx, keys, now, activatesAt);
    } else if (keyState(tail, now) === "next") {
      kid = tail.kid;
      activatesAt = expeditedActivation(tail, now, ctx.config);
      if (activatesAt.getTime() < tail.activatesAt.getTime()) {
        await rescheduleSigningKey(trx, tail.kid, { activatesAt });
        const predecessor = predecessorOf(keys, tail);
        if (predecessor !== null) {
          await rescheduleSigningKey(trx, predecessor.kid, retirement(activatesAt, ctx.config));
        }
        ctx.log?.info({ kid, activatesAt }, "brought the next signing key's activation forward");
      }
    } else {
      activatesAt = forcedSuccession(now, ctx.config);
      kid = await addKey(trx, ctx, keys, now, activatesAt);
    }
    return { kid, activatesAt, keys: toKeyInfos(await listSigningKeys(trx), now) };
  });
}

/** Creates a key that activates at `activatesAt` and retires the current tail then. */
async function addKey(
  trx: Db,
  ctx: KeyContext,
  keys: StoredSigningKey[],
  now: Date,
  activatesAt: Date,
): Promise<string> {
  const tail = chainTail(keys);
  const generated = await generateSigningKey();
  await insertSigningKey(trx, {
    kid: generated.kid,
    alg: SIGNING_ALG,
    publicJwk: { ...generated.publicJwk },
    sealedPrivateKey: encryptPrivateKey(generated.privateKey, ctx.kek, generated.kid),
    createdAt: now,
    activatesAt,
    retiresAt: null,
    expiresAt: null,
  });
  if (tail !== null) {
    await rescheduleSigningKey(trx, tail.kid, retirement(activatesAt, ctx.config));
  }
  ctx.log?.info(
    { kid: generated.kid, activatesAt, succeeds: tail?.kid ?? null },
    tail === null ? "created the first signing key" : "scheduled the next signing key",
  );
  return generated.kid;
}

async function deleteExpired(trx: Db, ctx: KeyContext, now: Date): Promise<string[]> {
  const deleted = await deleteExpiredSigningKeys(trx, now);
  if (deleted.length > 0) ctx.log?.info({ kids: deleted }, "removed expired signing keys");
  return deleted;
}

function toKeyInfos(keys: StoredSigningKey[], now: Date): KeyInfo[] {
  const infos: KeyInfo[] = [];
  for (const key of keys) {
    const state = keyState(key, now);
    if (state === "removed") continue;
    infos.push({
      kid: key.kid,
      alg: key.alg,
      state,
      createdAt: key.createdAt,
      activatesAt: key.activatesAt,
      retiresAt: key.retiresAt,
      expiresAt: key.expiresAt,
    });
  }
  return infos;
}
