// Registered clients as operators manage them. Client ids and secrets are made here; a secret
// is 256 random bits, returned once and stored only as its SHA-256 digest: it is server-made
// and high-entropy, so a fast hash is enough and keeps client authentication cheap.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { conflict, invalidRequest, notFound } from "../errors.ts";
import {
  type Client,
  deleteClientById,
  findClientById,
  insertClient,
  listClients as listClientRows,
  updateClientSecretDigest,
} from "../store/db/clients.ts";
import type { Db } from "../store/db/index.ts";
import {
  type ClientMetadata,
  type ClientMetadataInput,
  resolveClientMetadata,
} from "./client-metadata.ts";

export type { Client } from "../store/db/clients.ts";

const SECRET_BYTES = 32;

/** 128 random bits in hex: unguessable, and safe in URLs and Basic credentials as is. */
export function generateClientId(): string {
  return randomBytes(16).toString("hex");
}

export function generateClientSecret(): string {
  return randomBytes(SECRET_BYTES).toString("base64url");
}

export function digestClientSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("base64url");
}

/** Compares the digest of the presented secret with the stored one in constant time. */
export function verifyClientSecret(
  client: Pick<Client, "secretDigest">,
  presented: string,
): boolean {
  if (client.secretDigest === null) return false;
  const stored = Buffer.from(client.secretDigest, "base64url");
  const given = createHash("sha256").update(presented, "utf8").digest();
  return stored.length === given.length && timingSafeEqual(stored, given);
}

/** Only these methods authenticate with a shared secret. */
export function usesClientSecret(authMethod: string): boolean {
  return authMethod === "client_secret_basic" || authMethod === "client_secret_post";
}

export interface CreatedClient {
  client: Client;
  /** The plaintext secret, returned this once; null for clients without a secret. */
  secret: string | null;
}

export async function createClient(
  db: Db,
  input: ClientMetadataInput,
  now: Date,
): Promise<CreatedClient> {
  return storeNewClient(db, resolveClientMetadata(input), now);
}

/**
 * Stores a client whose metadata has been checked, with a new secret when its auth method
 * needs one. Dynamic registration passes the id it chose and its registration token digest.
 */
export async function storeNewClient(
  db: Db,
  metadata: ClientMetadata,
  now: Date,
  options: { id?: string; registrationTokenDigest?: string } = {},
): Promise<CreatedClient> {
  const secret = usesClientSecret(metadata.authMethod) ? generateClientSecret() : null;
  const client = await insertClient(db, {
    id: options.id ?? generateClientId(),
    ...metadata,
    secretDigest: secret === null ? null : digestClientSecret(secret),
    secretUpdatedAt: secret === null ? null : now,
    registrationTokenDigest: options.registrationTokenDigest ?? null,
    createdAt: now,
  });
  // 128 random bits do not collide in practice; this guards against a broken random source.
  if (!client) throw conflict("A client with the generated id already exists; try again.");
  return { client, secret };
}

export function listClients(db: Db): Promise<Client[]> {
  return listClientRows(db);
}

export async function getClient(db: Db, id: string): Promise<Client> {
  const client = await findClientById(db, id);
  if (!client) throw unknownClient(id);
  return client;
}

/** Deletes the client with its consents and refresh tokens; returns the deleted client. */
export async function deleteClient(db: Db, id: string): Promise<Client> {
  const client = await deleteClientById(db, id);
  if (!client) throw unknownClient(id);
  return client;
}

/** Replaces the secret; the old one stops working at once. */
export async function rotateClientSecret(db: Db, id: string, now: Date): Promise<CreatedClient> {
  const existing = await getClient(db, id);
  if (!usesClientSecret(existing.authMethod)) {
    throw invalidRequest(`Client ${id} uses ${existing.authMethod} and has no secret to rotate.`);
  }
  const secret = generateClientSecret();
  const client = await updateClientSecretDigest(db, id, digestClientSecret(secret), now);
  if (!client) throw unknownClient(id);
  return { client, secret };
}

function unknownClient(id: string) {
  return notFound(`No client with id ${id.slice(0, 100)}.`);
}
