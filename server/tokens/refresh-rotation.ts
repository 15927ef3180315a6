// Refresh-token rotation (RFC 6749 §6, RFC 9700 §4.14.2). Every exchange writes under a lock
// on the family row (`select … for update`, in one transaction or, for the usual exchange of a
// live token, in one statement: rotateLiveToken), so exchanges within one family happen one
// after the other and each sees what the previous one committed. A live token is retired in
// favour of exactly one successor; a retired token presented again is reuse: the family is
// revoked in the same transaction (and marked revoked in the store, which rejects every access
// token it issued).
//
// Concurrency, by decision: N simultaneous exchanges of one live token yield one successor.
// With REFRESH_TOKEN_REUSE_GRACE=0 the first exchange wins and every other one presents a
// retired token, which is reuse: they get invalid_grant and the family, the winner's
// successor included, is revoked. A client cannot be told apart from a thief racing it, so
// nothing is left alive. Inside a grace period the others receive the winner's successor.
// Either way there are never two live branches.
//
// Grace: the successor's plaintext is needed again, but only digests are stored. It is kept
// sealed on the retired token's row (refresh-tokens.ts: AES-256-GCM under a key derived from
// the retired token), so whoever presents the retired token, and nobody else, can open it.
// It is sealed only while a grace period is configured.

import type { Config } from "../config.ts";
import { invalidGrant } from "../errors.ts";
import type { Logger } from "../log.ts";
import { type EventOrigin, recordEvent } from "../observability/events.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { Db } from "../store/db/index.ts";
import {
  findRefreshTokenByDigest,
  findRefreshTokenWithFamily,
  lockFamilyAndToken,
  type RefreshFamily,
  type RefreshTokenRecord,
  rotateLiveRefreshToken,
  rotateRefreshTokenRows,
  touchRefreshFamily,
} from "../store/db/refresh-families.ts";
import type { UserSource } from "../store/db/row-cache.ts";
import { findUserById, type User } from "../store/db/users.ts";
import type { KvStore } from "../store/kv/types.ts";
import { digestToken, generateOpaqueToken } from "./opaque.ts";
import { familyState, openSuccessor, sealSuccessor } from "./refresh-tokens.ts";
import { revokeFamily } from "./revocation.ts";

export interface RotationDeps {
  db: Db;
  kv: KvStore;
  /** Read on the fast path only; the locked path reads the user in its transaction. */
  users: UserSource;
  now: () => Date;
  log: Logger;
  metrics: Pick<Metrics, "refreshReuseDetections">;
  config: Pick<
    Config,
    "refreshTokenIdleTtl" | "refreshTokenReuseGrace" | "accessTokenTtl" | "clockSkew"
  >;
}

export interface Rotation<T> {
  family: RefreshFamily;
  /** The token to hand out: a new one, or within the grace period the existing successor. */
  refreshToken: string;
  /** True when the successor of an already-retired token was handed out again. */
  repeated: boolean;
  /** What `issue` returned. */
  issued: T;
}

/**
 * Makes what is handed out with the refresh token (access and ID tokens) once every check has
 * passed, before anything is written: if it throws (a wider scope, an unauthorized resource,
 * a signing failure), nothing is rotated and the presented token stays the live one. It may
 * run twice for one request (see rotateRefreshToken); only one result is ever handed out.
 */
export type IssueWithRotation<T> = (grant: { family: RefreshFamily; user: User }) => Promise<T>;

type Outcome<T> =
  | { ok: true; rotation: Rotation<T> }
  | { ok: false; detail: string; reused?: RefreshFamily };

// One description for every refusal, so a caller learns nothing about someone else's token.
const REFUSED = "The refresh token is invalid, expired or revoked.";

/**
 * Exchanges a refresh token presented by `clientId` for its successor and what `issue` makes,
 * or throws invalid_grant (after revoking the family where the rules say so).
 */
