// GET and POST /password/forgot: asking for a password reset link. Every address gets the
// same page after the same work (see accounts/password-reset.ts); a relay that refuses the
// mail gets the same "could not send" page for every address too.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { describeLifetime } from "../../accounts/email-links.ts";
import { mailRequestAllowed } from "../../accounts/mail-throttle.ts";
import { requestPasswordReset } from "../../accounts/password-reset.ts";
import type { Deps } from "../../deps.ts";
import { OAuthError } from "../../errors.ts";
import { MailDeliveryError } from "../../mail/mailer.ts";
import type { RawParams } from "../../oauth/params.ts";
import { csrfRefused } from "../authorization-reply.ts";
import { csrfToken, csrfTokenValid } from "../csrf.ts";
import { sendPage } from "../pages.ts";
import { PAGE_PATHS, publicPath } from "../paths.ts";
import { requireFormBody } from "../plugins/forms.ts";
import {
  interactionParam,
  mailLinks,
  sendMailFailed,
  sendThrottled,
  signInTarget,
} from "../self-service.ts";
import { EMAIL_MAX_LENGTH } from "../sign-in.ts";

const CSRF_PURPOSE = "password-forgot";

export default async function passwordForgotRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  const { config } = deps;

  async function showForm(
    request: FastifyRequest,
    reply: FastifyReply,
    interaction: string | null,
    form: { email: string; error: string | null },
  ) {
    const signIn = await signInTarget(deps, interaction);
    return sendPage(
      reply,
      "password-forgot",
      {
        title: "Forgot your password?",
        action: publicPath(config, PAGE_PATHS.passwordForgot),
        csrf: csrfToken(request, reply, config, CSRF_PURPOSE),
        interaction,
        loginUrl: signIn.url,
        ...form,
      },
      { status: form.error === null ? 200 : 400 },
    );
  }

  app.get<{ Querystring: { interaction?: unknown } }>(
    PAGE_PATHS.passwordForgot,
    async (request, reply) =>
      showForm(request, reply, interactionParam(request.query.interaction), {
        email: "",
        error: null,
      }),
  );

  app.post(PAGE_PATHS.passwordForgot, { onRequest: requireFormBody }, async (request, reply) => {
    const form = (request.body ?? {}) as RawParams;
    if (!csrfTokenValid(request, config, CSRF_PURPOSE, form.csrf_token)) {
      return csrfRefused(reply);
    }
    if (!(await mailRequestAllowed(deps, request.ip))) return sendThrottled(reply);
    const interaction = interactionParam(form.interaction);
    const email = typeof form.email === "string" ? form.email.slice(0, EMAIL_MAX_LENGTH) : "";
    try {
      await requestPasswordReset(deps, email, mailLinks(config, interaction), {
        ip: request.ip,
        requestId: request.id,
      });
    } catch (err) {
      if (err instanceof MailDeliveryError) return sendMailFailed(reply, request.id);
      if (!(err instanceof OAuthError) || err.error !== "invalid_request") throw err;
      return showForm(request, reply, interaction, { email, error: err.description });
    }
    request.log.info({ outcome: "mailed" }, "password reset request");
    const signIn = await signInTarget(deps, interaction);
    return sendPage(reply, "notice", {
      title: "Check your inbox",
      message: `We sent a mail to ${email.trim()}. If there is an account with this address, the mail has a link to choose a new password; it works once, for ${describeLifetime(config.selfService.passwordResetTtl)}.`,
      fine: "No mail after a few minutes? Look in your spam folder, or check that you typed the address you signed up with.",
      other: { url: signIn.url, label: "Back to sign in" },
    });
  });
}
