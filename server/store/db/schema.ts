// The typed shape of every table, as Kysely sees it. Column names are snake_case here and
// are mapped to camelCase domain objects by the query modules beside this file.

import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;
/** jsonb: read as the parsed value, written as a JSON string (pg would turn arrays into SQL arrays). */
type Json<T> = ColumnType<T, string, string>;

export interface UsersTable {
  id: string;
  email: string;
  email_verified: Generated<boolean>;
  name: string | null;
  password_hash: string;
  locked_at: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ClientsTable {
  id: string;
  name: string;
  secret_digest: string | null;
  auth_method: string;
  redirect_uris: Json<string[]>;
  post_logout_redirect_uris: Json<string[]>;
  grant_types: Json<string[]>;
  response_types: Json<string[]>;
  scope: string;
  skip_consent: Generated<boolean>;
  jwks: Json<unknown> | null;
  jwks_uri: string | null;
  client_uri: string | null;
  logo_uri: string | null;
  policy_uri: string | null;
  tos_uri: string | null;
  contacts: ColumnType<string[], string | undefined, string>;
  /** SHA-256 of the RFC 7592 registration access token; null for operator-made clients. */
  registration_token_digest: string | null;
  secret_updated_at: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: Json<Record<string, unknown>>;
  private_key: string;
  created_at: Timestamp;
  activates_at: Timestamp;
  retires_at: NullableTimestamp;
  expires_at: NullableTimestamp;
}

export interface ConsentsTable {
  user_id: string;
  client_id: string;
  scopes: Json<string[]>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  last_used_at: NullableTimestamp;
}

export interface RefreshFamiliesTable {
  id: string;
  client_id: string;
  user_id: string;
  scope: string;
  auth_time: Timestamp;
  session_id: string | null;
  created_at: CreatedAt;
  last_used_at: UpdatedAt;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  revoked_reason: string | null;
  resources: ColumnType<string[], string | undefined, string>;
  amr: ColumnType<string[], string | undefined, string>;
}

export interface RefreshTokensTable {
  digest: string;
  family_id: string;
  created_at: CreatedAt;
  rotated_at: NullableTimestamp;
  successor_digest: string | null;
  successor_sealed: string | null;
}

export interface AuditEventsTable {
  id: Generated<string>;
  at: CreatedAt;
  type: string;
  actor: string | null;
  user_id: string | null;
  client_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: Json<Record<string, unknown>>;
}

export interface UserTotpTable {
  user_id: string;
  secret_sealed: string;
  confirmed_at: NullableTimestamp;
  last_used_step: number | null;
  /** When the current secret was made; a new enrolment replaces it. */
  created_at: UpdatedAt;
}

export interface RecoveryCodesTable {
  user_id: string;
  digest: string;
  created_at: CreatedAt;
  used_at: NullableTimestamp;
}

export interface EmailTokensTable {
  digest: string;
  /** "signup", "verify_email" or "reset_password". */
  purpose: string;
  /** Null for a sign-up: its account is made when the link is used. */
  user_id: string | null;
  email: string;
  /** What a sign-up chose: the account's name and password hash. */
  name: string | null;
  password_hash: string | null;
  created_at: CreatedAt;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface Database {
  users: UsersTable;
  clients: ClientsTable;
  signing_keys: SigningKeysTable;
  consents: ConsentsTable;
  refresh_families: RefreshFamiliesTable;
  refresh_tokens: RefreshTokensTable;
  audit_events: AuditEventsTable;
  email_tokens: EmailTokensTable;
  user_totp: UserTotpTable;
  recovery_codes: RecoveryCodesTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type ClientRow = Selectable<ClientsTable>;
export type NewClientRow = Insertable<ClientsTable>;
export type SigningKeyRow = Selectable<SigningKeysTable>;
export type NewSigningKeyRow = Insertable<SigningKeysTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
