// GET and POST /account/login: signing in to the account page itself, outside any
// authorization request. The same login page and the same rules as the interaction's login
// (throttling and lockout, one message for every failure, a new session and cookie on
// success); afterwards the browser always goes to /account, so the page cannot be used as an
// open redirect.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { prepareLogin } from "../../accounts/login.ts";
import { attemptLogin } from "../../accounts/login-attempt.ts";
import { startSession } from "../../accounts/sessions.ts";
import type { Deps } from "../../deps.ts";
import type { RawParams } from "../../oauth/params.ts";
import { csrfRefused } from "../authorization-reply.ts";
import { csrfToken, csrfTokenValid } from "../csrf.ts";
import { sendPage } from "../pages.ts";
import { PAGE_PATHS, publicPath } from "../paths.ts";
import { requireFormBody } from "../plugins/forms.ts";
import { currentSession, readSessionCookie, setSessionCookie } from "../session-cookie.ts";

const LOGIN_FAILED = "The email address or password is incorrect.";
const LOGIN_BLOCKED =
  "Too many failed sign-in attempts. Sign-in is temporarily blocked; try again later.";
const EMAIL_MAX_LENGTH = 254;
const CSRF_PURPOSE = "account-login";

export default async function accountLoginRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  await prepareLogin();
  const accountUrl = publicPath(deps.config, PAGE_PATHS.account);

  function showLogin(
    request: FastifyRequest,
    reply: FastifyReply,
    form: { email: string | null; error: string | null; status: number },
  ) {
    return sendPage(
      reply,
      "login",
      {
        title: "Sign in",
        clientName: "your Latchkey account",
        action: publicPath(deps.config, PAGE_PATHS.accountLogin),
        csrf: csrfToken(request, reply, deps.config, CSRF_PURPOSE),
        email: form.email,
        error: form.error,
      },
      { status: form.status },
    );
  }

  function toAccount(reply: FastifyReply, status: 302 | 303) {
    return reply.code(status).headers({ location: accountUrl, "cache-control": "no-store" }).send();
  }

  app.get(PAGE_PATHS.accountLogin, async (request, reply) => {
    if ((await currentSession(request, deps)) !== null) return toAccount(reply, 302);
    return showLogin(request, reply, { email: null, error: null, status: 200 });
  });

  app.post(PAGE_PATHS.accountLogin, { onRequest: requireFormBody }, async (request, reply) => {
    const form = (request.body ?? {}) as RawParams;
    if (!csrfTokenValid(request, deps.config, CSRF_PURPOSE, form.csrf_token)) {
      return csrfRefused(reply);
    }
    const email = typeof form.email === "string" ? form.email.slice(0, EMAIL_MAX_LENGTH) : "";
    const password = typeof form.password === "string" ? form.password : "";
    const result = await attemptLogin(deps, {
      email,
      password,
      ip: request.ip,
      requestId: request.id,
      clientId: null,
    });
    if (result.outcome !== "success") {
      request.log.info({ outcome: result.outcome }, "login");
      const blocked = result.outcome === "blocked";
      const error = blocked ? LOGIN_BLOCKED : LOGIN_FAILED;
      return showLogin(request, reply, { email, error, status: blocked ? 403 : 400 });
    }
    const { user } = result;
    request.log.info({ outcome: "success", userId: user.id }, "login");
    const { cookieValue } = await startSession(deps, {
      userId: user.id,
      amr: ["pwd"],
      previousCookieValue: readSessionCookie(request, deps.config),
    });
    setSessionCookie(reply, deps.config, cookieValue);
    return toAccount(reply, 303);
  });
}
