// The scale seed: users, clients, consents, refresh families and their tokens loaded with
// INSERT … SELECT generate_series, so a million rows take seconds, not hours. Every seeded
// user shares one precomputed argon2id hash (hashing a million passwords would take hours);
// ids have the shapes the server makes (UUIDs for users, 128-bit hex for clients and
// families, base64url SHA-256 digests for tokens), so indexes see realistic keys.

import { sql } from "kysely";
import type { Db } from "../../server/store/db/index.ts";

export interface SeedSizes {
  users: number;
  clients: number;
  families: number;
}

export interface SeedTimings {
  [table: string]: number;
}

/**
 * Loads the rows, then vacuums and analyzes; returns seconds per step. The rows are consistent
 * by construction, so the foreign-key triggers are switched off for the load (a million
 * per-row checks would triple its time); that needs a superuser, as the bench's database has.
 */
export function seedScale(db: Db, sizes: SeedSizes, passwordHash: string): Promise<SeedTimings> {
  return db.connection().execute(async (conn) => {
    await sql`set session_replication_role = replica`.execute(conn);
    try {
      return await load(conn, sizes, passwordHash);
    } finally {
      await sql`set session_replication_role = default`.execute(conn);
    }
  });
}

async function load(db: Db, sizes: SeedSizes, passwordHash: string): Promise<SeedTimings> {
  const timings: SeedTimings = {};
  const timed = async (name: string, run: () => Promise<unknown>) => {
    const started = performance.now();
    await run();
    timings[name] = (performance.now() - started) / 1000;
  };
  const { users, clients, families } = sizes;
  await timed("users", () =>
    sql`insert into users (id, email, email_verified, name, password_hash, created_at, updated_at)
        select md5('seed-user-' || i)::uuid::text, 'seed-' || i || '@seed.bench.example', false,
               'Seed user ' || i, ${passwordHash}, now(), now()
        from generate_series(1, ${users}::int) as i`.execute(db),
  );
  await timed("clients", () =>
    sql`insert into clients (id, name, secret_digest, auth_method, redirect_uris, grant_types,
                             response_types, scope, created_at, updated_at, secret_updated_at)
        select md5('seed-client-' || i), 'Seed client ' || i,
               translate(encode(sha256(('seed-secret-' || i)::bytea), 'base64'), '+/=', '-_'),
               'client_secret_basic',
               jsonb_build_array('https://app' || i || '.seed.bench.example/callback'),
               '["authorization_code", "refresh_token", "client_credentials"]'::jsonb,
               '["code"]'::jsonb, 'openid email offline_access api:read', now(), now(), now()
        from generate_series(1, ${clients}::int) as i`.execute(db),
  );
  await timed("consents", () =>
    sql`insert into consents (user_id, client_id, scopes, created_at, updated_at, last_used_at)
        select md5('seed-user-' || i)::uuid::text, md5('seed-client-' || (1 + i % ${clients}::int)),
               '["email", "offline_access", "openid"]'::jsonb, now(), now(), now()
        from generate_series(1, ${users}::int) as i`.execute(db),
  );
  await timed("refresh_families", () =>
    sql`insert into refresh_families (id, client_id, user_id, scope, auth_time, session_id,
                                      created_at, last_used_at, expires_at, resources, amr)
        select md5('seed-family-' || i), md5('seed-client-' || (1 + i % ${clients}::int)),
               md5('seed-user-' || (1 + i % ${users}::int))::uuid::text,
               'openid email offline_access', now(), md5('seed-session-' || i), now(), now(),
               now() + interval '90 days', '[]'::jsonb, '["pwd"]'::jsonb
        from generate_series(1, ${families}::int) as i`.execute(db),
  );
  await timed("refresh_tokens", () =>
    sql`insert into refresh_tokens (digest, family_id, created_at)
        select rtrim(translate(encode(sha256(('seed-token-' || i)::bytea), 'base64'), '+/', '-_'), '='),
               md5('seed-family-' || i), now()
        from generate_series(1, ${families}::int) as i`.execute(db),
  );
  // VACUUM sets the visibility map and ANALYZE the statistics now, and CHECKPOINT writes the
  // load out, so that neither autovacuum nor a checkpoint lands in the measurements after it.
  await timed("vacuum", async () => {
    await sql`vacuum (analyze)`.execute(db);
    await sql`checkpoint`.execute(db);
  });
  return timings;
}
