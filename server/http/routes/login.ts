// GET and POST /interaction/:id/login: the login page of an authorization request. A
// successful login starts a new session (a new cookie value and sid, whatever the browser
// held before) and continues the request: to the consent page, or straight back to the
// client when no consent is needed. A failed one shows the page again with one message for
// every cause.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { prepareLogin } from "../../accounts/login.ts";
import { attemptLogin } from "../../accounts/login-attempt.ts";
import { startSession } from "../../accounts/sessions.ts";
import type { Deps } from "../../deps.ts";
import { completeAuthorization, resolveStep } from "../../oauth/authorize-flow.ts";
import {
  findInteraction,
  finishInteraction,
  type Interaction,
  recordInteractionLogin,
} from "../../oauth/interactions.ts";
import type { RawParams } from "../../oauth/params.ts";
import { type Client, findClientById } from "../../store/db/clients.ts";
import {
  csrfRefused,
  interactionGone,
  sendAuthorizationError,
  sendAuthorizationResponse,
} from "../authorization-reply.ts";
import { csrfToken, csrfTokenValid } from "../csrf.ts";
import { sendPage } from "../pages.ts";
import { interactionPath, PAGE_PATHS } from "../paths.ts";
import { requireFormBody } from "../plugins/forms.ts";
import { formActionSource } from "../plugins/security-headers.ts";
import { readSessionCookie, setSessionCookie } from "../session-cookie.ts";

const LOGIN_FAILED = "The email address or password is incorrect.";
// Shown for a temporarily locked account, known or not, and for a throttled IP, with 403: the
// page is HTML, so this is where an API would answer 403 account_locked.
const LOGIN_BLOCKED =
  "Too many failed sign-in attempts. Sign-in is temporarily blocked; try again later.";
const EMAIL_MAX_LENGTH = 254;

type Params = { id: string };

export default async function loginRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  // The unknown-address path verifies against a dummy hash; make it before the first login.
  await prepareLogin();

  function showLogin(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    found: { interaction: Interaction; client: Client },
    form: { email: string | null; error: string | null; status: number },
  ) {
    return sendPage(
      reply,
      "login",
      {
        title: "Sign in",
        clientName: found.client.name,
        action: interactionPath(deps.config, "login", id),
        csrf: csrfToken(request, reply, deps.config, `login:${id}`),
        email: form.email,
        error: form.error,
      },
      {
        status: form.status,
        formAction: [formActionSource(found.interaction.request.redirectUri)],
      },
    );
  }

  async function load(id: string): Promise<{ interaction: Interaction; client: Client } | null> {
    const interaction = await findInteraction(deps.kv, id, deps.now());
    if (!interaction) return null;
    const client = await findClientById(deps.db, interaction.request.clientId);
    return client ? { interaction, client } : null;
  }

  app.get<{ Params: Params }>(PAGE_PATHS.login, async (request, reply) => {
    const { id } = request.params;
    const found = await load(id);
    if (!found) return interactionGone(reply);
    const email = found.interaction.request.loginHint?.slice(0, EMAIL_MAX_LENGTH) ?? null;
    return showLogin(request, reply, id, found, { email, error: null, status: 200 });
  });

  app.post<{ Params: Params }>(
    PAGE_PATHS.login,
    { onRequest: requireFormBody },
    async (request, reply) => {
      const { id } = request.params;
      const found = await load(id);
      if (!found) return interactionGone(reply);
      const form = (request.body ?? {}) as RawParams;
      if (!csrfTokenValid(request, deps.config, `login:${id}`, form.csrf_token)) {
        return csrfRefused(reply);
      }
      const email = typeof form.email === "string" ? form.email.slice(0, EMAIL_MAX_LENGTH) : "";
      const password = typeof form.password === "string" ? form.password : "";
      const result = await attemptLogin(deps, {
        email,
        password,
        ip: request.ip,
        requestId: request.id,
        clientId: found.client.id,
      });
      if (result.outcome !== "success") {
        request.log.info({ outcome: result.outcome }, "login");
        const error = result.outcome === "blocked" ? LOGIN_BLOCKED : LOGIN_FAILED;
        const status = result.outcome === "blocked" ? 403 : 400;
        return showLogin(request, reply, id, found, { email, error, status });
      }
      const { user } = result;
      request.log.info({ outcome: "success", userId: user.id }, "login");

      const { interaction, client } = found;
      try {
        const { cookieValue, session } = await startSession(deps, {
          userId: user.id,
          amr: ["pwd"],
          previousCookieValue: readSessionCookie(request, deps.config),
        });
        setSessionCookie(reply, deps.config, cookieValue);
        await recordInteractionLogin(deps.kv, id, interaction, session.sid, deps.now());
        const step = await resolveStep(deps, interaction.request, client, session, session.sid);
        if (step.kind !== "issue") {
          return reply
            .code(303)
            .headers({
              location: interactionPath(deps.config, step.kind, id),
              "cache-control": "no-store",
            })
            .send();
        }
        if (!(await finishInteraction(deps.kv, id))) return interactionGone(reply);
        const consent = client.skipConsent ? "skipped" : "remembered";
        const response = await completeAuthorization(deps, interaction.request, session, consent);
        return await sendAuthorizationResponse(reply, response, 303);
      } catch (err) {
        return sendAuthorizationError(request, reply, deps.config, err, interaction.request, 303);
      }
    },
  );
}
