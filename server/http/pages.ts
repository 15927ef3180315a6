// Sends a page: the template rendered in the layout, never cached (pages carry CSRF tokens
// and personal data), with the page's Content-Security-Policy.

import type { FastifyReply } from "fastify";
import { NO_STORE } from "./no-store.ts";
import { type CspOptions, contentSecurityPolicy } from "./plugins/security-headers.ts";

export interface PageOptions extends CspOptions {
  status?: number;
}

export async function sendPage(
  reply: FastifyReply,
  page:
    | "login"
    | "consent"
    | "error"
    | "form-post"
    | "logout"
    | "logout-result"
    | "account"
    | "signup"
    | "password-forgot"
    | "password-reset"
    | "email-verify"
    | "notice"
    | "login-otp"
    | "totp-setup"
    | "recovery-codes",
  context: Record<string, unknown>,
  options: PageOptions = {},
): Promise<FastifyReply> {
  const html = await reply.viewAsync(`pages/${page}.hbs`, context);
  return reply
    .code(options.status ?? 200)
    .headers({
      ...NO_STORE,
      "content-security-policy": contentSecurityPolicy(options),
    })
    .type("text/html; charset=utf-8")
    .send(html);
}
