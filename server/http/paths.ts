// Paths of the pages and page assets, and the URLs the browser is sent to. The issuer may
// carry a path (a reverse proxy maps https://host/tenant/... to this server's /...), so every
// link, form action and redirect the browser follows is made from the issuer's path, never
// from the path this server saw.

import type { Config } from "../config.ts";

export const PAGE_PATHS = {
  login: "/interaction/:id/login",
  otp: "/interaction/:id/otp",
  consent: "/interaction/:id/consent",
  account: "/account",
  accountLogin: "/account/login",
  accountLoginOtp: "/account/login/otp",
  accountTotp: "/account/totp",
  accountTotpStart: "/account/totp/start",
  accountTotpConfirm: "/account/totp/confirm",
  accountTotpRecoveryCodes: "/account/totp/recovery-codes",
  accountTotpDisable: "/account/totp/disable",
  accountPassword: "/account/password",
  accountRevokeApp: "/account/apps/revoke",
  signup: "/interaction/:id/signup",
  accountSignup: "/account/signup",
  passwordForgot: "/password/forgot",
  passwordReset: "/password/reset",
  emailVerify: "/email/verify",
  accountEmailVerify: "/account/email/verify",
  stylesheet: "/assets/style.css",
  formPostScript: "/assets/form-post.js",
} as const;

/** The browser-facing path of a server path: the issuer's path in front of it. */
export function publicPath(config: Pick<Config, "issuer">, path: string): string {
  return `${new URL(config.issuer).pathname.replace(/\/$/, "")}${path}`;
}

export function interactionPath(
  config: Pick<Config, "issuer">,
  step: "login" | "otp" | "consent",
  id: string,
): string {
  return publicPath(config, PAGE_PATHS[step].replace(":id", encodeURIComponent(id)));
}
