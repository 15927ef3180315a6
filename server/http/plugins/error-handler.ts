// The root error handler: one of the two places that turn errors into responses. OAuthError
// keeps its code, status and headers; a schema validation failure or a malformed request
// becomes invalid_request; anything else is a server_error with a fixed text, and the real
// cause is logged with the request id only.

import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import fp from "fastify-plugin";
import { OAuthError, serverError, toErrorBody } from "../../errors.ts";
import { NO_STORE } from "../no-store.ts";

function send(reply: FastifyReply, err: OAuthError): FastifyReply {
  return reply
    .code(err.status)
    .headers({ ...err.headers, ...NO_STORE })
    .type("application/json; charset=utf-8")
    .send(toErrorBody(err));
}

const CLIENT_ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "The request is malformed.",
  413: "The request body is too large.",
  415: "The request content type is not supported.",
};

async function errorHandler(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError | OAuthError, request, reply) => {
    if (error instanceof OAuthError) {
      if (error.status >= 500) request.log.error({ detail: error.detail }, error.error);
      else if (error.detail) request.log.info({ detail: error.detail }, error.error);
      return send(reply, error);
    }
    if (error.validation) {
      return send(reply, new OAuthError("invalid_request", error.message));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const description = CLIENT_ERROR_DESCRIPTIONS[status] ?? "The request is invalid.";
      return send(reply, new OAuthError("invalid_request", description, { status }));
    }
    request.log.error({ err: error }, "unexpected error");
    return send(reply, serverError(error.message));
  });

  app.setNotFoundHandler((request, reply) =>
    send(
      reply,
      new OAuthError("not_found", `No route for ${request.method} ${request.url.split("?")[0]}.`, {
        status: 404,
      }),
    ),
  );
}

export default fp(errorHandler, { name: "error-handler" });
