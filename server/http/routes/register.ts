// POST /oauth/register, the client registration endpoint (RFC 7591 §3). Served only while
// REGISTRATION is open or token, so discovery advertises it only then. In token mode the
// initial access token is checked before the body is read; the response carries the new
// client's secret and registration access token, so neither it nor its errors are cached.

import type { FastifyInstance } from "fastify";
import type { Deps } from "../../deps.ts";
import type { RawParams } from "../../oauth/params.ts";
import { ENDPOINT_PATHS } from "../../oauth/provider-metadata.ts";
import { registerClient } from "../../oauth/registration.ts";
import { checkInitialAccessToken } from "../../oauth/registration-access.ts";
import { recordEvent } from "../../observability/events.ts";
import { requireJsonBody } from "../json-body.ts";
import { NO_STORE } from "../no-store.ts";

export default async function registerRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  const initialAccess = async (request: { headers: { authorization?: string }; query: unknown }) =>
    checkInitialAccessToken(deps.config, {
      authorization: request.headers.authorization,
      query: request.query as RawParams,
    });

  app.post(
    ENDPOINT_PATHS.registration,
    { onRequest: [initialAccess, requireJsonBody] },
    async (request, reply) => {
      const { client, information } = await registerClient(
        { db: deps.db, config: deps.config, now: deps.now() },
        request.body,
      );
      request.log.info(
        { client_id: client.id, auth_method: client.authMethod, grant_types: client.grantTypes },
        "client registered",
      );
      await recordEvent(deps, {
        type: "client.created",
        actor: client.id,
        clientId: client.id,
        ip: request.ip,
        requestId: request.id,
        details: { client_name: client.name, registration: true },
      });
      return reply
        .code(201)
        .headers(NO_STORE)
        .type("application/json; charset=utf-8")
        .send(information);
    },
  );
}
