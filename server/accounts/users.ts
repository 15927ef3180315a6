// User accounts as operators manage them: create, set a password, lock, unlock, delete, show.
// Users are addressed by email, normalised once here so that lookups and the unique index
// agree on what "the same address" means.

import { randomUUID } from "node:crypto";
import { domainToASCII, domainToUnicode } from "node:url";
import { conflict, invalidRequest, notFound } from "../errors.ts";
import type { Db } from "../store/db/index.ts";
import {
  deleteUserById,
  findUserByEmail,
  insertUser,
  setUserEmailVerified,
  setUserLockedAt,
  type User,
  updateUserPasswordHash,
} from "../store/db/users.ts";
import { checkPasswordPolicy, hashPassword } from "./passwords.ts";

export type { User } from "../store/db/users.ts";

const NAME_MAX_LENGTH = 200;
// RFC 5321 §4.5.3.1: 64 octets of local part, 254 for the whole forward path.
const LOCAL_MAX_LENGTH = 64;
const EMAIL_MAX_LENGTH = 254;
// Dot-atom text (RFC 5322 §3.2.3) plus non-ASCII letters (RFC 6531); quoted local parts are
// not accepted: no mail provider hands them out and they make normalisation ambiguous.
const LOCAL_ATOM = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+$/u;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Trims, lowercases and validates an email address; the domain is kept in its canonical
 * Unicode form (IDNA), so "Ann@Example.COM " and "ann@example.com" are one account.
 */
export function normalizeEmail(input: string): string {
  const email = input.trim().normalize("NFC").toLowerCase();
  const invalid = () => invalidRequest(`"${input.slice(0, 100)}" is not a valid email address.`);
  const at = email.indexOf("@");
  if (at < 1 || at !== email.lastIndexOf("@") || email.length > EMAIL_MAX_LENGTH) throw invalid();
  const local = email.slice(0, at);
  if ([...local].length > LOCAL_MAX_LENGTH) throw invalid();
  if (!local.split(".").every((atom) => LOCAL_ATOM.test(atom))) throw invalid();
  const ascii = domainToASCII(email.slice(at + 1));
  const labels = ascii.split(".");
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) throw invalid();
  if (/^\d+$/.test(labels.at(-1) ?? "")) throw invalid();
  return `${local}@${domainToUnicode(ascii)}`;
}

/** Trims the name; null for none. Throws invalid_request for an empty or overlong one. */
export function normalizeName(name: string | undefined | null): string | null {
  if (name === undefined || name === null) return null;
  const trimmed = name.trim().normalize("NFC");
  if (trimmed === "") throw invalidRequest("The name must not be empty.");
  if ([...trimmed].length > NAME_MAX_LENGTH) {
    throw invalidRequest(`The name must have at most ${NAME_MAX_LENGTH} characters.`);
  }
  return trimmed;
}

export interface NewUserInput {
  email: string;
  password: string;
  name?: string | null;
  emailVerified?: boolean;
}

export async function createUser(db: Db, input: NewUserInput, now: Date): Promise<User> {
  const email = normalizeEmail(input.email);
  const name = normalizeName(input.name);
  checkPasswordPolicy(input.password);
  if (await findUserByEmail(db, email)) throw duplicate(email);
  const passwordHash = await hashPassword(input.password);
  const user = await insertUser(db, {
    id: randomUUID(),
    email,
    emailVerified: input.emailVerified ?? false,
    name,
    passwordHash,
    createdAt: now,
  });
  // The check above is only a fast path; the unique index decides between concurrent creates.
  if (!user) throw duplicate(email);
  return user;
}

export async function getUserByEmail(db: Db, email: string): Promise<User> {
  const normalized = normalizeEmail(email);
  const user = await findUserByEmail(db, normalized);
  if (!user) throw notFound(`No user with email ${normalized}.`);
  return user;
}

export async function setUserPassword(
  db: Db,
  email: string,
  password: string,
  now: Date,
): Promise<User> {
  checkPasswordPolicy(password);
  const user = await getUserByEmail(db, email);
  const updated = await updateUserPasswordHash(db, user.id, await hashPassword(password), now);
  return updated ?? gone(user);
}

/** Marks the user's address verified, as the operator vouches for it. */
export async function verifyUserEmail(db: Db, email: string, now: Date): Promise<User> {
  const user = await getUserByEmail(db, email);
  return (await setUserEmailVerified(db, user.id, user.email, now)) ?? gone(user);
}

/** Locked users cannot sign in or refresh tokens; locking twice keeps the first date. */
export async function lockUser(db: Db, email: string, now: Date): Promise<User> {
  const user = await getUserByEmail(db, email);
  return (await setUserLockedAt(db, user.id, now, now)) ?? gone(user);
}

export async function unlockUser(db: Db, email: string, now: Date): Promise<User> {
  const user = await getUserByEmail(db, email);
  return (await setUserLockedAt(db, user.id, null, now)) ?? gone(user);
}

/** Deletes the user with their consents and refresh tokens; returns the deleted user. */
export async function deleteUser(db: Db, email: string): Promise<User> {
  const user = await getUserByEmail(db, email);
  return (await deleteUserById(db, user.id)) ?? gone(user);
}

function duplicate(email: string) {
  return conflict(`A user with email ${email} already exists.`);
}

// Deleted by someone else between the lookup and the write.
function gone(user: User): never {
  throw notFound(`No user with email ${user.email}.`);
}
