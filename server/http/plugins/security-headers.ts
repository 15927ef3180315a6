// Security headers on every response. The Content-Security-Policy allows no inline script or
// style at all and no framing. A route may replace it with a page-specific policy made by
// contentSecurityPolicy(): form-action also governs the redirects that follow a form
// submission (Chromium enforces it on the whole redirect chain), so the login and consent
// pages, whose POST answers with a redirect to the client, and the form_post page, which
// posts to the client, must list the client's redirect URI origin.

import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { type Config, isSecureIssuer } from "../../config.ts";

export interface CspOptions {
  /** Sources the page's forms may submit to (and redirect through) besides 'self'. */
  formAction?: readonly string[];
  /** Allow scripts from 'self' (only the form_post page has one). */
  scripts?: boolean;
}

export function contentSecurityPolicy(options: CspOptions = {}): string {
  const formAction = ["'self'", ...new Set(options.formAction ?? [])].join(" ");
  return [
    "default-src 'none'",
    options.scripts ? "script-src 'self'" : null,
    "style-src 'self'",
    "img-src 'self' data:",
    `form-action ${formAction}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ]
    .filter((directive) => directive !== null)
    .join("; ");
}

/**
 * The CSP source expression that lets a form reach this redirect URI: its origin. CSP host
 * sources cannot express an IPv6 literal, so for one (a loopback client, RFC 8252 §7.3) only
 * the scheme can be given.
 */
export function formActionSource(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.hostname.startsWith("[") ? url.protocol : url.origin;
}

// One year: the issuer's host is https for good once it is (RFC 6797 §11.2). Subdomains are
// not included: they may belong to other services of the operator.
const HSTS = "max-age=31536000";

async function securityHeaders(
  app: FastifyInstance,
  { config }: { config: Pick<Config, "issuer"> },
): Promise<void> {
  const defaultPolicy = contentSecurityPolicy();
  const secure = isSecureIssuer(config);
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (!reply.hasHeader("content-security-policy")) {
      reply.header("content-security-policy", defaultPolicy);
    }
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("x-frame-options", "DENY");
    if (secure) reply.header("strict-transport-security", HSTS);
    done(null, payload);
  });
}

export default fp(securityHeaders, { name: "security-headers" });
