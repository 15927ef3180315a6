// What the login pages share: their messages, the cookie of a login waiting for its second
// factor, and what happens once a login is complete, in an authorization request (continue
// it: consent, or straight back to the client) or on the account page (go to /account). A
// completed login always starts a new session: a new cookie value and sid, whatever the
// browser held before.

import type { FastifyReply, FastifyRequest } from "fastify";
import { PENDING_LOGIN_TTL } from "../accounts/pending-login.ts";
import { startSession } from "../accounts/sessions.ts";
import type { Config } from "../config.ts";
import type { Deps } from "../deps.ts";
import { completeAuthorization, resolveStep } from "../oauth/authorize-flow.ts";
import {
  findInteraction,
  finishInteraction,
  type Interaction,
  recordInteractionLogin,
} from "../oauth/interactions.ts";
import type { Client } from "../store/db/clients.ts";
import {
  interactionGone,
  sendAuthorizationError,
  sendAuthorizationResponse,
} from "./authorization-reply.ts";
import { csrfToken } from "./csrf.ts";
import { NO_STORE } from "./no-store.ts";
import { sendPage } from "./pages.ts";
import { interactionPath, PAGE_PATHS, publicPath } from "./paths.ts";
import { cookieName, cookieOptions } from "./plugins/cookies.ts";
import { formActionSource } from "./plugins/security-headers.ts";
import { selfServiceLinks } from "./self-service.ts";
import { readSessionCookie, setSessionCookie } from "./session-cookie.ts";

export const LOGIN_FAILED = "The email address or password is incorrect.";
// Shown for a temporarily locked account, known or not, and for a throttled IP, with 403: the
// page is HTML, so this is where an API would answer 403 account_locked.
export const LOGIN_BLOCKED =
  "Too many failed sign-in attempts. Sign-in is temporarily blocked; try again later.";
export const CODE_WRONG = "That code is not right, or it was used already. Try the next one.";
export const EMAIL_MAX_LENGTH = 254;
/** Longer than any TOTP or recovery code with spaces; a longer input is no code. */
export const CODE_MAX_LENGTH = 64;

/** The purpose of a pending login to the account page (interactions use "interaction:<id>"). */
export const ACCOUNT_LOGIN_PURPOSE = "account";

const PENDING_LOGIN_COOKIE = "latchkey-pending-login";

export function readPendingLoginCookie(
  request: FastifyRequest,
  config: Pick<Config, "issuer">,
): string | undefined {
  return request.cookies[cookieName(config, PENDING_LOGIN_COOKIE)];
}

export function setPendingLoginCookie(
  reply: FastifyReply,
  config: Pick<Config, "issuer">,
  value: string,
): void {
  reply.setCookie(cookieName(config, PENDING_LOGIN_COOKIE), value, {
    ...cookieOptions(config),
    maxAge: PENDING_LOGIN_TTL,
  });
}

export function clearPendingLoginCookie(reply: FastifyReply, config: Pick<Config, "issuer">) {
  reply.clearCookie(cookieName(config, PENDING_LOGIN_COOKIE), cookieOptions(config));
}

export function redirectTo(reply: FastifyReply, location: string, status: 302 | 303) {
  return reply
    .code(status)
    .headers({ location, ...NO_STORE })
    .send();
}

type LoginForm = { email: string | null; error: string | null; status: number };

/** The login page, for an interaction (id) or for the account page (null). */
function sendLoginPage(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  page: { clientName: string; action: string; csrfPurpose: string; interaction: string | null },
  form: LoginForm,
  formAction?: string[],
): Promise<FastifyReply> {
  return sendPage(
    reply,
    "login",
    {
      title: "Sign in",
      clientName: page.clientName,
      action: page.action,
      csrf: csrfToken(request, reply, deps.config, page.csrfPurpose),
      email: form.email,
      error: form.error,
      ...selfServiceLinks(deps, page.interaction),
    },
    formAction === undefined ? { status: form.status } : { status: form.status, formAction },
  );
}

