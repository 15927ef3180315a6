// The account page of a signed-in user (GET /account) and its forms: the password change
// (POST /account/password) and taking an app's access back (POST /account/apps/revoke).
// Without a live session the browser goes to the account login, which comes back here. Every
// form carries a CSRF token bound to the session; a successful POST answers 303 back to the
// page with `done=<what>`, which only selects one of the fixed messages below.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { listAppsWithAccess, revokeAppAccess } from "../../accounts/apps-with-access.ts";
import { changePassword } from "../../accounts/password-change.ts";
import type { LoginSession } from "../../accounts/sessions.ts";
import type { Deps } from "../../deps.ts";
import { OAuthError } from "../../errors.ts";
import type { RawParams } from "../../oauth/params.ts";
import { ENDPOINT_PATHS } from "../../oauth/provider-metadata.ts";
import { describeScopes } from "../../oauth/scopes.ts";
import { findUserById, type User } from "../../store/db/users.ts";
import { csrfRefused, sendAuthorizationError } from "../authorization-reply.ts";
import { csrfToken, csrfTokenValid } from "../csrf.ts";
import { sendPage } from "../pages.ts";
import { PAGE_PATHS, publicPath } from "../paths.ts";
import { requireFormBody } from "../plugins/forms.ts";
import { currentSession } from "../session-cookie.ts";

const DONE_MESSAGES: Record<string, string> = {
  password: "Your password was changed. You were signed out everywhere else.",
  revoked: "Access removed. The app can no longer use your account.",
};

const CLIENT_ID_MAX_LENGTH = 255;
const csrfPurpose = (session: LoginSession) => `account:${session.sid}`;

const DAY = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" });
const MOMENT = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "UTC",
});
const day = (date: Date) => ({ iso: date.toISOString(), text: DAY.format(date) });
const moment = (date: Date) => ({ iso: date.toISOString(), text: `${MOMENT.format(date)} UTC` });

const field = (form: RawParams, name: string) => {
  const value = form[name];
  return typeof value === "string" ? value : "";
};

export default async function accountRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  const accountUrl = publicPath(deps.config, PAGE_PATHS.account);

  function redirect(reply: FastifyReply, location: string, status: 302 | 303) {
    return reply.code(status).headers({ location, "cache-control": "no-store" }).send();
  }

  /** The signed-in user, or null (no session, or the user was deleted meanwhile). */
  async function signedIn(
    request: FastifyRequest,
  ): Promise<{ session: LoginSession; user: User } | null> {
    const session = await currentSession(request, deps);
    if (session === null) return null;
    const user = await findUserById(deps.db, session.userId);
    return user === null ? null : { session, user };
  }

  async function showAccount(
    request: FastifyRequest,
    reply: FastifyReply,
    who: { session: LoginSession; user: User },
    state: { done: string | null; passwordError: string | null },
  ) {
    const { user } = who;
    const apps = await listAppsWithAccess(deps.db, user.id);
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
        },
        csrf: csrfToken(request, reply, deps.config, csrfPurpose(who.session)),
        passwordAction: publicPath(deps.config, PAGE_PATHS.accountPassword),
        passwordError: state.passwordError,
        revokeAction: publicPath(deps.config, PAGE_PATHS.accountRevokeApp),
        apps: apps.map((consent) => ({
          clientId: consent.clientId,
          clientName: consent.clientName,
          scopes: describeScopes(consent.scopes),
          grantedAt: day(consent.createdAt),
          lastUsedAt: moment(consent.lastUsedAt ?? consent.updatedAt),
        })),
        signOutUrl: publicPath(deps.config, ENDPOINT_PATHS.endSession),
      },
      { status: state.passwordError === null ? 200 : 400 },
    );
  }

  app.get<{ Querystring: { done?: unknown } }>(PAGE_PATHS.account, async (request, reply) => {
    const who = await signedIn(request);
    if (who === null) return redirect(reply, publicPath(deps.config, PAGE_PATHS.accountLogin), 302);
    const done = typeof request.query.done === "string" ? request.query.done : null;
    return showAccount(request, reply, who, { done, passwordError: null });
  });

  /** A POST of one of the page's forms: signed in, with a valid CSRF token, or no action. */
  function accountForm(
    path: string,
    handle: (
      request: FastifyRequest,
      reply: FastifyReply,
      who: { session: LoginSession; user: User },
      form: RawParams,
    ) => Promise<FastifyReply>,
  ) {
    app.post(path, { onRequest: requireFormBody }, async (request, reply) => {
      const who = await signedIn(request);
      // Sending the browser to sign in changes nothing, so it needs no CSRF check.
      if (who === null) {
        return redirect(reply, publicPath(deps.config, PAGE_PATHS.accountLogin), 303);
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

  accountForm(PAGE_PATHS.accountPassword, async (request, reply, who, form) => {
    try {
      await changePassword(
        deps,
        who.session,
        {
          currentPassword: field(form, "current_password"),
          newPassword: field(form, "new_password"),
          confirmation: field(form, "new_password_confirm"),
        },
        { ip: request.ip, requestId: request.id },
      );
    } catch (err) {
      if (!(err instanceof OAuthError) || err.error !== "invalid_request") throw err;
      return showAccount(request, reply, who, { done: null, passwordError: err.description });
    }
    return redirect(reply, `${accountUrl}?done=password`, 303);
  });

  accountForm(PAGE_PATHS.accountRevokeApp, async (request, reply, who, form) => {
    const clientId = field(form, "client_id");
    if (clientId === "" || clientId.length > CLIENT_ID_MAX_LENGTH) {
      return redirect(reply, accountUrl, 303);
    }
    await revokeAppAccess(deps, who.user.id, clientId, { ip: request.ip, requestId: request.id });
    return redirect(reply, `${accountUrl}?done=revoked`, 303);
  });
}
