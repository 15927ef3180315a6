// What the account page's routes share: who is signed in, the page itself with its sections
// (profile, password, two-step verification, apps with access), and the rules of its forms:
// signed in, with a CSRF token bound to the session, or no action. A successful POST answers
// 303 back to the page with `done=<what>`, which only selects one of the fixed messages below.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { listAppsWithAccess } from "../accounts/apps-with-access.ts";
import { secondFactorStatus } from "../accounts/second-factor.ts";
import type { LoginSession } from "../accounts/sessions.ts";
import type { Deps } from "../deps.ts";
import type { RawParams } from "../oauth/params.ts";
import { ENDPOINT_PATHS } from "../oauth/provider-metadata.ts";
import { describeScopes } from "../oauth/scopes.ts";
import { findUserById, type User } from "../store/db/users.ts";
import { csrfRefused, sendAuthorizationError } from "./authorization-reply.ts";
import { csrfToken, csrfTokenValid } from "./csrf.ts";
import { sendPage } from "./pages.ts";
import { PAGE_PATHS, publicPath } from "./paths.ts";
import { requireFormBody } from "./plugins/forms.ts";
import { currentSession } from "./session-cookie.ts";
import { redirectTo } from "./sign-in.ts";

export interface SignedIn {
  session: LoginSession;
  user: User;
}

const DONE_MESSAGES: Record<string, string> = {
  password: "Your password was changed. You were signed out everywhere else.",
  revoked: "Access removed. The app can no longer use your account.",
  "totp-off": "Two-step verification is off. Signing in now needs only your password.",
  verification: "We sent a link to your email address. Follow it to confirm the address.",
  "verification-limit":
    "Your address had its share of mails this hour, so none was sent. Use the newest link you received, or try again later.",
};

export const csrfPurpose = (session: LoginSession) => `account:${session.sid}`;

const DAY = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" });
const MOMENT = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "UTC",
});
const day = (date: Date) => ({ iso: date.toISOString(), text: DAY.format(date) });
const moment = (date: Date) => ({ iso: date.toISOString(), text: `${MOMENT.format(date)} UTC` });

export const formField = (form: RawParams, name: string) => {
  const value = form[name];
  return typeof value === "string" ? value : "";
};

/** The signed-in user, or null (no session, or the user was deleted meanwhile). */
export async function signedIn(deps: Deps, request: FastifyRequest): Promise<SignedIn | null> {
  const session = await currentSession(request, deps);
  if (session === null) return null;
  const user = await findUserById(deps.db, session.userId);
  return user === null ? null : { session, user };
}

export interface AccountPageState {
  done: string | null;
  passwordError?: string | null;
  totpError?: string | null;
}

export async function sendAccountPage(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  who: SignedIn,
  state: AccountPageState,
): Promise<FastifyReply> {
  const { user } = who;
  const [apps, secondFactor] = await Promise.all([
    listAppsWithAccess(deps.db, user.id),
    secondFactorStatus(deps.db, user.id),
  ]);
  const path = (p: string) => publicPath(deps.config, p);
  const failed = Boolean(state.passwordError || state.totpError);
  return sendPage(
    reply,
    "account",
    {
      title: "Your account",
      wideCard: true,
      status: state.done === null ? null : (DONE_MESSAGES[state.done] ?? null),
      profile: {
        name: user.name,
        email: user.email,
        emailVerified: user.emailVerified,
        createdAt: day(user.createdAt),
        verifyAction: deps.mailer.available ? path(PAGE_PATHS.accountEmailVerify) : null,
      },
      csrf: csrfToken(request, reply, deps.config, csrfPurpose(who.session)),
      passwordAction: path(PAGE_PATHS.accountPassword),
      passwordError: state.passwordError ?? null,
      totp: {
        on: secondFactor.state === "on",
        pending: secondFactor.state === "pending",
        since: secondFactor.state === "on" ? day(secondFactor.since) : null,
        recoveryCodesLeft: secondFactor.state === "on" ? secondFactor.recoveryCodesLeft : null,
        error: state.totpError ?? null,
        startAction: path(PAGE_PATHS.accountTotpStart),
        setupUrl: path(PAGE_PATHS.accountTotp),
        recoveryCodesAction: path(PAGE_PATHS.accountTotpRecoveryCodes),
        disableAction: path(PAGE_PATHS.accountTotpDisable),
      },
      revokeAction: path(PAGE_PATHS.accountRevokeApp),
      apps: apps.map((consent) => ({
        clientId: consent.clientId,
        clientName: consent.clientName,
        scopes: describeScopes(consent.scopes),
        grantedAt: day(consent.createdAt),
        lastUsedAt: moment(consent.lastUsedAt ?? consent.updatedAt),
      })),
      signOutUrl: path(ENDPOINT_PATHS.endSession),
    },
    { status: failed ? 400 : 200 },
  );
}

/** Registers a POST of one of the account forms: signed in, with a valid CSRF token. */
export function accountForm(
  app: FastifyInstance,
  deps: Deps,
  path: string,
  handle: (
    request: FastifyRequest,
    reply: FastifyReply,
    who: SignedIn,
    form: RawParams,
  ) => Promise<FastifyReply>,
): void {
  app.post(path, { onRequest: requireFormBody }, async (request, reply) => {
    const who = await signedIn(deps, request);
    // Sending the browser to sign in changes nothing, so it needs no CSRF check.
    if (who === null) {
      return redirectTo(reply, publicPath(deps.config, PAGE_PATHS.accountLogin), 303);
    }
    const form = (request.body ?? {}) as RawParams;
    if (!csrfTokenValid(request, deps.config, csrfPurpose(who.session), form.csrf_token)) {
      return csrfRefused(reply);
    }
    try {
      return await handle(request, reply, who, form);
    } catch (err) {
      return sendAuthorizationError(request, reply, deps.config, err, null, 303);
    }
  });
}
