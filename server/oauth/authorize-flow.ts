// What a validated authorization request needs next, and its completion. The rules:
// - Login (OIDC Core §3.1.2.3) when there is no live session for an active user, and also
//   when the request asks for a fresh one: prompt=login (and select_account, which with one
//   account per browser means "let me sign in as someone else"), a max_age older than the
//   session's auth_time, an id_token_hint naming another user, or acr_values asking for the
//   multi-factor class (ACR_MFA) from a user who has a second factor but signed in with the
//   password alone (acr_values are voluntary, OIDC Core §3.1.2.1: a user without a second
//   factor gets the password class). A login done within this interaction satisfies all of
//   these. With REQUIRE_VERIFIED_EMAIL a session whose user's address is not verified (one
//   that began before the setting was turned on, say) counts as no session: the login page
//   then refuses the login until the address is confirmed.
// - Consent when prompt=consent asks for it, or when the client does not skip consent and the
//   user has not yet granted every requested scope.
// - prompt=none turns a needed login into login_required and a needed consent into
//   consent_required (OIDC Core §3.1.2.6), sent back to the client.

import { coveringConsent, markConsentUsed, rememberConsent } from "../accounts/consents.ts";
import type { LoginSession } from "../accounts/sessions.ts";
import type { Config } from "../config.ts";
import { authorizationError } from "../errors.ts";
import type { Client } from "../store/db/clients.ts";
import type { Db } from "../store/db/index.ts";
import type { UserSource } from "../store/db/row-cache.ts";
import { hasConfirmedTotp } from "../store/db/second-factor.ts";
import type { User } from "../store/db/users.ts";
import type { KvStore } from "../store/kv/types.ts";
import { type AuthorizationCodeGrant, issueAuthorizationCode } from "../tokens/codes.ts";
import { type AuthorizationResponse, codeResponse } from "./authorization-response.ts";
import type { AuthorizationRequest } from "./authorize-request.ts";
import { ACR_MFA } from "./claims.ts";

export type Step =
  | { kind: "login" }
  | { kind: "consent"; session: LoginSession; user: User }
  | {
      kind: "issue";
      session: LoginSession;
      user: User;
      /** The remembered consent's last use as read for this decision (resolveStep only). */
      consentLastUsedAt?: Date | null;
    };

export interface StepInput {
  request: AuthorizationRequest;
  client: Pick<Client, "skipConsent">;
  session: LoginSession | null;
  /** The session's user; null when there is no session or the user was deleted. */
  user: User | null;
  /** The sid of a session started by a login within this interaction. */
  loginSid: string | null;
  /** Whether the user's remembered consent covers every requested scope. */
  consented: boolean;
  /** Whether the user has a second factor; looked up only when the request asks for ACR_MFA. */
  secondFactorOn?: boolean;
  /** REQUIRE_VERIFIED_EMAIL: only users with a verified address have a live session. */
  verifiedEmailRequired?: boolean;
  now: Date;
}

function asksForMfa(request: AuthorizationRequest): boolean {
  return request.acrValues?.split(" ").includes(ACR_MFA) === true;
}

export function decideStep(input: StepInput): Step {
  const { request, session, user, now } = input;
  const noneAllowed = request.prompt.includes("none");

  const live =
    session !== null &&
    user !== null &&
    user.lockedAt === null &&
    (input.verifiedEmailRequired !== true || user.emailVerified);
  const freshLogin = live && input.loginSid === session.sid;
  const loginRequested =
    request.prompt.includes("login") ||
    request.prompt.includes("select_account") ||
    (live && request.maxAge !== null && now.getTime() / 1000 - session.authTime > request.maxAge) ||
    (live && request.idTokenHintSubject !== null && request.idTokenHintSubject !== user.id) ||
    (live && asksForMfa(request) && input.secondFactorOn === true && !session.amr.includes("mfa"));
  if (!live || (loginRequested && !freshLogin)) {
    if (noneAllowed) throw authorizationError("login_required", "The user must sign in.");
    return { kind: "login" };
  }

  const consentNeeded =
    request.prompt.includes("consent") || (!input.client.skipConsent && !input.consented);
  if (consentNeeded) {
    if (noneAllowed) throw authorizationError("consent_required", "The user must give consent.");
    return { kind: "consent", session, user };
  }
  return { kind: "issue", session, user };
}

export interface FlowDeps {
  db: Db;
  kv: KvStore;
  users: UserSource;
  config: Pick<Config, "issuer" | "authCodeTtl"> & {
    selfService: Pick<Config["selfService"], "requireVerifiedEmail">;
  };
  now: () => Date;
}

/** Loads what decideStep() needs for the request and decides. */
export async function resolveStep(
  deps: FlowDeps,
  request: AuthorizationRequest,
  client: Client,
  session: LoginSession | null,
  loginSid: string | null = null,
): Promise<Step> {
  const user = session === null ? null : await deps.users.find(session.userId);
  const consent =
    user !== null && !client.skipConsent
      ? await coveringConsent(deps.db, user.id, client.id, request.scopes)
      : null;
  const secondFactorOn =
    user !== null && asksForMfa(request) ? await hasConfirmedTotp(deps.db, user.id) : false;
  const step = decideStep({
    request,
    client,
    session,
    user,
    loginSid,
    consented: consent !== null,
    secondFactorOn,
    verifiedEmailRequired: deps.config.selfService.requireVerifiedEmail,
    now: deps.now(),
  });
  return step.kind === "issue" ? { ...step, consentLastUsedAt: consent?.lastUsedAt ?? null } : step;
}

/**
 * Issues the code for a session that passed login and consent. `consent` says how consent
 * was settled: just granted on the consent page (remembered from now on), remembered from
 * before, or not needed because the client skips it.
 */
export async function completeAuthorization(
  deps: FlowDeps,
  request: AuthorizationRequest,
  session: LoginSession,
  consent: "granted" | "remembered" | "skipped",
  /** For a remembered consent: its last use as read by resolveStep. */
  consentLastUsedAt: Date | null = null,
): Promise<AuthorizationResponse> {
  const now = deps.now();
  if (consent === "granted") {
    await rememberConsent(deps.db, session.userId, request.clientId, request.scopes, now);
  } else if (consent === "remembered") {
    await markConsentUsed(deps.db, session.userId, request.clientId, now, consentLastUsedAt);
  }
  const grant: AuthorizationCodeGrant = {
    clientId: request.clientId,
    redirectUri: request.redirectUri,
    userId: session.userId,
    scope: request.scopes.join(" "),
    resources: request.resources,
    nonce: request.nonce,
    codeChallenge: request.codeChallenge,
    codeChallengeMethod: request.codeChallengeMethod,
    authTime: session.authTime,
    sid: session.sid,
    amr: session.amr,
    maxAgeRequested: request.maxAge !== null,
    claimsLocales: request.claimsLocales,
  };
  const code = await issueAuthorizationCode(deps.kv, grant, deps.config.authCodeTtl);
  return codeResponse(request, code, deps.config.issuer);
}
