// GET, PUT and DELETE /oauth/register/:client_id, the client configuration endpoint
// (RFC 7592 §2): a dynamically registered client reads, replaces or deletes its registration
// with its registration access token as a Bearer token. Served with the registration
// endpoint; responses carry the token, so nothing here is cached.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Deps } from "../../deps.ts";
import type { RawParams } from "../../oauth/params.ts";
import { ENDPOINT_PATHS } from "../../oauth/provider-metadata.ts";
import {
  deleteRegistration,
  type RegistrationContext,
  readRegistration,
  updateRegistration,
} from "../../oauth/registration.ts";
import { presentedBearerToken } from "../../oauth/registration-access.ts";
import { recordEvent } from "../../observability/events.ts";
import { requireJsonBody } from "../json-body.ts";
import { NO_STORE } from "../no-store.ts";

type ClientRoute = { Params: { client_id: string } };

const PATH = `${ENDPOINT_PATHS.registration}/:client_id`;

function noStore(reply: FastifyReply): FastifyReply {
  return reply.headers(NO_STORE).type("application/json; charset=utf-8");
}

export default async function registerClientRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  const context = (): RegistrationContext => ({
    db: deps.db,
    config: deps.config,
    now: deps.now(),
  });
  // Dynamic registration changes are made by the client itself, with its registration token.
  const recordChange = (
    request: FastifyRequest,
    type: "client.updated" | "client.deleted",
    clientId: string,
  ) =>
    recordEvent(deps, { type, actor: clientId, clientId, ip: request.ip, requestId: request.id });
  const token = (request: FastifyRequest) =>
    presentedBearerToken({
      authorization: request.headers.authorization,
      query: request.query as RawParams,
    });

  app.get<ClientRoute>(PATH, async (request, reply) => {
    const information = await readRegistration(context(), request.params.client_id, token(request));
    return noStore(reply).send(information);
  });

  app.put<ClientRoute>(PATH, { onRequest: requireJsonBody }, async (request, reply) => {
    const { client, information } = await updateRegistration(
      context(),
      request.params.client_id,
      token(request),
      request.body,
    );
    request.log.info({ client_id: client.id }, "client registration updated");
    await recordChange(request, "client.updated", client.id);
    return noStore(reply).send(information);
  });

  app.delete<ClientRoute>(PATH, async (request, reply) => {
    await deleteRegistration(context(), request.params.client_id, token(request));
    request.log.info({ client_id: request.params.client_id }, "client registration deleted");
    await recordChange(request, "client.deleted", request.params.client_id);
    return reply.code(204).headers(NO_STORE).send();
  });
}
