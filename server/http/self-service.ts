// What the self-service pages share: the links that mails carry (absolute, made from the
// issuer), the sign-up and "forgot password" links of the login pages, where a finished
// verification or reset continues, and the answers for a throttled IP and a mail that could
// not be sent. A link may carry the id of the authorization request the user came from
// (`interaction`), so that it can lead back to that request's login page while it lasts.

import type { FastifyReply } from "fastify";
import type { MailLinks } from "../accounts/email-links.ts";
import type { Config } from "../config.ts";
import type { Deps } from "../deps.ts";
import { findInteraction } from "../oauth/interactions.ts";
import { hasOpaqueTokenShape } from "../tokens/opaque.ts";
import { sendPage } from "./pages.ts";
import { interactionPath, PAGE_PATHS, publicPath } from "./paths.ts";

/** An interaction id as links and forms carry it; anything else is dropped. */
export function interactionParam(value: unknown): string | null {
  return typeof value === "string" && hasOpaqueTokenShape(value) ? value : null;
}

function withInteraction(path: string, interaction: string | null): string {
  return interaction === null ? path : `${path}?interaction=${encodeURIComponent(interaction)}`;
}

function absolute(config: Pick<Config, "issuer">, path: string, query: Record<string, string>) {
  const url = new URL(config.issuer);
  url.pathname = publicPath(config, path);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.href;
}

export function mailLinks(config: Pick<Config, "issuer">, interaction: string | null): MailLinks {
  const extra: Record<string, string> = interaction === null ? {} : { interaction };
  return {
    verifyEmail: (token) => absolute(config, PAGE_PATHS.emailVerify, { token, ...extra }),
    resetPassword: (token) => absolute(config, PAGE_PATHS.passwordReset, { token, ...extra }),
    forgotPassword: absolute(config, PAGE_PATHS.passwordForgot, {}),
  };
}

/** The sign-up and "forgot password" links of a login page, where those pages exist. */
export function selfServiceLinks(
  deps: Pick<Deps, "config" | "mailer">,
  interaction: string | null,
): { signupUrl: string | null; forgotUrl: string | null } {
  const { config } = deps;
  const signupPath =
    interaction === null
      ? PAGE_PATHS.accountSignup
      : PAGE_PATHS.signup.replace(":id", encodeURIComponent(interaction));
  return {
    signupUrl: config.selfService.signup ? publicPath(config, signupPath) : null,
    forgotUrl: deps.mailer.available
      ? publicPath(config, withInteraction(PAGE_PATHS.passwordForgot, interaction))
      : null,
  };
}

/** The sign-in page to go back to: the request's own while it lasts, else the account's. */
export async function signInTarget(
  deps: Pick<Deps, "config" | "kv" | "clients" | "now">,
  interaction: string | null,
): Promise<{ url: string; label: string }> {
  const found =
    interaction === null ? null : await findInteraction(deps.kv, interaction, deps.now());
  const client = found === null ? null : await deps.clients.find(found.request.clientId);
  if (interaction !== null && client !== null) {
    return {
      url: interactionPath(deps.config, "login", interaction),
      label: `Continue to ${client.name}`,
    };
  }
  return { url: publicPath(deps.config, PAGE_PATHS.accountLogin), label: "Sign in" };
}

/** Too many mail-sending requests from the client's IP this hour. */
export function sendThrottled(reply: FastifyReply): Promise<FastifyReply> {
  return sendPage(
    reply,
    "notice",
    {
      title: "Too many requests",
      message: "Too many requests came from your network in the last hour. Please try again later.",
      alert: true,
    },
    { status: 429 },
  );
}

/** Every attempt to send the mail failed; nothing was changed that the user must undo. */
export function sendMailFailed(reply: FastifyReply, requestId: string): Promise<FastifyReply> {
  return sendPage(
    reply,
    "notice",
    {
      title: "We could not send the email",
      message:
        "Our mail server did not accept the message, so no email is on its way. Please try again in a few minutes.",
      fine: `If this keeps happening, contact the site's administrator and mention request ${requestId}.`,
      alert: true,
    },
    { status: 503 },
  );
}
