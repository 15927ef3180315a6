// GET and POST /interaction/:id/otp: the second step of a login to an account with a second
// factor, after the right password on /interaction/:id/login. The browser must hold the
// pending login made there for this interaction; without it, the page sends it back to type
// the password. A right code completes the login exactly as a password alone does for other
// accounts; a wrong one shows the page again, until the pending login or the account's
// failure budget runs out.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { findPendingLogin } from "../../accounts/pending-login.ts";
import { attemptSecondFactor } from "../../accounts/second-factor-attempt.ts";
import type { Deps } from "../../deps.ts";
import type { Interaction } from "../../oauth/interactions.ts";
import type { RawParams } from "../../oauth/params.ts";
import type { Client } from "../../store/db/clients.ts";
import { csrfRefused, interactionGone } from "../authorization-reply.ts";
import { csrfTokenValid } from "../csrf.ts";
import { interactionPath, PAGE_PATHS } from "../paths.ts";
import { requireFormBody } from "../plugins/forms.ts";
import { formActionSource } from "../plugins/security-headers.ts";
import {
  CODE_MAX_LENGTH,
  CODE_WRONG,
  clearPendingLoginCookie,
  LOGIN_BLOCKED,
  loadInteraction,
  readPendingLoginCookie,
  redirectTo,
  sendCodePage,
  sendInteractionLogin,
  signInToInteraction,
} from "../sign-in.ts";

type Params = { id: string };

export default async function loginOtpRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  const purpose = (id: string) => `interaction:${id}`;

  function showOtp(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    found: { interaction: Interaction; client: Client },
    form: { error: string | null; status: number },
  ) {
    return sendCodePage(
      deps,
      request,
      reply,
      {
        clientName: found.client.name,
        action: interactionPath(deps.config, "otp", id),
        restartUrl: interactionPath(deps.config, "login", id),
        csrfPurpose: `otp:${id}`,
      },
      form,
      [formActionSource(found.interaction.request.redirectUri)],
    );
  }

  app.get<{ Params: Params }>(PAGE_PATHS.otp, async (request, reply) => {
    const { id } = request.params;
    const found = await loadInteraction(deps, id);
    if (!found) return interactionGone(reply);
    const pending = await findPendingLogin(
      deps,
      readPendingLoginCookie(request, deps.config),
      purpose(id),
    );
    if (pending === null) return redirectTo(reply, interactionPath(deps.config, "login", id), 302);
    return showOtp(request, reply, id, found, { error: null, status: 200 });
  });

  app.post<{ Params: Params }>(
    PAGE_PATHS.otp,
    { onRequest: requireFormBody },
    async (request, reply) => {
      const { id } = request.params;
      const found = await loadInteraction(deps, id);
      if (!found) return interactionGone(reply);
      const form = (request.body ?? {}) as RawParams;
      if (!csrfTokenValid(request, deps.config, `otp:${id}`, form.csrf_token)) {
        return csrfRefused(reply);
      }
      const code = typeof form.otp === "string" ? form.otp.slice(0, CODE_MAX_LENGTH) : "";
      const result = await attemptSecondFactor(deps, {
        pendingValue: readPendingLoginCookie(request, deps.config),
        purpose: purpose(id),
        code,
        ip: request.ip,
        requestId: request.id,
        clientId: found.client.id,
      });
      request.log.info({ outcome: result.outcome, step: "second_factor" }, "login");
      switch (result.outcome) {
        case "failure":
          return showOtp(request, reply, id, found, { error: CODE_WRONG, status: 400 });
        case "restart":
          clearPendingLoginCookie(reply, deps.config);
          return redirectTo(reply, interactionPath(deps.config, "login", id), 303);
        case "blocked":
          clearPendingLoginCookie(reply, deps.config);
          return sendInteractionLogin(deps, request, reply, id, found, {
            email: null,
            error: LOGIN_BLOCKED,
            status: 403,
          });
        case "success":
          clearPendingLoginCookie(reply, deps.config);
          return signInToInteraction(deps, request, reply, id, found, {
            userId: result.user.id,
            amr: result.amr,
          });
      }
    },
  );
}
