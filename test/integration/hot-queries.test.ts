// Every query on a hot path uses an index: with the tables seeded (scripts/bench/seed.ts) so
// that a sequential scan would be the planner's choice for anything unindexed, EXPLAIN of
// each query, exactly as the store module sends it, shows no "Seq Scan".

import { createHash } from "node:crypto";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedScale } from "../../scripts/bench/seed.ts";
import { anyClientRedirectsToOrigin, findClientById } from "../../server/store/db/clients.ts";
import {
  deleteConsent,
  findConsent,
  listConsentsOfUser,
  touchConsent,
} from "../../server/store/db/consents.ts";
import type { Database, Db } from "../../server/store/db/index.ts";
import { migrateToLatest } from "../../server/store/db/migrate.ts";
import {
  findRefreshFamilyById,
  findRefreshTokenByDigest,
  findRefreshTokenWithFamily,
  listActiveFamilyIds,
  lockFamilyAndToken,
  revokeRefreshFamily,
  rotateLiveRefreshToken,
  rotateRefreshTokenRows,
  touchRefreshFamily,
} from "../../server/store/db/refresh-families.ts";
import { findUserByEmail, findUserById } from "../../server/store/db/users.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/pg.ts";

const SIZES = { users: 50_000, clients: 5_000, families: 50_000 };

// The seed's key shapes (scripts/bench/seed.ts), for row 42.
const md5 = (text: string) => createHash("md5").update(text).digest("hex");
const asUuid = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
const userId = asUuid(md5("seed-user-42"));
const clientId = md5(`seed-client-${1 + (42 % SIZES.clients)}`);
const familyId = md5("seed-family-42");
const tokenDigest = createHash("sha256").update("seed-token-42").digest("base64url");
const email = "seed-42@seed.bench.example";

interface Captured {
  sql: string;
  parameters: readonly unknown[];
}

let database: TestDatabase;
let pool: pg.Pool;
let db: Db;
let captured: Captured[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === "query") {
        captured.push({ sql: event.query.sql, parameters: event.query.parameters });
      }
    },
  });
  await migrateToLatest(db);
  await seedScale(db, SIZES, "$argon2id$v=19$m=19456,t=2,p=1$c2VlZA$c2VlZA");
}, 120_000);

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

/** The statements `run` sends, each EXPLAINed with its own parameters. */
async function plansOf(run: () => Promise<unknown>): Promise<Array<{ sql: string; plan: string }>> {
  captured = [];
  await run();
  const statements = captured.filter((q) => !/^(begin|commit|rollback)/i.test(q.sql.trim()));
  const plans = [];
  for (const { sql, parameters } of statements) {
    const { rows } = await pool.query(`explain ${sql}`, parameters as unknown[]);
    plans.push({ sql, plan: rows.map((row) => row["QUERY PLAN"]).join("\n") });
  }
  return plans;
}

const now = new Date();
const HOT_QUERIES: Array<[string, () => Promise<unknown>]> = [
  ["client by id (every client authentication, authorize)", () => findClientById(db, clientId)],
  [
    "a client redirecting to an origin (CORS from an origin not in CORS_ORIGINS)",
    () => anyClientRedirectsToOrigin(db, "https://unknown.example"),
  ],
  ["user by email (login)", () => findUserByEmail(db, email)],
  ["user by id (code, refresh, userinfo)", () => findUserById(db, userId)],
  ["consent by user and client (authorize)", () => findConsent(db, userId, clientId)],
  ["consent touch (authorize)", () => touchConsent(db, userId, clientId, now)],
  ["consents of a user (account page)", () => listConsentsOfUser(db, userId)],
  ["consent delete (account page)", () => deleteConsent(db, userId, clientId)],
  ["refresh token by digest", () => findRefreshTokenByDigest(db, tokenDigest)],
  [
    "refresh token with its family (introspection, revocation)",
    () => findRefreshTokenWithFamily(db, tokenDigest),
  ],
  [
    "family and token lock by digest (rotation)",
    () => db.transaction().execute((tx) => lockFamilyAndToken(tx, tokenDigest)),
  ],
  ["family by id", () => findRefreshFamilyById(db, familyId)],
  [
    "rotation writes: successor, retirement, family touch",
    () =>
      rotateRefreshTokenRows(db, {
        digest: tokenDigest,
        familyId,
        successorDigest: "successor",
        successorSealed: null,
        at: now,
      }),
  ],
  [
    "rotation of a live token in one statement",
    () =>
      rotateLiveRefreshToken(db, {
        digest: createHash("sha256").update("seed-token-43").digest("base64url"),
        successorDigest: "successor-43",
        successorSealed: null,
        at: now,
        idleBefore: new Date(now.getTime() - 86_400_000),
      }),
  ],
  ["family touch (rotation)", () => touchRefreshFamily(db, familyId, now)],
  [
    "families of a session (logout)",
    () => listActiveFamilyIds(db, { userId, sessionId: md5("seed-session-42") }),
  ],
  [
    "families of a user and client (consent revocation)",
    () => listActiveFamilyIds(db, { userId, clientId }),
  ],
  ["family revocation", () => revokeRefreshFamily(db, familyId, "test", now)],
];

describe("hot queries on seeded tables", () => {
  it("the seed filled the tables", async () => {
    const { rows } = await pool.query(
      "select (select count(*) from users) as users, (select count(*) from refresh_tokens) as tokens",
    );
    expect(Number(rows[0].users)).toBe(SIZES.users);
    expect(Number(rows[0].tokens)).toBe(SIZES.families);
  });

  it("sees a sequential scan where there is no index (the check can fail)", async () => {
    const plans = await plansOf(() =>
      db.selectFrom("clients").selectAll().where("name", "=", "Seed client 42").execute(),
    );
    expect(plans[0]?.plan).toMatch(/Seq Scan/);
  });

  it.each(HOT_QUERIES)("%s uses an index", async (_name, run) => {
    const plans = await plansOf(run);
    expect(plans.length).toBeGreaterThan(0);
    for (const { sql, plan } of plans) {
      expect(plan, `${sql}\n${plan}`).not.toMatch(/Seq Scan/);
    }
  });
});
