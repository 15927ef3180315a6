// Delivering one message with retries. SMTP failures are mostly passing (a greylisting 4xx, a
// relay restarting, a dropped connection), so a failed attempt is repeated after a growing,
// jittered pause; after the last one the caller gets a MailDeliveryError and must tell the
// user, because a mail that silently never came looks exactly like one that was sent.

import type { Logger } from "../log.ts";

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** The pause after the first failure, in milliseconds; doubled after each further one. */
  baseDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 3, baseDelayMs: 500 };

export class MailDeliveryError extends Error {
  readonly attempts: number;
  constructor(attempts: number, cause: unknown) {
    super(`mail not delivered after ${attempts} attempts: ${describeError(cause)}`, { cause });
    this.name = "MailDeliveryError";
    this.attempts = attempts;
  }
}

/** What a failed send may log: the SMTP code and message, never the message being sent. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const { code, responseCode } = err as { code?: unknown; responseCode?: unknown };
  const prefix = [code, responseCode].filter((part) => part !== undefined).join(" ");
  return `${prefix ? `${prefix}: ` : ""}${err.message}`.slice(0, 300);
}

export interface RetryContext {
  log: Logger;
  /** Names the mail in log lines: its template and the request that asked for it. */
  logFields: Record<string, unknown>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export async function sendWithRetry(
  send: () => Promise<void>,
  policy: RetryPolicy,
  context: RetryContext,
): Promise<number> {
  const sleep = context.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const random = context.random ?? Math.random;
  let lastError: unknown;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    try {
      await send();
      return attempt;
    } catch (err) {
      lastError = err;
      const last = attempt === policy.attempts;
      context.log.warn(
        { ...context.logFields, attempt, error: describeError(err) },
        last ? "mail attempt failed, giving up" : "mail attempt failed, retrying",
      );
      if (!last) {
        // Full jitter between half and all of the exponential pause, so instances that failed
        // together do not retry in step.
        const pause = policy.baseDelayMs * 2 ** (attempt - 1);
        await sleep(pause / 2 + random() * (pause / 2));
      }
    }
  }
  throw new MailDeliveryError(policy.attempts, lastError);
}
