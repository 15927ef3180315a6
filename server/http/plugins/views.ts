// Handlebars pages (@fastify/view): one layout (views/layouts/main.hbs) around pages in
// views/pages/, with the partials of views/partials/ registered by file name. Templates are
// compiled once and cached; Handlebars escapes every {{value}}, and the templates use no
// triple-stash except for the layout's body.

import fs from "node:fs/promises";
import path from "node:path";
import view from "@fastify/view";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import Handlebars from "handlebars";
import { type PageAssets, VIEWS_DIR } from "../assets.ts";

async function views(app: FastifyInstance, { assets }: { assets: PageAssets }): Promise<void> {
  const partialFiles = (await fs.readdir(path.join(VIEWS_DIR, "partials"))).filter((file) =>
    file.endsWith(".hbs"),
  );
  const partials = Object.fromEntries(
    partialFiles.map((file) => [path.basename(file, ".hbs"), `partials/${file}`]),
  );
  await app.register(view, {
    // Our own instance, so nothing else in the process can register helpers or partials on it.
    engine: { handlebars: Handlebars.create() },
    root: VIEWS_DIR,
    layout: "layouts/main.hbs",
    // Always cache: templates change only with a deployment (and no behaviour keys off NODE_ENV).
    production: true,
    options: { partials },
    defaultContext: {
      stylesheetUrl: assets.stylesheet.url,
      formPostScriptUrl: assets.formPostScript.url,
    },
  });
}

export default fp(views, { name: "views" });
