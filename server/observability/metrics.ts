// Prometheus metrics (prom-client). buildApp() creates one Metrics per app, with its own
// Registry, and hands it down in Deps: nothing is registered globally, so two apps in one
// process (the tests) never share counters. Label values are fixed sets chosen by the server
// (outcomes, grant types, RFC error codes, route patterns), never user input.

import { Counter, Gauge, Registry } from "prom-client";
import { RequestHistogram } from "./request-histogram.ts";

export const LOGIN_OUTCOMES = ["success", "failure", "locked"] as const;
export type LoginOutcome = (typeof LOGIN_OUTCOMES)[number];

export interface Metrics {
  registry: Registry;
  /** Password logins by outcome: success, failure, or refused because the account is locked. */
  logins: Counter<"outcome">;
  /** Token responses by grant_type. */
  tokensIssued: Counter<"grant_type">;
  /** Token-endpoint error responses by their RFC 6749 §5.2 code. */
  tokenErrors: Counter<"error">;
  /** Presentations of an already-rotated refresh token (the family is then revoked). */
  refreshReuseDetections: Counter;
  /** Presentations of an already-redeemed authorization code. */
  codeReuseDetections: Counter;
  /** Accounts locked after too many failed logins (incremented by the lockout rules). */
  lockouts: Counter;
  /** Sessions started by a completed login. */
  sessionsStarted: Counter;
  /** Sessions alive now, read from the store's session index at each scrape. */
  activeSessions: Gauge;
  /** Tells activeSessions where to count; buildApp() sets it once the store is open. */
  countActiveSessionsWith(count: () => Promise<number>): void;
  /** Self-service mails by template and outcome (sent, or failed after every retry). */
  mails: Counter<"template" | "outcome">;
  /** HTTP request duration by method, route pattern and status code. */
  httpDuration: RequestHistogram;
}

// Process metrics (collectDefaultMetrics) are left out: they start timers and observers per
// registry, and a Node exporter or the orchestrator reports process resources already.
export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  let countActive: (() => Promise<number>) | null = null;
  const metrics: Metrics = {
    registry,
    logins: new Counter({
      name: "latchkey_logins_total",
      help: "Password logins by outcome (success, failure, locked).",
      labelNames: ["outcome"],
      registers,
    }),
    tokensIssued: new Counter({
      name: "latchkey_tokens_issued_total",
      help: "Successful token-endpoint responses by grant type.",
      labelNames: ["grant_type"],
      registers,
    }),
    tokenErrors: new Counter({
      name: "latchkey_token_errors_total",
      help: "Token-endpoint error responses by error code.",
      labelNames: ["error"],
      registers,
    }),
    refreshReuseDetections: new Counter({
      name: "latchkey_refresh_reuse_detections_total",
      help: "Rotated refresh tokens presented again; each revokes its family.",
      registers,
    }),
    codeReuseDetections: new Counter({
      name: "latchkey_code_reuse_detections_total",
      help: "Authorization codes presented again; each revokes what the code issued.",
      registers,
    }),
    lockouts: new Counter({
      name: "latchkey_lockouts_total",
      help: "Accounts locked after too many failed logins.",
      registers,
    }),
    sessionsStarted: new Counter({
      name: "latchkey_sessions_started_total",
      help: "Browser sessions started by a login.",
      registers,
    }),
    activeSessions: new Gauge({
      name: "latchkey_active_sessions",
      help: "Browser sessions alive now (in the shared store: the same on every instance).",
      registers,
      async collect() {
        if (countActive !== null) this.set(await countActive());
      },
    }),
    countActiveSessionsWith(count) {
      countActive = count;
    },
    mails: new Counter({
      name: "latchkey_mails_total",
      help: "Self-service mails by template and outcome (sent, failed).",
      labelNames: ["template", "outcome"],
      registers,
    }),
    httpDuration: new RequestHistogram({
      name: "latchkey_http_request_duration_seconds",
      help: "HTTP request duration by method, route pattern and status code.",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
  for (const outcome of LOGIN_OUTCOMES) metrics.logins.inc({ outcome }, 0);
  return metrics;
}