/** The login page of an interaction, empty or with the email typed and an error. */
export function sendInteractionLogin(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  found: { interaction: Interaction; client: Client },
  form: LoginForm,
): Promise<FastifyReply> {
  return sendLoginPage(
    deps,
    request,
    reply,
    {
      clientName: found.client.name,
      action: interactionPath(deps.config, "login", id),
      csrfPurpose: `login:${id}`,
      interaction: id,
    },
    form,
    [formActionSource(found.interaction.request.redirectUri)],
  );
}

export const ACCOUNT_LOGIN_CSRF = "account-login";
/** How the login pages name the account page where an app's name would be. */
export const ACCOUNT_NAME = "your Latchkey account";

/** The account page's own login page, empty or with the email typed and an error. */
export function sendAccountLogin(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  form: LoginForm,
): Promise<FastifyReply> {
  return sendLoginPage(
    deps,
    request,
    reply,
    {
      clientName: ACCOUNT_NAME,
      action: publicPath(deps.config, PAGE_PATHS.accountLogin),
      csrfPurpose: ACCOUNT_LOGIN_CSRF,
      interaction: null,
    },
    form,
  );
}

/** The code page of a login waiting for its second factor, empty or with an error. */
export function sendCodePage(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  page: { clientName: string; action: string; restartUrl: string; csrfPurpose: string },
  form: { error: string | null; status: number },
  formAction?: string[],
): Promise<FastifyReply> {
  return sendPage(
    reply,
    "login-otp",
    {
      title: "Two-step verification",
      clientName: page.clientName,
      action: page.action,
      restartUrl: page.restartUrl,
      csrf: csrfToken(request, reply, deps.config, page.csrfPurpose),
      error: form.error,
    },
    formAction === undefined ? { status: form.status } : { status: form.status, formAction },
  );
}

/** The interaction and its client, or null when either is gone. */
export async function loadInteraction(
  deps: Deps,
  id: string,
): Promise<{ interaction: Interaction; client: Client } | null> {
  const interaction = await findInteraction(deps.kv, id, deps.now());
  if (!interaction) return null;
  const client = await deps.clients.find(interaction.request.clientId);
  return client ? { interaction, client } : null;
}

/** The completed login of an authorization request: a session, then the request's next step. */
export async function signInToInteraction(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  found: { interaction: Interaction; client: Client },
  login: { userId: string; amr: string[] },
): Promise<FastifyReply> {
  const { interaction, client } = found;
  try {
    const { cookieValue, session } = await startSession(deps, {
      ...login,
      previousCookieValue: readSessionCookie(request, deps.config),
    });
    deps.metrics.sessionsStarted.inc();
    setSessionCookie(reply, deps.config, cookieValue);
    await recordInteractionLogin(deps.kv, id, interaction, session.sid, deps.now());
    const step = await resolveStep(deps, interaction.request, client, session, session.sid);
    if (step.kind !== "issue") {
      return redirectTo(reply, interactionPath(deps.config, step.kind, id), 303);
    }
    if (!(await finishInteraction(deps.kv, id))) return interactionGone(reply);
    const consent = client.skipConsent ? "skipped" : "remembered";
    const response = await completeAuthorization(
      deps,
      interaction.request,
      session,
      consent,
      step.consentLastUsedAt,
    );
    return await sendAuthorizationResponse(reply, response, 303);
  } catch (err) {
    return sendAuthorizationError(request, reply, deps.config, err, interaction.request, 303);
  }
}

/** The completed login of the account page: a session, then the account page. */
export async function signInToAccount(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  login: { userId: string; amr: string[] },
): Promise<FastifyReply> {
  const { cookieValue } = await startSession(deps, {
    ...login,
    previousCookieValue: readSessionCookie(request, deps.config),
  });
  deps.metrics.sessionsStarted.inc();
  setSessionCookie(reply, deps.config, cookieValue);
  return redirectTo(reply, publicPath(deps.config, PAGE_PATHS.account), 303);
}
