// Refresh tokens (RFC 6749 §1.5, §6): opaque, 256 random bits, stored only as a SHA-256
// digest in a family. The authorization code grant starts a family with its first token;
// the refresh grant rotates within it.

import { randomBytes } from "node:crypto";
import type { Config } from "../config.ts";
import type { Db } from "../store/db/index.ts";
import { insertRefreshFamily, insertRefreshToken } from "../store/db/refresh-families.ts";
import { digestToken, generateOpaqueToken } from "./opaque.ts";

export interface NewFamilyInput {
  clientId: string;
  userId: string;
  scope: string;
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

/** Creates a family and its first token in one transaction. */
export async function startRefreshFamily(
  deps: { db: Db; config: Pick<Config, "refreshTokenAbsoluteTtl"> },
  input: NewFamilyInput,
  now: Date,
): Promise<StartedFamily> {
  const familyId = randomBytes(16).toString("hex");
  const refreshToken = generateOpaqueToken();
  const expiresAt = new Date(now.getTime() + deps.config.refreshTokenAbsoluteTtl * 1000);
  await deps.db.transaction().execute(async (tx) => {
    await insertRefreshFamily(tx, {
      id: familyId,
      clientId: input.clientId,
      userId: input.userId,
      scope: input.scope,
      authTime: new Date(input.authTime * 1000),
      sessionId: input.sessionId,
      createdAt: now,
      expiresAt,
    });
    await insertRefreshToken(tx, { digest: digestToken(refreshToken), familyId, createdAt: now });
  });
  return { familyId, refreshToken, expiresAt };
}
