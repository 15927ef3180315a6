// How the authorization endpoint answers: the second of the two places where an OAuthError
// becomes a response (the root error handler is the first). The authorize route and the
// login and consent steps of its interaction all answer through here. Once the client and
// redirect URI are trusted, a result or an error goes back to the client, in the request's
// response mode; before that, and for problems of the pages themselves, the user sees an
// error page and nothing is redirected.

import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.ts";
import { OAuthError, serverError } from "../errors.ts";
import { type AuthorizationResponse, errorResponse } from "../oauth/authorization-response.ts";
import type { ResponseTarget } from "../oauth/authorize-request.ts";
import { NO_STORE } from "./no-store.ts";
import { sendPage } from "./pages.ts";
import { formActionSource } from "./plugins/security-headers.ts";

/** 302 answers a GET, 303 a form POST (so the browser follows with a GET). */
export type RedirectStatus = 302 | 303;

export function sendAuthorizationResponse(
  reply: FastifyReply,
  response: AuthorizationResponse,
  status: RedirectStatus,
): Promise<FastifyReply> | FastifyReply {
  if (response.mode === "query") {
    return reply
      .code(status)
      .headers({ location: response.location, ...NO_STORE })
      .send();
  }
  return sendPage(
    reply,
    "form-post",
    { title: "Returning to the application", action: response.action, fields: response.fields },
    { scripts: true, formAction: [formActionSource(response.action)] },
  );
}

export interface ErrorPage {
  status: number;
  title: string;
  message: string;
  /** The OAuth error code, shown small for whoever has to debug the client. */
  error?: string;
}

export function sendErrorPage(reply: FastifyReply, page: ErrorPage): Promise<FastifyReply> {
  return sendPage(reply, "error", { ...page }, { status: page.status });
}

export function sendAuthorizationError(
  request: FastifyRequest,
  reply: FastifyReply,
  config: Pick<Config, "issuer">,
  err: unknown,
  target: ResponseTarget | null,
  status: RedirectStatus,
): Promise<FastifyReply> | FastifyReply {
  let error: OAuthError;
  if (err instanceof OAuthError) {
    error = err;
    if (error.detail) request.log.info({ detail: error.detail }, error.error);
  } else {
    request.log.error({ err }, "unexpected error");
    error = serverError((err as Error)?.message ?? String(err));
  }
  const trusted = target !== null && (error.redirectable || error.error === "server_error");
  if (trusted)
    return sendAuthorizationResponse(reply, errorResponse(target, error, config.issuer), status);
  const serverFault = error.status >= 500;
  return sendErrorPage(reply, {
    status: serverFault ? 500 : error.status,
    title: serverFault ? "Something went wrong" : "This request cannot be completed",
    message: serverFault
      ? "The server could not complete the request. Please try again in a moment."
      : `${error.description} Return to the application and try again.`,
    error: error.error,
  });
}

/** The interaction expired, was completed already, or never existed. */
export function interactionGone(reply: FastifyReply): Promise<FastifyReply> {
  return sendErrorPage(reply, {
    status: 404,
    title: "This sign-in request has expired",
    message:
      "It was completed already or waited too long. Return to the application and start again.",
  });
}

/** A form came without a valid CSRF token: sent from elsewhere, stale, or without cookies. */
export function csrfRefused(reply: FastifyReply): Promise<FastifyReply> {
  return sendErrorPage(reply, {
    status: 403,
    title: "This form could not be accepted",
    message:
      "It was not sent from this page, or the page is out of date. Go back, reload the page and try again. This site needs cookies to sign you in.",
  });
}
