// Dynamic Client Registration (RFC 7591 §3) and its management protocol (RFC 7592 §2): a
// client registers itself, then reads, replaces and deletes its registration with the
// registration access token it was given. The metadata rules are those of every client
// (client-metadata.ts) with the RFC 7591 error codes; on top of them, a self-registered
// client may ask only for the scopes the operator opened to registration, and never skips
// consent.

import type { Config } from "../config.ts";
import { invalidClientMetadata, invalidRequest, invalidToken } from "../errors.ts";
import {
  type Client,
  deleteRegisteredClient,
  findClientById,
  replaceRegisteredClient,
} from "../store/db/clients.ts";
import type { Db } from "../store/db/index.ts";
import { type ClientInformation, clientInformation } from "./client-information.ts";
import { type ClientMetadata, resolveClientMetadata } from "./client-metadata.ts";
import {
  digestClientSecret,
  generateClientId,
  generateClientSecret,
  storeNewClient,
  usesClientSecret,
  verifyClientSecret,
} from "./clients.ts";
import { authorizeManagement, newRegistrationToken } from "./registration-access.ts";
import {
  parseRegistrationBody,
  REGISTRATION_RULES,
  type RegistrationBody,
} from "./registration-request.ts";

export interface RegistrationContext {
  db: Db;
  config: Pick<Config, "issuer" | "registrationScopes">;
  now: Date;
}

export interface Registered {
  client: Client;
  information: ClientInformation;
}

/**
 * Without a scope the client gets the default scopes that registration allows; a scope it
 * asks for must lie entirely within them.
 */
function registrableScope(requested: string | undefined, resolved: string, allowed: string[]) {
  const scopes = resolved.split(" ").filter((scope) => scope !== "");
  if (requested === undefined) return scopes.filter((scope) => allowed.includes(scope)).join(" ");
  const refused = scopes.find((scope) => !allowed.includes(scope));
  if (refused !== undefined) {
    throw invalidClientMetadata(
      `The scope "${refused.slice(0, 100)}" cannot be registered; registration allows: ${allowed.join(" ") || "no scopes"}.`,
    );
  }
  return resolved;
}

/** A client that gives no name is shown by its id, which it cannot choose. */
function resolveRegistration(
  body: RegistrationBody,
  clientId: string,
  allowedScopes: string[],
): ClientMetadata {
  const metadata = resolveClientMetadata(
    { ...body.metadata, name: body.clientName ?? clientId },
    REGISTRATION_RULES,
  );
  const scope = registrableScope(body.metadata.scope, metadata.scope, allowedScopes);
  return { ...metadata, scope };
}

/** RFC 7591 §3.1: checks the metadata and registers the client with a new token. */
export async function registerClient(ctx: RegistrationContext, body: unknown): Promise<Registered> {
  const id = generateClientId();
  const metadata = resolveRegistration(
    parseRegistrationBody(body),
    id,
    ctx.config.registrationScopes,
  );
  const registration = newRegistrationToken();
  const { client, secret } = await storeNewClient(ctx.db, metadata, ctx.now, {
    id,
    registrationTokenDigest: registration.digest,
  });
  const information = clientInformation(client, {
    issuer: ctx.config.issuer,
    registrationToken: registration.token,
    secret,
  });
  return { client, information };
}

const manage = (ctx: RegistrationContext, clientId: string, token: string) =>
  authorizeManagement((id) => findClientById(ctx.db, id), clientId, token);

// The client or its token went away between the check and the write (a concurrent delete).
const gone = (clientId: string) =>
  invalidToken(
    "The registration access token is not valid for this client.",
    `client ${clientId} changed during the request`,
  );

/** RFC 7592 §2.1: the registration as it stands. */
export async function readRegistration(
  ctx: RegistrationContext,
  clientId: string,
  token: string,
): Promise<ClientInformation> {
  const { client } = await manage(ctx, clientId, token);
  return clientInformation(client, {
    issuer: ctx.config.issuer,
    registrationToken: token,
    secret: null,
  });
}

/**
 * RFC 7592 §2.2: replaces the whole registration; what the body leaves out is removed or
 * reset to its default. The registration access token stays the same. The secret is kept
 * while the client authenticates with one, made when it starts to (and shown this once),
 * and dropped when it stops.
 */
export async function updateRegistration(
  ctx: RegistrationContext,
  clientId: string,
  token: string,
  body: unknown,
): Promise<Registered> {
  const { client, tokenDigest } = await manage(ctx, clientId, token);
  const parsed = parseRegistrationBody(body);
  if (parsed.serverManaged.length > 0) {
    throw invalidRequest(`An update must not include ${parsed.serverManaged.join(", ")}.`);
  }
  if (parsed.clientId !== client.id) {
    throw invalidRequest("An update must include the client's own client_id.");
  }
  if (parsed.clientSecret !== undefined && !verifyClientSecret(client, parsed.clientSecret)) {
    throw invalidRequest("The client_secret does not match the client's current secret.");
  }
  const metadata = resolveRegistration(parsed, client.id, ctx.config.registrationScopes);

  const withSecret = usesClientSecret(metadata.authMethod);
  const secret = withSecret && client.secretDigest === null ? generateClientSecret() : null;
  const updated = await replaceRegisteredClient(
    ctx.db,
    client.id,
    tokenDigest,
    {
      ...metadata,
      secretDigest: !withSecret
        ? null
        : secret === null
          ? client.secretDigest
          : digestClientSecret(secret),
      secretUpdatedAt: !withSecret ? null : secret === null ? client.secretUpdatedAt : ctx.now,
    },
    ctx.now,
  );
  if (!updated) throw gone(client.id);
  const information = clientInformation(updated, {
    issuer: ctx.config.issuer,
    registrationToken: token,
    secret,
  });
  return { client: updated, information };
}

/**
 * RFC 7592 §2.3: deletes the client and with it its token, its consents and its refresh-token
 * families (foreign keys cascade).
 */
export async function deleteRegistration(
  ctx: RegistrationContext,
  clientId: string,
  token: string,
): Promise<void> {
  const { client, tokenDigest } = await manage(ctx, clientId, token);
  if (!(await deleteRegisteredClient(ctx.db, client.id, tokenDigest))) throw gone(client.id);
}
