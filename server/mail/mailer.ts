// The one way business code sends mail: a template, a recipient and the template's values.
// send() renders, delivers with retries and resolves once the relay accepted the message; if
// every attempt failed it logs an error (with the request id, without the message) and throws
// MailDeliveryError, which the pages turn into "we could not send the mail". Links in mails
// carry tokens, so neither the message nor its values are ever logged.

import type { SelfServiceConfig } from "../config.ts";
import type { Logger } from "../log.ts";
import {
  DEFAULT_RETRY_POLICY,
  MailDeliveryError,
  type RetryPolicy,
  sendWithRetry,
} from "./retry.ts";
import { createMailRenderer, type MailRenderer, type MailTemplate } from "./templates.ts";
import { createTransport, type MailTransport } from "./transports.ts";

export { MailDeliveryError } from "./retry.ts";
export type { MailTemplate } from "./templates.ts";

export interface Mailer {
  /** False when there is no transport (production without SMTP_URL): nothing can be sent. */
  readonly available: boolean;
  send(
    template: MailTemplate,
    to: string,
    values: Record<string, unknown>,
    origin: { requestId?: string | null },
  ): Promise<void>;
  close(): void;
}

export interface MailerDeps {
  config: Pick<SelfServiceConfig, "mailTransport" | "smtpUrl" | "mailFrom">;
  log: Logger;
  /** Counts mails by template and outcome (sent, failed). */
  onResult?: (template: MailTemplate, outcome: "sent" | "failed") => void;
  transport?: MailTransport | null;
  render?: MailRenderer;
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
}

export function createMailer(deps: MailerDeps): Mailer {
  const transport = deps.transport === undefined ? createTransport(deps.config) : deps.transport;
  const render = deps.render ?? createMailRenderer();
  const policy = deps.retry ?? DEFAULT_RETRY_POLICY;
  return {
    available: transport !== null,
    async send(template, to, values, origin) {
      const logFields = { mail: template, requestId: origin.requestId ?? null };
      if (transport === null) {
        throw new MailDeliveryError(0, new Error("no mail transport (SMTP_URL is not set)"));
      }
      const rendered = await render(template, values);
      try {
        const attempts = await sendWithRetry(
          () => transport.send({ from: deps.config.mailFrom, to, ...rendered }),
          policy,
          { log: deps.log, logFields, ...(deps.sleep ? { sleep: deps.sleep } : {}) },
        );
        deps.onResult?.(template, "sent");
        deps.log.info({ ...logFields, attempts }, "mail sent");
      } catch (err) {
        deps.onResult?.(template, "failed");
        deps.log.error({ ...logFields, error: (err as Error).message }, "mail not delivered");
        throw err;
      }
    },
    close: () => transport?.close(),
  };
}
