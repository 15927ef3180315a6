// Where mail goes. With SMTP_URL, to that relay through nodemailer. In the embedded default
// without it, to the console: a newcomer on a laptop can then click the links at once. That
// is the one place where a link's token is printed, and only there, on purpose. A production
// server without SMTP_URL has no transport, and the pages that would need one are off.

import nodemailer from "nodemailer";
import type { SelfServiceConfig } from "../config.ts";

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** Timeouts in milliseconds: a hanging relay must not hold a sign-up request for minutes. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

export function smtpTransport(url: string): MailTransport {
  const transporter = nodemailer.createTransport({ url, ...SMTP_TIMEOUTS });
  return {
    async send(mail) {
      await transporter.sendMail(mail);
    },
    close: () => transporter.close(),
  };
}

export function consoleTransport(write: (text: string) => void): MailTransport {
  return {
    async send(mail) {
      const rule = "-".repeat(72);
      write(
        [
          rule,
          "Mail (printed, not sent: SMTP_URL is not set)",
          `From:    ${mail.from}`,
          `To:      ${mail.to}`,
          `Subject: ${mail.subject}`,
          "",
          mail.text.trimEnd(),
          rule,
          "",
        ].join("\n"),
      );
    },
    close() {},
  };
}

export function createTransport(
  config: Pick<SelfServiceConfig, "mailTransport" | "smtpUrl">,
  write: (text: string) => void = (text) => process.stdout.write(text),
): MailTransport | null {
  if (config.mailTransport === "smtp" && config.smtpUrl !== null)
    return smtpTransport(config.smtpUrl);
  if (config.mailTransport === "console") return consoleTransport(write);
  return null;
}
