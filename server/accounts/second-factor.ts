// The TOTP second factor of an account: enrolment by the user (a pending secret, confirmed by
// a first code, which also makes the recovery codes), enrolment by the operator, turning it
// off, new recovery codes, and checking a code at login. A TOTP code is accepted once: the
// time step it matched is stored, and that step and every earlier one are refused afterwards
// (RFC 6238 §5.2); a recovery code works once.

import type { Config } from "../config.ts";
import { invalidRequest } from "../errors.ts";
import type { SecretBox } from "../keys/secret-box.ts";
import type { Db } from "../store/db/index.ts";
import {
  countUnusedRecoveryCodes,
  deleteTotp,
  findTotp,
  replaceRecoveryCodes,
  replaceTotp,
  upsertPendingTotp,
  useRecoveryCode,
  useTotpStep,
} from "../store/db/second-factor.ts";
import type { User } from "../store/db/users.ts";
import {
  generateRecoveryCodes,
  normalizeRecoveryCode,
  recoveryCodeDigest,
} from "./recovery-codes.ts";
import {
  formatSecretForTyping,
  generateTotpSecret,
  looksLikeTotpCode,
  matchTotpStep,
  otpauthUri,
} from "./totp.ts";

export interface SecondFactorDeps {
  db: Db;
  totpSecrets: SecretBox;
  config: Pick<Config, "issuer">;
  now: () => Date;
}

export type SecondFactorStatus =
  | { state: "off" }
  | { state: "pending" }
  | { state: "on"; since: Date; recoveryCodesLeft: number };

/** What an authenticator app needs: the otpauth URI (for the QR code) and the typed secret. */
export interface AuthenticatorSetup {
  otpauthUri: string;
  secret: string;
}

/** The outcome of a code typed at login or to change the second factor. */
export type CodeCheck = "totp" | "recovery" | "replayed" | "wrong";

const WRONG_CODE = "That code is not right. Enter the current code from your authenticator app.";

/** The name apps show next to the account: the issuer's host, which the user recognises. */
function issuerName(config: Pick<Config, "issuer">): string {
  return new URL(config.issuer).host;
}

function setupFor(
  deps: SecondFactorDeps,
  user: Pick<User, "email">,
  secret: Buffer,
): AuthenticatorSetup {
  return {
    otpauthUri: otpauthUri(issuerName(deps.config), user.email, secret),
    secret: formatSecretForTyping(secret),
  };
}

export async function secondFactorStatus(db: Db, userId: string): Promise<SecondFactorStatus> {
  const totp = await findTotp(db, userId);
  if (totp === null) return { state: "off" };
  if (totp.confirmedAt === null) return { state: "pending" };
  return {
    state: "on",
    since: totp.confirmedAt,
    recoveryCodesLeft: await countUnusedRecoveryCodes(db, userId),
  };
}

/** Makes a new pending secret for the user to add to an app; refused while one is on. */
export async function startTotpEnrolment(
  deps: SecondFactorDeps,
  user: Pick<User, "id" | "email">,
): Promise<AuthenticatorSetup> {
  const secret = generateTotpSecret();
  const sealed = deps.totpSecrets.seal(secret, user.id);
  if (!(await upsertPendingTotp(deps.db, user.id, sealed, deps.now()))) {
    throw invalidRequest("Two-step verification is already on.");
  }
  return setupFor(deps, user, secret);
}

/** The pending enrolment's setup, or null when there is none. */
export async function pendingTotpEnrolment(
  deps: SecondFactorDeps,
  user: Pick<User, "id" | "email">,
): Promise<AuthenticatorSetup | null> {
  const totp = await findTotp(deps.db, user.id);
  if (totp === null || totp.confirmedAt !== null) return null;
  return setupFor(deps, user, deps.totpSecrets.open(totp.secretSealed, user.id));
}

/**
 * Confirms the pending secret with a code from the app, which proves the app has it, and
 * returns the new recovery codes: the only time they are ever shown.
 */
