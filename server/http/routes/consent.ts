// GET and POST /interaction/:id/consent: the consent page of an authorization request. It
// names the client and each requested scope in words; `decision=allow` remembers the consent
// and returns a code to the client, `decision=deny` returns access_denied. The form's CSRF
// token is bound to the session too, so a form shown to one user cannot be submitted after
// another user signed in in the same browser.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { LoginSession } from "../../accounts/sessions.ts";
import type { Deps } from "../../deps.ts";
import { authorizationError } from "../../errors.ts";
import { completeAuthorization, resolveStep } from "../../oauth/authorize-flow.ts";
import { findInteraction, finishInteraction, type Interaction } from "../../oauth/interactions.ts";
import type { RawParams } from "../../oauth/params.ts";
import { describeScopes } from "../../oauth/scopes.ts";
import { recordEvent } from "../../observability/events.ts";
import type { Client } from "../../store/db/clients.ts";
import type { User } from "../../store/db/users.ts";
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
import { currentSession } from "../session-cookie.ts";

type Params = { id: string };

const csrfPurpose = (id: string, session: LoginSession | null) =>
  `consent:${id}:${session?.sid ?? ""}`;

export default async function consentRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  async function load(id: string): Promise<{ interaction: Interaction; client: Client } | null> {
    const interaction = await findInteraction(deps.kv, id, deps.now());
    if (!interaction) return null;
    const client = await deps.clients.find(interaction.request.clientId);
    return client ? { interaction, client } : null;
  }

  /** What the interaction needs next for the browser making this request. */
  async function stepFor(
    request: FastifyRequest,
    found: { interaction: Interaction; client: Client },
  ) {
    const session = await currentSession(request, deps);
    return resolveStep(
      deps,
      found.interaction.request,
      found.client,
      session,
      found.interaction.loginSid,
    );
  }

  function showConsent(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    found: { interaction: Interaction; client: Client },
    who: { session: LoginSession; user: User },
    error: string | null,
  ) {
    return sendPage(
      reply,
      "consent",
      {
        title: `Allow ${found.client.name}?`,
        clientName: found.client.name,
        userEmail: who.user.email,
        scopes: describeScopes(found.interaction.request.scopes),
        action: interactionPath(deps.config, "consent", id),
        csrf: csrfToken(request, reply, deps.config, csrfPurpose(id, who.session)),
        error,
      },
      {
        status: error === null ? 200 : 400,
        formAction: [formActionSource(found.interaction.request.redirectUri)],
      },
    );
  }

  function toLogin(reply: FastifyReply, id: string, status: 302 | 303) {
    return reply
      .code(status)
      .headers({ location: interactionPath(deps.config, "login", id), "cache-control": "no-store" })
      .send();
  }

  app.get<{ Params: Params }>(PAGE_PATHS.consent, async (request, reply) => {
    const { id } = request.params;
    const found = await load(id);
    if (!found) return interactionGone(reply);
    const { interaction, client } = found;
    try {
      const step = await stepFor(request, found);
      if (step.kind === "login") return toLogin(reply, id, 302);
      if (step.kind === "consent") return await showConsent(request, reply, id, found, step, null);
      // Consent was given meanwhile (in another tab): nothing to ask any more.
      if (!(await finishInteraction(deps.kv, id))) return interactionGone(reply);
      const consent = client.skipConsent ? "skipped" : "remembered";
      const response = await completeAuthorization(
        deps,
        interaction.request,
        step.session,
        consent,
        step.consentLastUsedAt,
      );
      return await sendAuthorizationResponse(reply, response, 302);
    } catch (err) {
      return sendAuthorizationError(request, reply, deps.config, err, interaction.request, 302);
    }
  });

  app.post<{ Params: Params }>(
    PAGE_PATHS.consent,
    { onRequest: requireFormBody },
    async (request, reply) => {
      const { id } = request.params;
      const found = await load(id);
      if (!found) return interactionGone(reply);
      const { interaction, client } = found;
      try {
        const step = await stepFor(request, found);
        // Sending the browser to the login page changes nothing, so it needs no CSRF check.
        if (step.kind === "login") return toLogin(reply, id, 303);
        const form = (request.body ?? {}) as RawParams;
        if (!csrfTokenValid(request, deps.config, csrfPurpose(id, step.session), form.csrf_token)) {
          return await csrfRefused(reply);
        }
        const decision = form.decision;
        if (decision !== "allow" && decision !== "deny") {
          return await showConsent(request, reply, id, found, step, "Choose Allow or Deny.");
        }
        if (!(await finishInteraction(deps.kv, id))) return interactionGone(reply);
        if (decision === "deny") {
          throw authorizationError("access_denied", "The user denied the request.");
        }
        const response = await completeAuthorization(
          deps,
          interaction.request,
          step.session,
          "granted",
        );
        await recordEvent(deps, {
          type: "consent.granted",
          actor: step.session.userId,
          userId: step.session.userId,
          clientId: client.id,
          ip: request.ip,
          requestId: request.id,
          details: { scopes: interaction.request.scopes },
        });
        return await sendAuthorizationResponse(reply, response, 303);
      } catch (err) {
        return sendAuthorizationError(request, reply, deps.config, err, interaction.request, 303);
      }
    },
  );
}
