// The admin API: the operator operations over HTTP, for the `latchkey` CLI while a server
// holds the embedded database. Reachable only from loopback peers that present the token the
// server published in the data folder's lock file; never advertised. Bodies carry passwords
// and secrets, so they are neither logged nor cached.

import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Deps } from "../../deps.ts";
import { notFound, OAuthError, unauthorized } from "../../errors.ts";
import { loadKeyEncryptionKey } from "../../keys/kek.ts";
import { ADMIN_OPS_PATH, OPERATION_NAMES } from "../../operator/names.ts";
import { createOperations } from "../../operator/operations.ts";
import { ADMIN_BODY_SCHEMAS } from "../schemas/admin.ts";

export interface AdminRoutesOptions {
  deps: Deps;
  adminToken: string;
}

/** True for 127.0.0.0/8 and ::1, also in their IPv4-mapped IPv6 spelling. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.toLowerCase().replace(/^::ffff:(?=\d+\.)/, "");
  if (isIP(plain) === 4) return plain.startsWith("127.");
  return plain === "::1";
}

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

export default async function adminRoutes(
  app: FastifyInstance,
  options: AdminRoutesOptions,
): Promise<void> {
  const { deps } = options;
  const expected = digest(options.adminToken);
  let kek: Promise<Buffer> | undefined;
  const ops = createOperations({
    db: deps.db,
    config: deps.config,
    now: deps.now,
    log: deps.log,
    kek: () => {
      kek ??= loadKeyEncryptionKey(deps.config, deps.log);
      return kek;
    },
    afterKeysRotate: () => deps.keys.refresh(),
    kv: async () => deps.kv,
  });

  // Runs before the body is read, so nothing from an unauthenticated caller is parsed.
  app.addHook("onRequest", async (request: FastifyRequest, reply) => {
    reply.header("cache-control", "no-store");
    // A reverse proxy on this host is a loopback peer too; what it forwards is not.
    const { headers } = request;
    const relayed = ["forwarded", "x-forwarded-for", "x-real-ip"].some((h) => h in headers);
    if (!isLoopbackAddress(request.socket.remoteAddress) || relayed) {
      throw new OAuthError("forbidden", "The admin API accepts local connections only.", {
        status: 403,
      });
    }
    const match = /^Bearer ([\x21-\x7e]+)$/.exec(request.headers.authorization ?? "");
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      throw unauthorized("The admin token is missing or wrong.");
    }
  });

  for (const name of OPERATION_NAMES) {
    app.post(
      `${ADMIN_OPS_PATH}/${name}`,
      { schema: { body: ADMIN_BODY_SCHEMAS[name] } },
      (request) => ops[name](request.body as never),
    );
  }

  // Behind the same checks as the operations, so it reveals nothing to other callers.
  app.all("/admin/*", async (request) => {
    throw notFound(`No admin operation ${request.method} ${request.url.split("?")[0]}.`);
  });
}