export async function confirmTotpEnrolment(
  deps: SecondFactorDeps,
  user: Pick<User, "id">,
  code: string,
): Promise<string[]> {
  const totp = await findTotp(deps.db, user.id);
  if (totp === null) throw invalidRequest("Start setting up two-step verification first.");
  if (totp.confirmedAt !== null) throw invalidRequest("Two-step verification is already on.");
  const secret = deps.totpSecrets.open(totp.secretSealed, user.id);
  const step = matchTotpStep(secret, code, deps.now());
  if (step === null || !(await useTotpStep(deps.db, user.id, step, deps.now()))) {
    throw invalidRequest(WRONG_CODE);
  }
  return newRecoveryCodes(deps, user.id);
}

/** Checks a TOTP or recovery code of a user whose second factor is on, and uses it up. */
export async function checkSecondFactorCode(
  deps: SecondFactorDeps,
  userId: string,
  input: string,
): Promise<CodeCheck> {
  const totp = await findTotp(deps.db, userId);
  if (totp === null || totp.confirmedAt === null) return "wrong";
  if (looksLikeTotpCode(input)) {
    const secret = deps.totpSecrets.open(totp.secretSealed, userId);
    const step = matchTotpStep(secret, input, deps.now());
    if (step === null) return "wrong";
    return (await useTotpStep(deps.db, userId, step, deps.now())) ? "totp" : "replayed";
  }
  if (normalizeRecoveryCode(input) === null) return "wrong";
  const used = await useRecoveryCode(
    deps.db,
    userId,
    recoveryCodeDigest(userId, input),
    deps.now(),
  );
  return used ? "recovery" : "wrong";
}

/** Replaces the recovery codes, after a current TOTP code; returns the new ones. */
export async function regenerateRecoveryCodes(
  deps: SecondFactorDeps,
  user: Pick<User, "id">,
  code: string,
): Promise<string[]> {
  if (!looksLikeTotpCode(code) || (await checkSecondFactorCode(deps, user.id, code)) !== "totp") {
    throw invalidRequest(WRONG_CODE);
  }
  return newRecoveryCodes(deps, user.id);
}

/** Turns the second factor off, after a current TOTP code or a recovery code. */
export async function disableTotp(
  deps: SecondFactorDeps,
  user: Pick<User, "id">,
  code: string,
): Promise<void> {
  const check = await checkSecondFactorCode(deps, user.id, code);
  if (check !== "totp" && check !== "recovery") {
    throw invalidRequest(
      "That code is not right. Enter the current code from your app or a recovery code.",
    );
  }
  await deleteTotp(deps.db, user.id);
}

/**
 * The operator's enrolment (`latchkey user totp`): a new secret that is on at once, replacing
 * any earlier one, with new recovery codes. For users who cannot use the account page.
 */
export async function enrolTotpByOperator(
  deps: SecondFactorDeps,
  user: Pick<User, "id" | "email">,
): Promise<AuthenticatorSetup & { recoveryCodes: string[] }> {
  const secret = generateTotpSecret();
  await replaceTotp(deps.db, user.id, deps.totpSecrets.seal(secret, user.id), deps.now());
  const recoveryCodes = await newRecoveryCodes(deps, user.id);
  return { ...setupFor(deps, user, secret), recoveryCodes };
}

/** Removes the second factor (a user who lost the app and the codes); true if it was set. */
export function removeTotpByOperator(deps: Pick<SecondFactorDeps, "db">, userId: string) {
  return deleteTotp(deps.db, userId);
}

async function newRecoveryCodes(deps: SecondFactorDeps, userId: string): Promise<string[]> {
  const codes = generateRecoveryCodes();
  const digests = codes.map((code) => recoveryCodeDigest(userId, code));
  await replaceRecoveryCodes(deps.db, userId, digests, deps.now());
  return codes;
}
