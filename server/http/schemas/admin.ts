// Request bodies of the admin API, one per operation (see server/operator/operations.ts).
// They check shape and size; the business rules behind them give the precise messages.

import { AUDIT_MAX_LIMIT } from "../../operator/audit.ts";
import type { OperationName } from "../../operator/names.ts";

const text = (maxLength: number) => ({ type: "string", minLength: 1, maxLength }) as const;
const list = (maxLength: number) =>
  ({ type: "array", maxItems: 50, items: text(maxLength) }) as const;

const object = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: "object",
  additionalProperties: false,
  properties,
  required,
});

const none = object({});
const clientId = object({ client_id: text(200) }, ["client_id"]);
const email = object({ email: text(320) }, ["email"]);
const password = { type: "string", maxLength: 4096 } as const;

export const ADMIN_BODY_SCHEMAS: Record<OperationName, object> = {
  migrate: none,
  clientCreate: object(
    {
      client_name: { type: "string", maxLength: 1000 },
      redirect_uris: list(4000),
      post_logout_redirect_uris: list(4000),
      grant_types: list(100),
      token_endpoint_auth_method: text(100),
      scope: { type: "string", maxLength: 4000 },
      skip_consent: { type: "boolean" },
      jwks_uri: text(4000),
      jwks: { type: "object" },
    },
    ["client_name"],
  ),
  clientList: none,
  clientShow: clientId,
  clientDelete: clientId,
  clientRotateSecret: clientId,
  userCreate: object(
    {
      email: text(320),
      password,
      name: { type: "string", maxLength: 1000 },
      email_verified: { type: "boolean" },
    },
    ["email", "password"],
  ),
  userShow: email,
  userVerify: email,
  userSetPassword: object({ email: text(320), password }, ["email", "password"]),
  userLock: email,
  userUnlock: email,
  userDelete: email,
  userLogoutAll: email,
  userTotpEnrol: email,
  userTotpRemove: email,
  keysList: none,
  keysRotate: none,
  auditList: object({
    since: text(100),
    type: text(100),
    limit: { type: "integer", minimum: 1, maximum: AUDIT_MAX_LIMIT },
  }),
};
