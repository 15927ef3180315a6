// The CORS check of a browser request from an origin not in CORS_ORIGINS asks whether any
// client has a redirect URI on that origin. Without an index that read every client's
// redirect URIs: a request with a made-up Origin header cost a scan of the clients table.
// latchkey_redirect_origins() gives a client's redirect URIs as their lower-cased origins
// (scheme://host[:port], as far as the URI spells it), and a GIN index over it answers
// "which client has this origin" by lookup.

import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function latchkey_redirect_origins(uris jsonb) returns text[]
    language sql immutable parallel safe
    return array(
      select distinct lower(substring(uri from '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*'))
      from jsonb_array_elements_text(uris) as uri
      where uri ~ '^[A-Za-z][A-Za-z0-9+.-]*://'
    )`.execute(db);
  await sql`
    create index clients_redirect_origins on clients
    using gin (latchkey_redirect_origins(redirect_uris))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index clients_redirect_origins`.execute(db);
  await sql`drop function latchkey_redirect_origins(jsonb)`.execute(db);
}
