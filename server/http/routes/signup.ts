// GET and POST /interaction/:id/signup and /account/signup: the sign-up page, present only
// with SIGNUP_ENABLED. A new address and a registered one get the same page after the same
// work (see accounts/signup.ts): "we sent you a mail". The mail to a new address carries the
// link that makes the account, which then leads back to the authorization request while it
// lasts.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { mailRequestAllowed } from "../../accounts/mail-throttle.ts";
import { signUp } from "../../accounts/signup.ts";
import type { Deps } from "../../deps.ts";
import { OAuthError } from "../../errors.ts";
import { MailDeliveryError } from "../../mail/mailer.ts";
import type { RawParams } from "../../oauth/params.ts";
import { csrfRefused, interactionGone } from "../authorization-reply.ts";
import { csrfToken, csrfTokenValid } from "../csrf.ts";
import { sendPage } from "../pages.ts";
import { interactionPath, PAGE_PATHS, publicPath } from "../paths.ts";
import { requireFormBody } from "../plugins/forms.ts";
import { mailLinks, sendMailFailed, sendThrottled } from "../self-service.ts";
import { ACCOUNT_NAME, EMAIL_MAX_LENGTH, loadInteraction } from "../sign-in.ts";

const NAME_MAX_LENGTH = 1000;

type Params = { id: string };

/** Where the form is and whom it is for: an authorization request, or the account page. */
interface Target {
  interaction: string | null;
  clientName: string;
  clientId: string | null;
  action: string;
  loginUrl: string;
  csrfPurpose: string;
}

const field = (form: RawParams, name: string, max: number) => {
  const value = form[name];
  return typeof value === "string" ? value.slice(0, max) : "";
};

export default async function signupRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  const { config } = deps;

  const accountTarget: Target = {
    interaction: null,
    clientName: ACCOUNT_NAME,
    clientId: null,
    action: publicPath(config, PAGE_PATHS.accountSignup),
    loginUrl: publicPath(config, PAGE_PATHS.accountLogin),
    csrfPurpose: "account-signup",
  };

  async function interactionTarget(id: string): Promise<Target | null> {
    const found = await loadInteraction(deps, id);
    if (found === null) return null;
    const { client } = found;
    return {
      interaction: id,
      clientName: client.name,
      clientId: client.id,
      action: publicPath(config, PAGE_PATHS.signup.replace(":id", encodeURIComponent(id))),
      loginUrl: interactionPath(config, "login", id),
      csrfPurpose: `signup:${id}`,
    };
  }

  function showForm(
    request: FastifyRequest,
    reply: FastifyReply,
    target: Target,
    form: { email: string; name: string; error: string | null },
  ) {
    return sendPage(
      reply,
      "signup",
      {
        title: "Create an account",
        clientName: target.clientName,
        action: target.action,
        loginUrl: target.loginUrl,
        csrf: csrfToken(request, reply, config, target.csrfPurpose),
        ...form,
      },
      { status: form.error === null ? 200 : 400 },
    );
  }

  async function submit(request: FastifyRequest, reply: FastifyReply, target: Target) {
    const form = (request.body ?? {}) as RawParams;
    if (!csrfTokenValid(request, config, target.csrfPurpose, form.csrf_token)) {
      return csrfRefused(reply);
    }
    if (!(await mailRequestAllowed(deps, request.ip))) return sendThrottled(reply);
    const input = {
      email: field(form, "email", EMAIL_MAX_LENGTH),
      name: field(form, "name", NAME_MAX_LENGTH),
      password: field(form, "password", 4096),
    };
    try {
      await signUp(deps, input, mailLinks(config, target.interaction), {
        ip: request.ip,
        requestId: request.id,
        clientId: target.clientId,
      });
    } catch (err) {
      if (err instanceof MailDeliveryError) return sendMailFailed(reply, request.id);
      if (!(err instanceof OAuthError) || err.error !== "invalid_request") throw err;
      return showForm(request, reply, target, {
        email: input.email,
        name: input.name,
        error: err.description,
      });
    }
    request.log.info({ outcome: "mailed" }, "signup");
    return sendPage(reply, "notice", {
      title: "Check your inbox",
      message: `We sent a mail to ${input.email.trim()} with the next step. Follow the link in it to confirm your address${target.interaction === null ? "" : ` and continue to ${target.clientName}`}.`,
      fine: "No mail after a few minutes? Look in your spam folder, or try again later.",
    });
  }

  app.get<{ Params: Params }>(PAGE_PATHS.signup, async (request, reply) => {
    const target = await interactionTarget(request.params.id);
    if (target === null) return interactionGone(reply);
    return showForm(request, reply, target, { email: "", name: "", error: null });
  });

  app.post<{ Params: Params }>(
    PAGE_PATHS.signup,
    { onRequest: requireFormBody },
    async (request, reply) => {
      const target = await interactionTarget(request.params.id);
      if (target === null) return interactionGone(reply);
      return submit(request, reply, target);
    },
  );

  app.get(PAGE_PATHS.accountSignup, async (request, reply) =>
    showForm(request, reply, accountTarget, { email: "", name: "", error: null }),
  );

  app.post(PAGE_PATHS.accountSignup, { onRequest: requireFormBody }, async (request, reply) =>
    submit(request, reply, accountTarget),
  );
}
