// GET and POST /oauth/logout: the end_session_endpoint (OpenID Connect RP-Initiated Logout
// 1.0). The rules are in oauth/logout-request.ts. A request tied to the browser's session by
// its id_token_hint logs out at once; any other asks the user first on a page whose form posts
// back here with `logout=yes` or `logout=no` and a CSRF token bound to the session. Afterwards
// the browser goes to the registered post_logout_redirect_uri with the state, or sees a page.
// Without a session there is nothing to end: the same answer, so logout is idempotent.
//
// The session cookie is SameSite=Lax, so a browser leaves it off a cross-site POST, which is
// how an RP's logout form arrives. Such a POST is answered with a 303 to the same request as a
// GET, a top-level navigation that carries the cookie, so the user is really signed out.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { logOutSession } from "../../accounts/logout.ts";
import { findSession, type LoginSession } from "../../accounts/sessions.ts";
import type { Deps } from "../../deps.ts";
import { verifyIdTokenHint } from "../../oauth/id-token-hint.ts";
import {
  type LogoutRequest,
  parseLogoutDecision,
  returnLocation,
  tiedToSession,
  validateLogoutRequest,
} from "../../oauth/logout-request.ts";
import type { RawParams } from "../../oauth/params.ts";
import { ENDPOINT_PATHS } from "../../oauth/provider-metadata.ts";
import { recordEvent } from "../../observability/events.ts";
import { findUserById } from "../../store/db/users.ts";
import {
  csrfRefused,
  type RedirectStatus,
  sendAuthorizationError,
} from "../authorization-reply.ts";
import { csrfToken, csrfTokenValid } from "../csrf.ts";
import { NO_STORE } from "../no-store.ts";
import { sendPage } from "../pages.ts";
import { publicPath } from "../paths.ts";
import { requireFormBody } from "../plugins/forms.ts";
import { formActionSource } from "../plugins/security-headers.ts";
import { clearSessionCookie, readSessionCookie } from "../session-cookie.ts";

const csrfPurpose = (session: LoginSession) => `logout:${session.sid}`;

const RESULTS = {
  "signed-out": { title: "You are signed out", message: "You can close this window." },
  "still-signed-in": {
    title: "You are still signed in",
    message: "Nothing was changed. You can close this window.",
  },
} as const;

export default async function logoutRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  const action = publicPath(deps.config, ENDPOINT_PATHS.endSession);

  function redirect(reply: FastifyReply, location: string, status: RedirectStatus) {
    return reply
      .code(status)
      .headers({ location, ...NO_STORE })
      .send();
  }

  /** Back to the client, or the page saying how things stand. */
  function finish(
    request: FastifyRequest,
    reply: FastifyReply,
    logout: LogoutRequest,
    result: keyof typeof RESULTS,
    status: RedirectStatus,
  ) {
    const location = returnLocation(logout);
    if (location !== null) return redirect(reply, location, status);
    if (logout.redirectRefused !== null) {
      request.log.info({ detail: logout.redirectRefused }, "no post-logout redirect");
    }
    return sendPage(reply, "logout-result", {
      ...RESULTS[result],
      signedOut: result === "signed-out",
      notReturned: logout.redirectRefused !== null,
    });
  }

  async function showConfirmation(
    request: FastifyRequest,
    reply: FastifyReply,
    logout: LogoutRequest,
    session: LoginSession,
    error: string | null,
  ) {
    const user = await findUserById(deps.db, session.userId);
    const fields = Object.entries(logout.params).map(([name, value]) => ({ name, value }));
    return sendPage(
      reply,
      "logout",
      {
        title: "Sign out?",
        userEmail: user?.email ?? null,
        clientName: logout.client?.name ?? null,
        action,
        fields,
        csrf: csrfToken(request, reply, deps.config, csrfPurpose(session)),
        error,
      },
      {
        status: error === null ? 200 : 400,
        formAction: logout.redirectUri === null ? [] : [formActionSource(logout.redirectUri)],
      },
    );
  }

  async function logout(
    request: FastifyRequest,
    reply: FastifyReply,
    logoutRequest: LogoutRequest,
    raw: RawParams,
    method: "GET" | "POST",
  ): Promise<FastifyReply> {
    const status: RedirectStatus = method === "POST" ? 303 : 302;
    const cookieValue = readSessionCookie(request, deps.config);
    if (method === "POST" && cookieValue === undefined) {
      const query = new URLSearchParams(logoutRequest.params as Record<string, string>);
      return redirect(reply, `${action}?${query}`, 303);
    }
    const session = await findSession(deps, cookieValue);
    if (session === null || cookieValue === undefined) {
      return finish(request, reply, logoutRequest, "signed-out", status);
    }

    const signOut = async () => {
      const families = await logOutSession(deps, cookieValue, session);
      await recordEvent(deps, {
        type: "user.logout",
        actor: session.userId,
        userId: session.userId,
        clientId: logoutRequest.client?.id ?? null,
        ip: request.ip,
        requestId: request.id,
        details: { families_revoked: families },
      });
      clearSessionCookie(reply, deps.config);
      return finish(request, reply, logoutRequest, "signed-out", status);
    };

    // The confirmation form's answer; a GET never acts on one.
    if (method === "POST" && raw.logout !== undefined) {
      if (!csrfTokenValid(request, deps.config, csrfPurpose(session), raw.csrf_token)) {
        return csrfRefused(reply);
      }
      const decision = parseLogoutDecision(raw.logout);
      if (decision === "yes") return signOut();
      if (decision === "no") return finish(request, reply, logoutRequest, "still-signed-in", 303);
      const error = "Choose Sign out or Stay signed in.";
      return showConfirmation(request, reply, logoutRequest, session, error);
    }
    if (tiedToSession(logoutRequest, session)) return signOut();
    return showConfirmation(request, reply, logoutRequest, session, null);
  }

  async function handle(
    request: FastifyRequest,
    reply: FastifyReply,
    raw: RawParams,
    method: "GET" | "POST",
  ): Promise<FastifyReply> {
    try {
      const logoutRequest = await validateLogoutRequest(raw, {
        verifyHint: (hint) => verifyIdTokenHint(hint, deps),
        findClient: (id) => deps.clients.find(id),
      });
      return await logout(request, reply, logoutRequest, raw, method);
    } catch (err) {
      // No target: a logout error is shown to the user and never redirected.
      const status = method === "POST" ? 303 : 302;
      return sendAuthorizationError(request, reply, deps.config, err, null, status);
    }
  }

  app.get(ENDPOINT_PATHS.endSession, (request, reply) =>
    handle(request, reply, request.query as RawParams, "GET"),
  );
  app.post(ENDPOINT_PATHS.endSession, { onRequest: requireFormBody }, (request, reply) =>
    handle(request, reply, (request.body ?? {}) as RawParams, "POST"),
  );
}
