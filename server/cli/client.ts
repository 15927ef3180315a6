// `latchkey client …`: register, list, show, delete clients and rotate their secrets.

import { readFile } from "node:fs/promises";
import type { ClientView, ClientWithSecret } from "../operator/operations.ts";
import { listValue, type ParsedArgs, stringValue, UsageError } from "./args.ts";
import type { Command, CommandGroup } from "./command.ts";
import { type Field, formatFields, formatTable } from "./output.ts";

function clientFields(client: ClientView | ClientWithSecret) {
  const fields: Field[] = [["client_id", client.client_id]];
  if ("client_secret" in client && client.client_secret !== undefined) {
    fields.push(["client_secret", client.client_secret]);
  }
  fields.push(
    ["name", client.client_name],
    ["auth method", client.token_endpoint_auth_method],
    ["grant types", client.grant_types],
    ["redirect URIs", client.redirect_uris],
    ["post-logout URIs", client.post_logout_redirect_uris],
    ["scope", client.scope],
    ["skip consent", client.skip_consent],
  );
  if (client.jwks_uri !== null) fields.push(["JWKS URI", client.jwks_uri]);
  if (client.jwks !== null) fields.push(["JWK Set", `${client.jwks.keys.length} key(s)`]);
  fields.push(["created", client.created_at]);
  if (client.secret_updated_at !== null) fields.push(["secret set", client.secret_updated_at]);
  return formatFields(fields);
}

const SECRET_NOTE = "The client secret is shown only this once: store it now.";

async function readJwks(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read --jwks ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`--jwks ${file} is not JSON`);
  }
}

const create: Command = {
  path: "client create",
  positionals: [],
  summary: "Register a client and print its id and, for confidential clients, its secret.",
  description: [
    "Redirect URIs are stored exactly as given and matched exactly; they must be absolute,",
    "without a fragment, and https (http only for localhost, 127.0.0.1 and [::1]).",
    "Defaults: auth method client_secret_basic; grant types authorization_code and",
    "refresh_token when redirect URIs are given or the auth method is none, otherwise",
    'client_credentials; scope "openid profile email offline_access" for clients that',
    "sign users in (without offline_access when there is no refresh_token grant), none for",
    "machine clients. authorization_code needs a redirect URI; refresh_token needs",
    "authorization_code; a public client (none) cannot use client_credentials;",
    "private_key_jwt needs exactly one of --jwks-uri and --jwks.",
  ].join("\n"),
  options: [
    { name: "name", value: "NAME", help: "the client's name, shown on the consent page" },
    { name: "redirect-uri", value: "URI", multiple: true, help: "an allowed redirect URI" },
    {
      name: "post-logout-redirect-uri",
      value: "URI",
      multiple: true,
      help: "an allowed redirect URI after logout",
    },
    {
      name: "grant-type",
      value: "GRANT",
      multiple: true,
      help: "authorization_code, refresh_token or client_credentials",
    },
    {
      name: "auth-method",
      value: "METHOD",
      help: "client_secret_basic, client_secret_post, none or private_key_jwt",
    },
    { name: "scope", value: '"S1 S2"', help: "the scopes the client may request" },
    { name: "skip-consent", help: "do not ask users for consent (first-party clients)" },
    {
      name: "jwks-uri",
      value: "URI",
      help: "where the client publishes its keys (private_key_jwt)",
    },
    { name: "jwks", value: "FILE", help: "a JSON file with the client's public JWK Set" },
  ],
  async run(args: ParsedArgs, ctx) {
    const name = stringValue(args, "name");
    if (name === undefined)
      throw new UsageError("missing --name (see latchkey client create --help)");
    const jwksFile = stringValue(args, "jwks");
    const created = await (await ctx.ops()).clientCreate({
      client_name: name,
      redirect_uris: listValue(args, "redirect-uri"),
      post_logout_redirect_uris: listValue(args, "post-logout-redirect-uri"),
      grant_types: listValue(args, "grant-type"),
      token_endpoint_auth_method: stringValue(args, "auth-method"),
      scope: stringValue(args, "scope"),
      skip_consent: args.values["skip-consent"] === true ? true : undefined,
      jwks_uri: stringValue(args, "jwks-uri"),
      jwks: jwksFile === undefined ? undefined : await readJwks(jwksFile),
    });
    const note = created.client_secret === undefined ? "" : `\n\n${SECRET_NOTE}`;
    return {
      json: created,
      text: `Created client "${created.client_name}".\n\n${clientFields(created)}${note}`,
    };
  },
};

const list: Command = {
  path: "client list",
  positionals: [],
  summary: "List the registered clients (never their secrets).",
  description: "",
  options: [],
  async run(_args, ctx) {
    const clients = await (await ctx.ops()).clientList({});
    const text =
      clients.length === 0
        ? "No clients."
        : formatTable(
            ["CLIENT ID", "NAME", "AUTH METHOD", "GRANT TYPES"],
            clients.map((c) => [
              c.client_id,
              c.client_name,
              c.token_endpoint_auth_method,
              c.grant_types.join(","),
            ]),
          );
    return { json: clients, text };
  },
};

const show: Command = {
  path: "client show",
  positionals: ["ID"],
  summary: "Show one client (never its secret).",
  description: "",
  options: [],
  async run(args, ctx) {
    const client = await (await ctx.ops()).clientShow({ client_id: args.positionals[0]! });
    return { json: client, text: clientFields(client) };
  },
};

const remove: Command = {
  path: "client delete",
  positionals: ["ID"],
  summary: "Delete a client with its consents and refresh tokens.",
  description: "Access tokens already issued stay valid until they expire.",
  options: [],
  async run(args, ctx) {
    const client = await (await ctx.ops()).clientDelete({ client_id: args.positionals[0]! });
    return { json: client, text: `Deleted client "${client.client_name}" (${client.client_id}).` };
  },
};

const rotateSecret: Command = {
  path: "client rotate-secret",
  positionals: ["ID"],
  summary: "Give a confidential client a new secret; the old one stops working at once.",
  description: "",
  options: [],
  async run(args, ctx) {
    const client = await (await ctx.ops()).clientRotateSecret({ client_id: args.positionals[0]! });
    return {
      json: client,
      text: `New secret for client "${client.client_name}".\n\n${clientFields(client)}\n\n${SECRET_NOTE}`,
    };
  },
};

export const clientCommands: CommandGroup = {
  name: "client",
  summary: "Manage OAuth clients.",
  commands: [create, list, show, remove, rotateSecret],
};
