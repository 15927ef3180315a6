// The shape every grant module has (one file per grant type), and what the token endpoint
// hands it: an authenticated client that is registered for the grant, and its parameters.

import type { Deps } from "../../deps.ts";
import type { EventOrigin } from "../../observability/events.ts";
import type { GrantType } from "../client-metadata.ts";
import type { Client } from "../clients.ts";
import type { Params, RawParams } from "../params.ts";

export type GrantDeps = Pick<
  Deps,
  "config" | "db" | "kv" | "keys" | "now" | "log" | "metrics" | "users"
>;

export interface GrantRequest {
  client: Client;
  /** Single-valued parameters; the repeatable ones are read from `raw`. */
  params: Params;
  raw: RawParams;
  /** The client address and request id, for audit events. */
  origin: EventOrigin;
}

/** RFC 6749 §5.1, plus the ID token of OIDC Core §3.1.3.3. */
export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

export interface GrantModule {
  grantType: GrantType;
  parameters: {
    /** Missing ones are invalid_request before the grant runs. */
    required: readonly string[];
    /** The only parameters that may be given more than once (e.g. RFC 8707 `resource`). */
    repeatable: readonly string[];
  };
  handle(deps: GrantDeps, request: GrantRequest): Promise<TokenResponse>;
}
