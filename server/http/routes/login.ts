// GET and POST /interaction/:id/login: the login page of an authorization request. A
// successful login starts a new session (a new cookie value and sid, whatever the browser
// held before) and continues the request: to the consent page, or straight back to the
// client when no consent is needed. For an account with a second factor, the right password
// leads to the code page (/interaction/:id/otp) instead. A failed one shows the page again
// with one message for every cause.

import type { FastifyInstance } from "fastify";
import { requireVerifiedEmail, unverifiedMessage } from "../../accounts/email-verification.ts";
import { prepareLogin } from "../../accounts/login.ts";
import { attemptLogin } from "../../accounts/login-attempt.ts";
import { startPendingLogin } from "../../accounts/pending-login.ts";
import type { Deps } from "../../deps.ts";
import type { RawParams } from "../../oauth/params.ts";
import { csrfRefused, interactionGone } from "../authorization-reply.ts";
import { csrfTokenValid } from "../csrf.ts";
import { interactionPath, PAGE_PATHS } from "../paths.ts";
import { requireFormBody } from "../plugins/forms.ts";
import { mailLinks } from "../self-service.ts";
import {
  EMAIL_MAX_LENGTH,
  LOGIN_BLOCKED,
  LOGIN_FAILED,
  loadInteraction,
  redirectTo,
  sendInteractionLogin,
  setPendingLoginCookie,
  signInToInteraction,
} from "../sign-in.ts";

type Params = { id: string };

export default async function loginRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  // The unknown-address path verifies against a dummy hash; make it before the first login.
  await prepareLogin();

  app.get<{ Params: Params }>(PAGE_PATHS.login, async (request, reply) => {
    const { id } = request.params;
    const found = await loadInteraction(deps, id);
    if (!found) return interactionGone(reply);
    const email = found.interaction.request.loginHint?.slice(0, EMAIL_MAX_LENGTH) ?? null;
    return sendInteractionLogin(deps, request, reply, id, found, {
      email,
      error: null,
      status: 200,
    });
  });

  app.post<{ Params: Params }>(
    PAGE_PATHS.login,
    { onRequest: requireFormBody },
    async (request, reply) => {
      const { id } = request.params;
      const found = await loadInteraction(deps, id);
      if (!found) return interactionGone(reply);
      const form = (request.body ?? {}) as RawParams;
      if (!csrfTokenValid(request, deps.config, `login:${id}`, form.csrf_token)) {
        return csrfRefused(reply);
      }
      const email = typeof form.email === "string" ? form.email.slice(0, EMAIL_MAX_LENGTH) : "";
      const password = typeof form.password === "string" ? form.password : "";
      const result = await attemptLogin(deps, {
        email,
        password,
        ip: request.ip,
        requestId: request.id,
        clientId: found.client.id,
      });
      if (result.outcome === "failure" || result.outcome === "blocked") {
        request.log.info({ outcome: result.outcome }, "login");
        const error = result.outcome === "blocked" ? LOGIN_BLOCKED : LOGIN_FAILED;
        const status = result.outcome === "blocked" ? 403 : 400;
        return sendInteractionLogin(deps, request, reply, id, found, { email, error, status });
      }
      const origin = { ip: request.ip, requestId: request.id };
      const verified = await requireVerifiedEmail(deps, result, mailLinks(deps.config, id), origin);
      if (verified.outcome === "unverified") {
        const error = unverifiedMessage(verified);
        return sendInteractionLogin(deps, request, reply, id, found, { email, error, status: 403 });
      }
      const { user } = result;
      if (result.outcome === "second_factor") {
        request.log.info({ outcome: "second_factor", userId: user.id }, "login");
        const pending = await startPendingLogin(deps, {
          userId: user.id,
          purpose: `interaction:${id}`,
        });
        setPendingLoginCookie(reply, deps.config, pending);
        return redirectTo(reply, interactionPath(deps.config, "otp", id), 303);
      }
      request.log.info({ outcome: "success", userId: user.id }, "login");
      return signInToInteraction(deps, request, reply, id, found, {
        userId: user.id,
        amr: ["pwd"],
      });
    },
  );
}
