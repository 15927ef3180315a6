// GET and POST /email/verify: the page behind a sign-up's or a verification's link. GET asks
// the user to confirm (mail scanners open links, and that must not use them up); the POST
// uses the link, which makes the signed-up account or marks the address verified, then leads
// back to the authorization request the user came from while it lasts, else to the account
// sign-in.

import type { FastifyInstance, FastifyReply } from "fastify";
import { peekEmailLink } from "../../accounts/email-links.ts";
import { confirmEmail, EMAIL_LINK_PURPOSES } from "../../accounts/email-verification.ts";
import type { Deps } from "../../deps.ts";
import { OAuthError } from "../../errors.ts";
import type { RawParams } from "../../oauth/params.ts";
import { csrfRefused } from "../authorization-reply.ts";
import { csrfToken, csrfTokenValid } from "../csrf.ts";
import { sendPage } from "../pages.ts";
import { PAGE_PATHS, publicPath } from "../paths.ts";
import { requireFormBody } from "../plugins/forms.ts";
import { interactionParam, signInTarget } from "../self-service.ts";

const CSRF_PURPOSE = "email-verify";
const TOKEN_MAX_LENGTH = 100;

const text = (value: unknown) =>
  typeof value === "string" ? value.slice(0, TOKEN_MAX_LENGTH) : "";

export default async function emailVerifyRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  const { config } = deps;

  function showUnusable(reply: FastifyReply) {
    return sendPage(
      reply,
      "notice",
      {
        title: "This link cannot be used",
        message:
          "It has expired, was used already, or a newer link was sent. Sign in to get a new one, or choose a new password: that confirms your address too.",
        alert: true,
        next: { url: publicPath(config, PAGE_PATHS.accountLogin), label: "Sign in" },
        other: {
          url: publicPath(config, PAGE_PATHS.passwordForgot),
          label: "Forgot your password?",
        },
      },
      { status: 400 },
    );
  }

  app.get<{ Querystring: { token?: unknown; interaction?: unknown } }>(
    PAGE_PATHS.emailVerify,
    async (request, reply) => {
      const token = text(request.query.token);
      const link = await peekEmailLink(deps, EMAIL_LINK_PURPOSES, token);
      if (link === null) return showUnusable(reply);
      return sendPage(reply, "email-verify", {
        title: "Confirm your email address",
        action: publicPath(config, PAGE_PATHS.emailVerify),
        csrf: csrfToken(request, reply, config, CSRF_PURPOSE),
        email: link.email,
        token,
        interaction: interactionParam(request.query.interaction),
      });
    },
  );

  app.post(PAGE_PATHS.emailVerify, { onRequest: requireFormBody }, async (request, reply) => {
    const form = (request.body ?? {}) as RawParams;
    if (!csrfTokenValid(request, config, CSRF_PURPOSE, form.csrf_token)) {
      return csrfRefused(reply);
    }
    try {
      const user = await confirmEmail(deps, text(form.token), {
        ip: request.ip,
        requestId: request.id,
      });
      request.log.info({ outcome: "success", userId: user.id }, "email verification");
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      if (err.error !== "account_exists") return showUnusable(reply);
      return sendPage(
        reply,
        "notice",
        {
          title: "You already have an account",
          message: err.description,
          next: await signInTarget(deps, interactionParam(form.interaction)),
          other: {
            url: publicPath(config, PAGE_PATHS.passwordForgot),
            label: "Forgot your password?",
          },
        },
        { status: 409 },
      );
    }
    const signIn = await signInTarget(deps, interactionParam(form.interaction));
    return sendPage(reply, "notice", {
      title: "Your email address is confirmed",
      done: true,
      message: "Thank you. Sign in to continue.",
      next: signIn,
    });
  });
}
