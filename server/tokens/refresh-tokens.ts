// Refresh tokens (RFC 6749 §1.5, §6): opaque, 256 random bits, stored only as a SHA-256
// digest in a family. The authorization code grant starts a family with its first token;
// the refresh grant rotates within it (refresh-rotation.ts). Introspection, revocation and
// logout look tokens up and judge them with the functions here.

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { Config } from "../config.ts";
import type { Db } from "../store/db/index.ts";
import {
  findRefreshTokenWithFamily,
  insertRefreshFamilyWithToken,
  type RefreshFamily,
} from "../store/db/refresh-families.ts";
import { digestToken, generateOpaqueToken } from "./opaque.ts";

export interface NewFamilyInput {
  clientId: string;
  userId: string;
  scope: string;
  /** RFC 8707 resources the grant was authorized for. */
  resources: string[];
  amr: string[];
  /** Seconds since the epoch. */
  authTime: number;
  sessionId: string | null;
}

export interface StartedFamily {
  familyId: string;
  /** The plaintext token, handed to the client once and never stored. */
  refreshToken: string;
  expiresAt: Date;
}

/** Creates a family and its first token in one statement. */
export async function startRefreshFamily(
  deps: { db: Db; config: Pick<Config, "refreshTokenAbsoluteTtl"> },
  input: NewFamilyInput,
  now: Date,
): Promise<StartedFamily> {
  const familyId = randomBytes(16).toString("hex");
  const refreshToken = generateOpaqueToken();
  const expiresAt = new Date(now.getTime() + deps.config.refreshTokenAbsoluteTtl * 1000);
  await insertRefreshFamilyWithToken(
    deps.db,
    {
      id: familyId,
      clientId: input.clientId,
      userId: input.userId,
      scope: input.scope,
      resources: input.resources,
      amr: input.amr,
      authTime: new Date(input.authTime * 1000),
      sessionId: input.sessionId,
      createdAt: now,
      expiresAt,
    },
    { digest: digestToken(refreshToken) },
  );
  return { familyId, refreshToken, expiresAt };
}

export interface FoundRefreshToken {
  digest: string;
  family: RefreshFamily;
  rotatedAt: Date | null;
  successorDigest: string | null;
  createdAt: Date;
}

/** Looks a presented refresh token up by its digest; null for an unknown token. */
export async function findRefreshToken(db: Db, token: string): Promise<FoundRefreshToken | null> {
  const found = await findRefreshTokenWithFamily(db, digestToken(token));
  if (!found) return null;
  return {
    digest: found.token.digest,
    family: found.family,
    rotatedAt: found.token.rotatedAt,
    successorDigest: found.token.successorDigest,
    createdAt: found.token.createdAt,
  };
}

export type FamilyState = "active" | "revoked" | "expired" | "idle";

/** Why a family no longer yields tokens: revoked, past its absolute or its idle lifetime. */
export function familyState(
  family: Pick<RefreshFamily, "revokedAt" | "expiresAt" | "lastUsedAt">,
  now: Date,
  config: Pick<Config, "refreshTokenIdleTtl">,
): FamilyState {
  if (family.revokedAt !== null) return "revoked";
  if (now.getTime() >= family.expiresAt.getTime()) return "expired";
  if (now.getTime() >= family.lastUsedAt.getTime() + config.refreshTokenIdleTtl * 1000) {
    return "idle";
  }
  return "active";
}

/**
 * True when the token could be exchanged now: it is its family's live token (not rotated;
 * a rotated token is never active, even inside the reuse grace period) and the family is
 * neither revoked nor past its absolute or idle lifetime.
 */
export function isRefreshTokenActive(
  found: Pick<FoundRefreshToken, "rotatedAt" | "family">,
  now: Date,
  config: Pick<Config, "refreshTokenIdleTtl">,
): boolean {
  return found.rotatedAt === null && familyState(found.family, now, config) === "active";
}

// The successor of a rotated token is sealed with AES-256-GCM under a key derived (HKDF) from
// the rotated token's plaintext, which the server never stores: only whoever presents the
// rotated token again can open it, and the stored digest (a plain SHA-256) does not help.
// Format: base64url(iv ‖ ciphertext ‖ tag), with the rotated token's digest as AAD.
const SEAL_INFO = "latchkey refresh-token successor v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

function sealingKey(token: string): Buffer {
  return Buffer.from(hkdfSync("sha256", token, Buffer.alloc(0), SEAL_INFO, 32));
}

export function sealSuccessor(rotated: string, successor: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", sealingKey(rotated), iv);
  cipher.setAAD(Buffer.from(digestToken(rotated), "utf8"));
  const body = Buffer.concat([cipher.update(successor, "utf8"), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
}

/** The successor's plaintext, or null when the seal does not open with this token. */
export function openSuccessor(rotated: string, sealed: string): string | null {
  const bytes = Buffer.from(sealed, "base64url");
  if (bytes.length <= IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv(
      "aes-256-gcm",
      sealingKey(rotated),
      bytes.subarray(0, IV_BYTES),
    );
    decipher.setAAD(Buffer.from(digestToken(rotated), "utf8"));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}
