// Two-step verification on the account page:
// - POST /account/totp/start makes a new pending secret and goes to GET /account/totp, which
//   shows it as a QR code and as text with a form for the first code;
// - POST /account/totp/confirm checks that code, turns the second factor on and shows the
//   recovery codes, once: they are not stored in a form that could show them again;
// - POST /account/totp/recovery-codes replaces them after a current code from the app;
// - POST /account/totp/disable turns the second factor off after a code from the app or a
//   recovery code.
// Wrong codes on these forms are limited per session.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import QRCode from "qrcode";
import { accountFormBlocked, recordAccountFormFailure } from "../../accounts/login-throttle.ts";
import {
  type AuthenticatorSetup,
  confirmTotpEnrolment,
  disableTotp,
  pendingTotpEnrolment,
  regenerateRecoveryCodes,
  startTotpEnrolment,
} from "../../accounts/second-factor.ts";
import type { Deps } from "../../deps.ts";
import { OAuthError } from "../../errors.ts";
import type { RawParams } from "../../oauth/params.ts";
import { recordEvent } from "../../observability/events.ts";
import {
  accountForm,
  csrfPurpose,
  formField,
  type SignedIn,
  sendAccountPage,
  signedIn,
} from "../account-page.ts";
import { csrfToken } from "../csrf.ts";
import { sendPage } from "../pages.ts";
import { PAGE_PATHS, publicPath } from "../paths.ts";
import { CODE_MAX_LENGTH, redirectTo } from "../sign-in.ts";

const TOO_MANY_CODES = "Too many wrong codes. Wait a few minutes before you try again.";

export default async function accountTotpRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  const accountUrl = publicPath(deps.config, PAGE_PATHS.account);
  const setupUrl = publicPath(deps.config, PAGE_PATHS.accountTotp);

  async function showSetup(
    request: FastifyRequest,
    reply: FastifyReply,
    who: SignedIn,
    setup: AuthenticatorSetup,
    error: string | null,
  ) {
    const qrSvg = await QRCode.toString(setup.otpauthUri, {
      type: "svg",
      margin: 2,
      errorCorrectionLevel: "M",
    });
    return sendPage(
      reply,
      "totp-setup",
      {
        title: "Set up two-step verification",
        email: who.user.email,
        qrSvg,
        secret: setup.secret,
        csrf: csrfToken(request, reply, deps.config, csrfPurpose(who.session)),
        action: publicPath(deps.config, PAGE_PATHS.accountTotpConfirm),
        cancelUrl: accountUrl,
        error,
      },
      { status: error === null ? 200 : 400 },
    );
  }

  function showRecoveryCodes(reply: FastifyReply, codes: string[], first: boolean) {
    return sendPage(reply, "recovery-codes", {
      title: "Your recovery codes",
      first,
      codes,
      accountUrl,
    });
  }

  /** Runs a code-checked change; a wrong code shows the account page with the error. */
  async function withCode(
    request: FastifyRequest,
    reply: FastifyReply,
    who: SignedIn,
    change: () => Promise<FastifyReply>,
  ): Promise<FastifyReply> {
    if (await accountFormBlocked(deps.kv, who.session.sid)) {
      return sendAccountPage(deps, request, reply, who, { done: null, totpError: TOO_MANY_CODES });
    }
    try {
      return await change();
    } catch (err) {
      if (!(err instanceof OAuthError) || err.error !== "invalid_request") throw err;
      await recordAccountFormFailure(deps.kv, who.session.sid);
      return sendAccountPage(deps, request, reply, who, { done: null, totpError: err.description });
    }
  }

  const origin = (request: FastifyRequest, who: SignedIn) => ({
    actor: who.user.id,
    userId: who.user.id,
    ip: request.ip,
    requestId: request.id,
  });
  const code = (form: RawParams) => formField(form, "otp").slice(0, CODE_MAX_LENGTH);

  app.get(PAGE_PATHS.accountTotp, async (request, reply) => {
    const who = await signedIn(deps, request);
    if (who === null) {
      return redirectTo(reply, publicPath(deps.config, PAGE_PATHS.accountLogin), 302);
    }
    const setup = await pendingTotpEnrolment(deps, who.user);
    if (setup === null) return redirectTo(reply, accountUrl, 302);
    return showSetup(request, reply, who, setup, null);
  });

  accountForm(app, deps, PAGE_PATHS.accountTotpStart, async (_request, reply, who) => {
    try {
      await startTotpEnrolment(deps, who.user);
    } catch (err) {
      // Already on: the account page shows that.
      if (!(err instanceof OAuthError) || err.error !== "invalid_request") throw err;
      return redirectTo(reply, accountUrl, 303);
    }
    return redirectTo(reply, setupUrl, 303);
  });

  accountForm(app, deps, PAGE_PATHS.accountTotpConfirm, async (request, reply, who, form) => {
    const setup = await pendingTotpEnrolment(deps, who.user);
    if (setup === null) return redirectTo(reply, accountUrl, 303);
    if (await accountFormBlocked(deps.kv, who.session.sid)) {
      return showSetup(request, reply, who, setup, TOO_MANY_CODES);
    }
    let codes: string[];
    try {
      codes = await confirmTotpEnrolment(deps, who.user, code(form));
    } catch (err) {
      if (!(err instanceof OAuthError) || err.error !== "invalid_request") throw err;
      await recordAccountFormFailure(deps.kv, who.session.sid);
      return showSetup(request, reply, who, setup, err.description);
    }
    await recordEvent(deps, {
      type: "second_factor.enabled",
      ...origin(request, who),
      details: { method: "totp" },
    });
    return showRecoveryCodes(reply, codes, true);
  });

  accountForm(app, deps, PAGE_PATHS.accountTotpRecoveryCodes, (request, reply, who, form) =>
    withCode(request, reply, who, async () => {
      const codes = await regenerateRecoveryCodes(deps, who.user, code(form));
      await recordEvent(deps, { type: "recovery_codes.regenerated", ...origin(request, who) });
      return showRecoveryCodes(reply, codes, false);
    }),
  );

  accountForm(app, deps, PAGE_PATHS.accountTotpDisable, (request, reply, who, form) =>
    withCode(request, reply, who, async () => {
      await disableTotp(deps, who.user, code(form));
      await recordEvent(deps, { type: "second_factor.disabled", ...origin(request, who) });
      return redirectTo(reply, `${accountUrl}?done=totp-off`, 303);
    }),
  );
}
