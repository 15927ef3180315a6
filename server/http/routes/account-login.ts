// GET and POST /account/login: signing in to the account page itself, outside any
// authorization request. The same login page and the same rules as the interaction's login
// (throttling and lockout, one message for every failure, a new session and cookie on
// success, and the code page /account/login/otp for an account with a second factor);
// afterwards the browser always goes to /account, so the page cannot be used as an open
// redirect.

import type { FastifyInstance } from "fastify";
import { requireVerifiedEmail, unverifiedMessage } from "../../accounts/email-verification.ts";
import { prepareLogin } from "../../accounts/login.ts";
import { attemptLogin } from "../../accounts/login-attempt.ts";
import { startPendingLogin } from "../../accounts/pending-login.ts";
import type { Deps } from "../../deps.ts";
import type { RawParams } from "../../oauth/params.ts";
import { csrfRefused } from "../authorization-reply.ts";
import { csrfTokenValid } from "../csrf.ts";
import { PAGE_PATHS, publicPath } from "../paths.ts";
import { requireFormBody } from "../plugins/forms.ts";
import { mailLinks } from "../self-service.ts";
import { currentSession } from "../session-cookie.ts";
import {
  ACCOUNT_LOGIN_CSRF,
  ACCOUNT_LOGIN_PURPOSE,
  EMAIL_MAX_LENGTH,
  LOGIN_BLOCKED,
  LOGIN_FAILED,
  redirectTo,
  sendAccountLogin,
  setPendingLoginCookie,
  signInToAccount,
} from "../sign-in.ts";

export default async function accountLoginRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  await prepareLogin();
  const accountUrl = publicPath(deps.config, PAGE_PATHS.account);

  app.get(PAGE_PATHS.accountLogin, async (request, reply) => {
    if ((await currentSession(request, deps)) !== null) return redirectTo(reply, accountUrl, 302);
    return sendAccountLogin(deps, request, reply, { email: null, error: null, status: 200 });
  });

  app.post(PAGE_PATHS.accountLogin, { onRequest: requireFormBody }, async (request, reply) => {
    const form = (request.body ?? {}) as RawParams;
    if (!csrfTokenValid(request, deps.config, ACCOUNT_LOGIN_CSRF, form.csrf_token)) {
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
    if (result.outcome === "failure" || result.outcome === "blocked") {
      request.log.info({ outcome: result.outcome }, "login");
      const blocked = result.outcome === "blocked";
      const error = blocked ? LOGIN_BLOCKED : LOGIN_FAILED;
      return sendAccountLogin(deps, request, reply, { email, error, status: blocked ? 403 : 400 });
    }
    const origin = { ip: request.ip, requestId: request.id };
    const verified = await requireVerifiedEmail(deps, result, mailLinks(deps.config, null), origin);
    if (verified.outcome === "unverified") {
      const error = unverifiedMessage(verified);
      return sendAccountLogin(deps, request, reply, { email, error, status: 403 });
    }
    const { user } = result;
    if (result.outcome === "second_factor") {
      request.log.info({ outcome: "second_factor", userId: user.id }, "login");
      const pending = await startPendingLogin(deps, {
        userId: user.id,
        purpose: ACCOUNT_LOGIN_PURPOSE,
      });
      setPendingLoginCookie(reply, deps.config, pending);
      return redirectTo(reply, publicPath(deps.config, PAGE_PATHS.accountLoginOtp), 303);
    }
    request.log.info({ outcome: "success", userId: user.id }, "login");
    return signInToAccount(deps, request, reply, { userId: user.id, amr: ["pwd"] });
  });
}
