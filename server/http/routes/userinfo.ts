// GET and POST /oauth/userinfo (OIDC Core §5.3). The token comes from the Authorization header
// or, for a form POST, the body (RFC 6750 §2.1-2.2); errors carry a Bearer challenge (§3).

import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Deps } from "../../deps.ts";
import { extractBearerToken } from "../../oauth/bearer-token.ts";
import type { RawParams } from "../../oauth/params.ts";
import { ENDPOINT_PATHS } from "../../oauth/provider-metadata.ts";
import { userInfo } from "../../oauth/userinfo.ts";
import { NO_STORE } from "../no-store.ts";

function isForm(request: FastifyRequest): boolean {
  const type = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  return request.method === "POST" && type === "application/x-www-form-urlencoded";
}

export default async function userinfoRoutes(
  app: FastifyInstance,
  { deps }: { deps: Deps },
): Promise<void> {
  app.route({
    method: ["GET", "POST"],
    url: ENDPOINT_PATHS.userinfo,
    handler: async (request, reply) => {
      const token = extractBearerToken({
        authorization: request.headers.authorization,
        form: isForm(request) ? ((request.body ?? {}) as RawParams) : null,
        query: request.query as RawParams,
      });
      const claims = await userInfo(deps, token);
      return reply.headers(NO_STORE).type("application/json; charset=utf-8").send(claims);
    },
  });
}
