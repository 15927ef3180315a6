// Helpers for the self-service page tests: submitting a page's form with all its hidden
// fields (the link token, the interaction), and comparing pages that echo what was typed.

import type { LightMyRequestResponse } from "fastify";
import { type Browser, formAction } from "./authorize-flow.ts";

/** Every hidden input of the page's forms. */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    fields[match[1]!] = match[2]!.replaceAll("&amp;", "&").replaceAll("&#x3D;", "=");
  }
  return fields;
}

/** Submits the page's (first) form with its hidden fields and the given ones. */
export function submitAll(
  browser: Browser,
  page: LightMyRequestResponse,
  fields: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return browser.post(formAction(page.body), { ...hiddenFields(page.body), ...fields });
}

/** The page with the typed address, interaction ids, CSRF tokens and request ids replaced. */
export function comparable(body: string, email: string): string {
  return body
    .replaceAll(email, "EMAIL")
    .replace(/name="csrf_token" value="[^"]*"/g, 'name="csrf_token" value="CSRF"')
    .replace(/\/interaction\/[\w-]{43}\//g, "/interaction/ID/")
    .replace(/interaction(=|&#x3D;)[\w-]{43}/g, "interaction=ID")
    .replace(/request [\w-]+\./g, "request ID.");
}
