// Queries on the clients table. Rows are mapped to camelCase Client objects here and nowhere
// else; list columns are jsonb and arrive parsed.

import { sql } from "kysely";
import type { Db } from "./index.ts";
import { json } from "./index.ts";
import type { ClientRow } from "./schema.ts";

export interface JsonWebKeySet {
  keys: Array<Record<string, unknown>>;
}

export interface Client {
  id: string;
  name: string;
  /** SHA-256 of the secret (base64url); null for clients without a secret. */
  secretDigest: string | null;
  /** token_endpoint_auth_method */
  authMethod: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  responseTypes: string[];
  /** The scopes the client may request, space-separated. */
  scope: string;
  skipConsent: boolean;
  jwks: JsonWebKeySet | null;
  jwksUri: string | null;
  /** Descriptive metadata (RFC 7591 §2): shown to people, trusted for nothing else. */
  clientUri: string | null;
  logoUri: string | null;
  policyUri: string | null;
  tosUri: string | null;
  contacts: string[];
  /** SHA-256 of the RFC 7592 registration access token; null for operator-made clients. */
  registrationTokenDigest: string | null;
  secretUpdatedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Fields that only dynamically registered clients need to carry. */
type RegistrationFields =
  | "clientUri"
  | "logoUri"
  | "policyUri"
  | "tosUri"
  | "contacts"
  | "registrationTokenDigest";

export type NewClient = Omit<Client, "updatedAt" | RegistrationFields> &
  Partial<Pick<Client, RegistrationFields>>;

/** Everything an RFC 7592 update replaces: the metadata and, with the auth method, the secret. */
export type ClientReplacement = Omit<
  Client,
  "id" | "skipConsent" | "registrationTokenDigest" | "createdAt" | "updatedAt"
>;

function toClient(row: ClientRow): Client {
  return {
    id: row.id,
    name: row.name,
    secretDigest: row.secret_digest,
    authMethod: row.auth_method,
    redirectUris: row.redirect_uris,
    postLogoutRedirectUris: row.post_logout_redirect_uris,
    grantTypes: row.grant_types,
    responseTypes: row.response_types,
    scope: row.scope,
    skipConsent: row.skip_consent,
    jwks: (row.jwks as JsonWebKeySet | null) ?? null,
    jwksUri: row.jwks_uri,
    clientUri: row.client_uri,
    logoUri: row.logo_uri,
    policyUri: row.policy_uri,
    tosUri: row.tos_uri,
    contacts: row.contacts,
    registrationTokenDigest: row.registration_token_digest,
    secretUpdatedAt: row.secret_updated_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The columns that creating a client and an RFC 7592 replacement both write. */
function metadataColumns(client: ClientReplacement) {
  return {
    name: client.name,
    secret_digest: client.secretDigest,
    auth_method: client.authMethod,
    redirect_uris: json(client.redirectUris),
    post_logout_redirect_uris: json(client.postLogoutRedirectUris),
    grant_types: json(client.grantTypes),
    response_types: json(client.responseTypes),
    scope: client.scope,
    jwks: client.jwks === null ? null : json(client.jwks),
    jwks_uri: client.jwksUri,
    client_uri: client.clientUri,
    logo_uri: client.logoUri,
    policy_uri: client.policyUri,
    tos_uri: client.tosUri,
    contacts: json(client.contacts),
    secret_updated_at: client.secretUpdatedAt,
  };
}

/** Inserts the client; null when the id is already taken. */
export async function insertClient(db: Db, client: NewClient): Promise<Client | null> {
  const row = await db
    .insertInto("clients")
    .values({
      id: client.id,
      ...metadataColumns({
        ...client,
        clientUri: client.clientUri ?? null,
        logoUri: client.logoUri ?? null,
        policyUri: client.policyUri ?? null,
        tosUri: client.tosUri ?? null,
        contacts: client.contacts ?? [],
      }),
      skip_consent: client.skipConsent,
      registration_token_digest: client.registrationTokenDigest ?? null,
      created_at: client.createdAt,
      updated_at: client.createdAt,
    })
    .onConflict((conflict) => conflict.column("id").doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ? toClient(row) : null;
}

export async function findClientById(db: Db, id: string): Promise<Client | null> {
  const row = await db.selectFrom("clients").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toClient(row) : null;
}

/** Every client, oldest first. */
export async function listClients(db: Db): Promise<Client[]> {
  const rows = await db
    .selectFrom("clients")
    .selectAll()
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(toClient);
}

export async function updateClientSecretDigest(
  db: Db,
  id: string,
  secretDigest: string,
  now: Date,
): Promise<Client | null> {
  const row = await db
    .updateTable("clients")
    .set({ secret_digest: secretDigest, secret_updated_at: now, updated_at: now })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
  return row ? toClient(row) : null;
}

/**
 * Replaces the metadata of a dynamically registered client, provided it still holds the
 * registration access token with this digest: a concurrent delete or a token that no longer
 * matches leaves the row alone and yields null.
 */
export async function replaceRegisteredClient(
  db: Db,
  id: string,
  registrationTokenDigest: string,
  client: ClientReplacement,
  now: Date,
): Promise<Client | null> {
  const row = await db
    .updateTable("clients")
    .set({ ...metadataColumns(client), updated_at: now })
    .where("id", "=", id)
    .where("registration_token_digest", "=", registrationTokenDigest)
    .returningAll()
    .executeTakeFirst();
  return row ? toClient(row) : null;
}

/** Deletes a dynamically registered client if it still holds the token with this digest. */
export async function deleteRegisteredClient(
  db: Db,
  id: string,
  registrationTokenDigest: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom("clients")
    .where("id", "=", id)
    .where("registration_token_digest", "=", registrationTokenDigest)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Deletes the client (its consents and refresh-token families go with it). */
export async function deleteClientById(db: Db, id: string): Promise<Client | null> {
  const row = await db.deleteFrom("clients").where("id", "=", id).returningAll().executeTakeFirst();
  return row ? toClient(row) : null;
}

/**
 * True when some client registered a redirect URI on this origin ("https://app.example"):
 * the URI's scheme://host[:port], up to its path, query or fragment, is the origin (compared
 * without case).
 */
export async function anyClientRedirectsToOrigin(db: Db, origin: string): Promise<boolean> {
  // latchkey_redirect_origins() and its GIN index: migration 20261260000000.
  const row = await db
    .selectFrom("clients")
    .select(sql<number>`1`.as("found"))
    .where(sql<boolean>`latchkey_redirect_origins(redirect_uris) @> array[${origin}]::text[]`)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
