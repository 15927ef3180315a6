// GET and POST /account/login/otp: the second step of signing in to the account page, for an
// account with a second factor, after the right password on /account/login. The same rules
// as the code page of an authorization request; afterwards the browser goes to /account.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { findPendingLogin } from "../../accounts/pending-login.ts";
import { attemptSecondFactor } from "../../accounts/second-factor-attempt.ts";
import type { Deps } from "../../deps.ts";
import type { RawParams } from "../../oauth/params.ts";
import { csrfRefused } from "../authorization-reply.ts";
import { csrfTokenValid } from "../csrf.ts";
import { PAGE_PATHS, publicPath } from "../paths.ts";
import { requireFormBody } from "../plugins/forms.ts";
import {
  ACCOUNT_LOGIN_PURPOSE,
  ACCOUNT_NAME,
  CODE_MAX_LENGTH,
  CODE_WRONG,
  clearPendingLoginCookie,
  LOGIN_BLOCKED,
  readPendingLoginCookie,
  redirectTo,
  sendAccountLogin,
  sendCodePage,
  signInToAccount,
} from "../sign-in.ts";

const CSRF_PURPOSE = "account-login-otp";

export default async function accountLoginOtpRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  const loginUrl = publicPath(deps.config, PAGE_PATHS.accountLogin);

  function showOtp(
    request: FastifyRequest,
    reply: FastifyReply,
    form: { error: string | null; status: number },
  ) {
    return sendCodePage(
      deps,
      request,
      reply,
      {
        clientName: ACCOUNT_NAME,
        action: publicPath(deps.config, PAGE_PATHS.accountLoginOtp),
        restartUrl: loginUrl,
        csrfPurpose: CSRF_PURPOSE,
      },
      form,
    );
  }

  app.get(PAGE_PATHS.accountLoginOtp, async (request, reply) => {
    const pending = await findPendingLogin(
      deps,
      readPendingLoginCookie(request, deps.config),
      ACCOUNT_LOGIN_PURPOSE,
    );
    if (pending === null) return redirectTo(reply, loginUrl, 302);
    return showOtp(request, reply, { error: null, status: 200 });
  });

  app.post(PAGE_PATHS.accountLoginOtp, { onRequest: requireFormBody }, async (request, reply) => {
    const form = (request.body ?? {}) as RawParams;
    if (!csrfTokenValid(request, deps.config, CSRF_PURPOSE, form.csrf_token)) {
      return csrfRefused(reply);
    }
    const code = typeof form.otp === "string" ? form.otp.slice(0, CODE_MAX_LENGTH) : "";
    const result = await attemptSecondFactor(deps, {
      pendingValue: readPendingLoginCookie(request, deps.config),
      purpose: ACCOUNT_LOGIN_PURPOSE,
      code,
      ip: request.ip,
      requestId: request.id,
      clientId: null,
    });
    request.log.info({ outcome: result.outcome, step: "second_factor" }, "login");
    switch (result.outcome) {
      case "failure":
        return showOtp(request, reply, { error: CODE_WRONG, status: 400 });
      case "restart":
        clearPendingLoginCookie(reply, deps.config);
        return redirectTo(reply, loginUrl, 303);
      case "blocked":
        clearPendingLoginCookie(reply, deps.config);
        return sendAccountLogin(deps, request, reply, {
          email: null,
          error: LOGIN_BLOCKED,
          status: 403,
        });
      case "success":
        clearPendingLoginCookie(reply, deps.config);
        return signInToAccount(deps, request, reply, { userId: result.user.id, amr: result.amr });
    }
  });
}
