// The two static files the pages use: the one stylesheet and the form_post page's script.
// They are read once at start and served under fixed paths; the links carry a digest of the
// content (?v=...), so browsers may cache them for a year and still see a new version at
// once after a deployment.

import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { Config } from "../config.ts";
import { PAGE_PATHS, publicPath } from "./paths.ts";

export interface PageAsset {
  /** The route path. */
  path: string;
  /** The browser-facing URL, with the content digest. */
  url: string;
  body: Buffer;
  contentType: string;
}

export interface PageAssets {
  stylesheet: PageAsset;
  formPostScript: PageAsset;
}

export const VIEWS_DIR = path.resolve(import.meta.dirname, "../../views");

async function loadAsset(
  config: Pick<Config, "issuer">,
  file: string,
  routePath: string,
  contentType: string,
): Promise<PageAsset> {
  const body = await fs.readFile(path.join(VIEWS_DIR, file));
  const digest = createHash("sha256").update(body).digest("base64url").slice(0, 16);
  return {
    path: routePath,
    url: `${publicPath(config, routePath)}?v=${digest}`,
    body,
    contentType,
  };
}

export async function loadPageAssets(config: Pick<Config, "issuer">): Promise<PageAssets> {
  return {
    stylesheet: await loadAsset(
      config,
      "style.css",
      PAGE_PATHS.stylesheet,
      "text/css; charset=utf-8",
    ),
    formPostScript: await loadAsset(
      config,
      "form-post.js",
      PAGE_PATHS.formPostScript,
      "text/javascript; charset=utf-8",
    ),
  };
}
