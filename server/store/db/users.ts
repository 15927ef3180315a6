// Queries on the users table. Rows are mapped to camelCase User objects here and nowhere else.

import type { Db } from "./index.ts";
import type { UserRow } from "./schema.ts";

export interface User {
  id: string;
  /** Normalised (see accounts/users.ts); unique. */
  email: string;
  emailVerified: boolean;
  name: string | null;
  passwordHash: string;
  lockedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewUser {
  id: string;
  email: string;
  emailVerified?: boolean;
  name: string | null;
  passwordHash: string;
  createdAt: Date;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    emailVerified: row.email_verified,
    name: row.name,
    passwordHash: row.password_hash,
    lockedAt: row.locked_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function findUserByEmail(db: Db, email: string): Promise<User | null> {
  const row = await db
    .selectFrom("users")
    .selectAll()
    .where("email", "=", email)
    .executeTakeFirst();
  return row ? toUser(row) : null;
}

export async function findUserById(db: Db, id: string): Promise<User | null> {
  const row = await db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toUser(row) : null;
}

/** Inserts the user; null when the email (or id) is already taken. */
export async function insertUser(db: Db, user: NewUser): Promise<User | null> {
  const row = await db
    .insertInto("users")
    .values({
      id: user.id,
      email: user.email,
      email_verified: user.emailVerified ?? false,
      name: user.name,
      password_hash: user.passwordHash,
      created_at: user.createdAt,
      updated_at: user.createdAt,
    })
    .onConflict((conflict) => conflict.doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ? toUser(row) : null;
}

export async function updateUserPasswordHash(
  db: Db,
  id: string,
  passwordHash: string,
  now: Date,
): Promise<User | null> {
  const row = await db
    .updateTable("users")
    .set({ password_hash: passwordHash, updated_at: now })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
  return row ? toUser(row) : null;
}

/** Marks the user's address verified, if it is still `email` (the address a link went to). */
export async function setUserEmailVerified(
  db: Db,
  id: string,
  email: string,
  now: Date,
): Promise<User | null> {
  const row = await db
    .updateTable("users")
    .set({ email_verified: true, updated_at: now })
    .where("id", "=", id)
    .where("email", "=", email)
    .returningAll()
    .executeTakeFirst();
  return row ? toUser(row) : null;
}

/** Locks (a date) or unlocks (null) the user; an existing lock keeps its original date. */
export async function setUserLockedAt(
  db: Db,
  id: string,
  lockedAt: Date | null,
  now: Date,
): Promise<User | null> {
  const row = await db
    .updateTable("users")
    .set((eb) => ({
      locked_at: lockedAt === null ? null : eb.fn.coalesce("locked_at", eb.val(lockedAt)),
      updated_at: now,
    }))
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
  return row ? toUser(row) : null;
}

/** Deletes the user (consents and refresh-token families go with it); the deleted user. */
export async function deleteUserById(db: Db, id: string): Promise<User | null> {
  const row = await db.deleteFrom("users").where("id", "=", id).returningAll().executeTakeFirst();
  return row ? toUser(row) : null;
}
