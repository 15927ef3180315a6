// GET and POST /password/reset: the page behind a reset link. GET only shows the form (mail
// scanners open links, and that must not use them up); the POST with the new password uses
// the link. A used, expired or unknown link gets one answer, with the way to a new link.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { openResetLink, resetPassword } from "../../accounts/password-reset.ts";
import type { Deps } from "../../deps.ts";
import { OAuthError } from "../../errors.ts";
import type { RawParams } from "../../oauth/params.ts";
import { csrfRefused } from "../authorization-reply.ts";
import { csrfToken, csrfTokenValid } from "../csrf.ts";
import { sendPage } from "../pages.ts";
import { PAGE_PATHS, publicPath } from "../paths.ts";
import { requireFormBody } from "../plugins/forms.ts";
import { interactionParam, signInTarget } from "../self-service.ts";

const CSRF_PURPOSE = "password-reset";
const TOKEN_MAX_LENGTH = 100;

const text = (value: unknown, max: number) =>
  typeof value === "string" ? value.slice(0, max) : "";

export default async function passwordResetRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  const { config } = deps;

  function showForm(
    request: FastifyRequest,
    reply: FastifyReply,
    form: { token: string; interaction: string | null; email: string; error: string | null },
  ) {
    return sendPage(
      reply,
      "password-reset",
      {
        title: "Choose a new password",
        action: publicPath(config, PAGE_PATHS.passwordReset),
        csrf: csrfToken(request, reply, config, CSRF_PURPOSE),
        ...form,
      },
      { status: form.error === null ? 200 : 400 },
    );
  }

  /** The link cannot be used (invalid_grant), or the account is locked (account_locked). */
  function showRefusal(reply: FastifyReply, err: OAuthError) {
    const locked = err.error === "account_locked";
    return sendPage(
      reply,
      "notice",
      {
        title: locked ? "This account is locked" : "This link cannot be used",
        message: locked
          ? err.description
          : "It has expired, was used already, or a newer link was sent. Ask for a new one.",
        alert: true,
        next: locked
          ? null
          : {
              url: publicPath(config, PAGE_PATHS.passwordForgot),
              label: "Send me a new link",
            },
      },
      { status: err.status },
    );
  }

  app.get<{ Querystring: { token?: unknown; interaction?: unknown } }>(
    PAGE_PATHS.passwordReset,
    async (request, reply) => {
      const token = text(request.query.token, TOKEN_MAX_LENGTH);
      const interaction = interactionParam(request.query.interaction);
      try {
        const { user } = await openResetLink(deps, token);
        return await showForm(request, reply, {
          token,
          interaction,
          email: user.email,
          error: null,
        });
      } catch (err) {
        if (!(err instanceof OAuthError)) throw err;
        return showRefusal(reply, err);
      }
    },
  );

  app.post(PAGE_PATHS.passwordReset, { onRequest: requireFormBody }, async (request, reply) => {
    const form = (request.body ?? {}) as RawParams;
    if (!csrfTokenValid(request, config, CSRF_PURPOSE, form.csrf_token)) {
      return csrfRefused(reply);
    }
    const token = text(form.token, TOKEN_MAX_LENGTH);
    const interaction = interactionParam(form.interaction);
    try {
      const reset = await resetPassword(
        deps,
        token,
        {
          newPassword: text(form.new_password, 4096),
          confirmation: text(form.new_password_confirm, 4096),
        },
        { ip: request.ip, requestId: request.id },
      );
      request.log.info({ outcome: "success", userId: reset.user.id }, "password reset");
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      if (err.error !== "invalid_request") return showRefusal(reply, err);
      const { user } = await openResetLink(deps, token).catch(() => ({ user: null }));
      if (user === null) return showRefusal(reply, err);
      return showForm(request, reply, {
        token,
        interaction,
        email: user.email,
        error: err.description,
      });
    }
    const signIn = await signInTarget(deps, interaction);
    return sendPage(reply, "notice", {
      title: "Your password was changed",
      done: true,
      message: "Sign in with your new password. You were signed out everywhere else.",
      next: signIn,
    });
  });
}
