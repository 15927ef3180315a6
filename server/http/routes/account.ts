// The account page of a signed-in user (GET /account) and two of its forms: the password
// change (POST /account/password) and taking an app's access back (POST /account/apps/revoke).
// Without a live session the browser goes to the account login, which comes back here. The
// two-step verification forms are in account-totp.ts; what the forms share is in
// ../account-page.ts.

import type { FastifyInstance } from "fastify";
import { revokeAppAccess } from "../../accounts/apps-with-access.ts";
import { changePassword } from "../../accounts/password-change.ts";
import type { Deps } from "../../deps.ts";
import { OAuthError } from "../../errors.ts";
import { accountForm, formField, sendAccountPage, signedIn } from "../account-page.ts";
import { PAGE_PATHS, publicPath } from "../paths.ts";
import { redirectTo } from "../sign-in.ts";

const CLIENT_ID_MAX_LENGTH = 255;

export default async function accountRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  const accountUrl = publicPath(deps.config, PAGE_PATHS.account);

  app.get<{ Querystring: { done?: unknown } }>(PAGE_PATHS.account, async (request, reply) => {
    const who = await signedIn(deps, request);
    if (who === null) {
      return redirectTo(reply, publicPath(deps.config, PAGE_PATHS.accountLogin), 302);
    }
    const done = typeof request.query.done === "string" ? request.query.done : null;
    return sendAccountPage(deps, request, reply, who, { done });
  });

  accountForm(app, deps, PAGE_PATHS.accountPassword, async (request, reply, who, form) => {
    try {
      await changePassword(
        deps,
        who.session,
        {
          currentPassword: formField(form, "current_password"),
          newPassword: formField(form, "new_password"),
          confirmation: formField(form, "new_password_confirm"),
        },
        { ip: request.ip, requestId: request.id },
      );
    } catch (err) {
      if (!(err instanceof OAuthError) || err.error !== "invalid_request") throw err;
      return sendAccountPage(deps, request, reply, who, {
        done: null,
        passwordError: err.description,
      });
    }
    return redirectTo(reply, `${accountUrl}?done=password`, 303);
  });

  accountForm(app, deps, PAGE_PATHS.accountRevokeApp, async (request, reply, who, form) => {
    const clientId = formField(form, "client_id");
    if (clientId === "" || clientId.length > CLIENT_ID_MAX_LENGTH) {
      return redirectTo(reply, accountUrl, 303);
    }
    await revokeAppAccess(deps, who.user.id, clientId, { ip: request.ip, requestId: request.id });
    return redirectTo(reply, `${accountUrl}?done=revoked`, 303);
  });
}
