// POST /account/email/verify: "Send a confirmation link" on the account page of a user whose
// address is not verified (an account the operator made, or one from before sign-up). The
// link is mailed like any verification link; a relay that refuses it gets the honest "could
// not send" page.

import type { FastifyInstance } from "fastify";
import { sendVerificationLink } from "../../accounts/email-verification.ts";
import type { Deps } from "../../deps.ts";
import { MailDeliveryError } from "../../mail/mailer.ts";
import { accountForm } from "../account-page.ts";
import { PAGE_PATHS, publicPath } from "../paths.ts";
import { mailLinks, sendMailFailed } from "../self-service.ts";
import { redirectTo } from "../sign-in.ts";

export default async function accountEmailVerifyRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  const accountUrl = publicPath(deps.config, PAGE_PATHS.account);
  accountForm(app, deps, PAGE_PATHS.accountEmailVerify, async (request, reply, who) => {
    if (who.user.emailVerified) return redirectTo(reply, accountUrl, 303);
    let sent: boolean;
    try {
      sent = await sendVerificationLink(deps, who.user, mailLinks(deps.config, null), {
        ip: request.ip,
        requestId: request.id,
      });
    } catch (err) {
      if (err instanceof MailDeliveryError) return sendMailFailed(reply, request.id);
      throw err;
    }
    const done = sent ? "verification" : "verification-limit";
    return redirectTo(reply, `${accountUrl}?done=${done}`, 303);
  });
}