export async function rotateRefreshToken<T>(
  deps: RotationDeps,
  request: { presented: string; clientId: string; origin?: EventOrigin },
  issue: IssueWithRotation<T>,
): Promise<Rotation<T>> {
  const { presented, clientId } = request;
  const digest = digestToken(presented);
  const now = deps.now();
  const fast = await rotateLiveToken(deps, { presented, digest, clientId, now }, issue);
  if (fast !== null) return fast;
  const outcome = await deps.db.transaction().execute(async (tx): Promise<Outcome<T>> => {
    const txDeps = { ...deps, db: tx };
    const locked = await lockFamilyAndToken(tx, digest);
    if (!locked) return { ok: false, detail: "unknown refresh token" };
    const { family, token } = locked;
    if (family.clientId !== clientId) {
      return { ok: false, detail: `refresh token of client ${family.clientId}` };
    }
    const state = familyState(family, now, deps.config);
    if (state !== "active") return { ok: false, detail: `family ${family.id} is ${state}` };

    const user = await findUserById(tx, family.userId);
    if (!user || user.lockedAt !== null) {
      await revokeFamily(txDeps, family.id, user ? "user locked" : "user deleted");
      return { ok: false, detail: `user ${family.userId} can no longer sign in` };
    }

    if (token.rotatedAt !== null) {
      const successor = await graceSuccessor(tx, token, presented, now, deps.config);
      if (successor === null) {
        await revokeFamily(txDeps, family.id, "refresh token reused");
        deps.log.warn(
          { clientId, familyId: family.id },
          "refresh token reused; its family is revoked",
        );
        return {
          ok: false,
          detail: `reuse of a rotated token of family ${family.id}`,
          reused: family,
        };
      }
      const issued = await issue({ family, user });
      await touchRefreshFamily(tx, family.id, now);
      return { ok: true, rotation: { family, refreshToken: successor, repeated: true, issued } };
    }

    const issued = await issue({ family, user });
    const successor = generateOpaqueToken();
    const successorDigest = digestToken(successor);
    const rotated = await rotateRefreshTokenRows(tx, {
      digest,
      familyId: family.id,
      successorDigest,
      successorSealed:
        deps.config.refreshTokenReuseGrace > 0 ? sealSuccessor(presented, successor) : null,
      at: now,
    });
    // The family lock makes this impossible; should it ever fail, nothing must be handed out.
    if (!rotated) throw new Error(`refresh token of family ${family.id} rotated concurrently`);
    return { ok: true, rotation: { family, refreshToken: successor, repeated: false, issued } };
  });
  if (!outcome.ok) {
    // Recorded after the transaction has committed the revocation.
    if (outcome.reused) {
      deps.metrics.refreshReuseDetections.inc();
      await recordEvent(deps, {
        type: "refresh.reuse_detected",
        actor: clientId,
        clientId,
        userId: outcome.reused.userId,
        details: { family_id: outcome.reused.id },
        ...request.origin,
      });
    }
    throw invalidGrant(REFUSED, outcome.detail);
  }
  return outcome.rotation;
}

/**
 * The common case, a live token of an active family, with the signatures made before any
 * lock: the token, its family and the user are read without locks, `issue` runs, and only
 * then one statement locks the family and the token and writes the rotation, provided the
 * token is still live and the family still active under the lock. No transaction stays open
 * across the two RSA signatures, and the whole exchange is three round trips. Null, with
 * nothing written, whenever the token is not plainly exchangeable or a concurrent change got
 * there first: the caller then takes the locked path, which decides exactly as before.
 */
async function rotateLiveToken<T>(
  deps: RotationDeps,
  request: { presented: string; digest: string; clientId: string; now: Date },
  issue: IssueWithRotation<T>,
): Promise<Rotation<T> | null> {
  const { presented, digest, clientId, now } = request;
  const seen = await findRefreshTokenWithFamily(deps.db, digest);
  if (!seen || seen.token.rotatedAt !== null) return null;
  const { family } = seen;
  if (family.clientId !== clientId || familyState(family, now, deps.config) !== "active") {
    return null;
  }
  const user = await deps.users.find(family.userId);
  if (!user || user.lockedAt !== null) return null;
  const issued = await issue({ family, user });
  const successor = generateOpaqueToken();
  const rotated = await rotateLiveRefreshToken(deps.db, {
    digest,
    successorDigest: digestToken(successor),
    successorSealed:
      deps.config.refreshTokenReuseGrace > 0 ? sealSuccessor(presented, successor) : null,
    at: now,
    idleBefore: new Date(now.getTime() - deps.config.refreshTokenIdleTtl * 1000),
  });
  return rotated ? { family, refreshToken: successor, repeated: false, issued } : null;
}

/**
 * The successor of a retired token, when the token was retired less than the grace period
 * ago and its successor is still the family's live token; otherwise null (reuse).
 */
async function graceSuccessor(
  db: Db,
  token: RefreshTokenRecord,
  presented: string,
  now: Date,
  config: Pick<Config, "refreshTokenReuseGrace">,
): Promise<string | null> {
  const graceMs = config.refreshTokenReuseGrace * 1000;
  if (token.rotatedAt === null || token.successorDigest === null) return null;
  if (token.successorSealed === null || graceMs === 0) return null;
  if (now.getTime() - token.rotatedAt.getTime() > graceMs) return null;
  const successor = await findRefreshTokenByDigest(db, token.successorDigest);
  // A successor that was itself rotated means the client already moved on: a late duplicate
  // of the older token is not a race any more.
  if (!successor || successor.rotatedAt !== null) return null;
  const plaintext = openSuccessor(presented, token.successorSealed);
  if (plaintext === null || digestToken(plaintext) !== token.successorDigest) return null;
  return plaintext;
}
