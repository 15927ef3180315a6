// GET and POST /oauth/authorize: the authorization endpoint (RFC 6749 §4.1.1, OIDC Core
// §3.1.2). GET reads the query string, POST the form body (OIDC Core §3.1.2.1). A browser
// with a session that needs neither login nor consent gets its code at once; otherwise the
// validated request becomes an interaction and the browser goes to its login or consent page.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Deps } from "../../deps.ts";
import { completeAuthorization, resolveStep } from "../../oauth/authorize-flow.ts";
import {
  type ResponseTarget,
  resolveClientAndTarget,
  validateAuthorizationRequest,
} from "../../oauth/authorize-request.ts";
import { idTokenHintSubject } from "../../oauth/id-token-hint.ts";
import { createInteraction } from "../../oauth/interactions.ts";
import type { RawParams } from "../../oauth/params.ts";
import { ENDPOINT_PATHS } from "../../oauth/provider-metadata.ts";
import {
  type RedirectStatus,
  sendAuthorizationError,
  sendAuthorizationResponse,
} from "../authorization-reply.ts";
import { interactionPath } from "../paths.ts";
import { requireFormBody } from "../plugins/forms.ts";
import { currentSession } from "../session-cookie.ts";

export default async function authorizeRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  async function authorize(
    request: FastifyRequest,
    reply: FastifyReply,
    raw: RawParams,
    status: RedirectStatus,
  ): Promise<FastifyReply> {
    let target: ResponseTarget | null = null;
    try {
      const resolved = await resolveClientAndTarget(raw, (id) => deps.clients.find(id));
      const { client } = resolved;
      target = resolved.target;
      const authRequest = await validateAuthorizationRequest(raw, client, target, {
        pkceRequired: deps.config.pkceRequired,
        idTokenHintSubject: (hint) => idTokenHintSubject(hint, deps),
      });
      const session = await currentSession(request, deps);
      const step = await resolveStep(deps, authRequest, client, session);
      if (step.kind === "issue") {
        const consent = client.skipConsent ? "skipped" : "remembered";
        const response = await completeAuthorization(
          deps,
          authRequest,
          step.session,
          consent,
          step.consentLastUsedAt,
        );
        return await sendAuthorizationResponse(reply, response, status);
      }
      const id = await createInteraction(deps.kv, authRequest, deps.now());
      return reply
        .code(status)
        .headers({
          location: interactionPath(deps.config, step.kind, id),
          "cache-control": "no-store",
        })
        .send();
    } catch (err) {
      return sendAuthorizationError(request, reply, deps.config, err, target, status);
    }
  }

  app.get(ENDPOINT_PATHS.authorization, (request, reply) =>
    authorize(request, reply, request.query as RawParams, 302),
  );
  app.post(ENDPOINT_PATHS.authorization, { onRequest: requireFormBody }, (request, reply) =>
    authorize(request, reply, (request.body ?? {}) as RawParams, 303),
  );
}
