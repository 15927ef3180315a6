// GET /assets/style.css and GET /assets/form-post.js: the pages' static files, cached for a
// year without revalidation: the pages link them with a content digest (see http/assets.ts),
// so a new version has a new URL.

import type { FastifyInstance } from "fastify";
import type { PageAssets } from "../assets.ts";

const IMMUTABLE = "public, max-age=31536000, immutable";

export default async function assetRoutes(
  app: FastifyInstance,
  { assets }: { assets: PageAssets },
): Promise<void> {
  for (const asset of [assets.stylesheet, assets.formPostScript]) {
    app.get(asset.path, async (_request, reply) =>
      reply.header("cache-control", IMMUTABLE).type(asset.contentType).send(asset.body),
    );
  }
}
