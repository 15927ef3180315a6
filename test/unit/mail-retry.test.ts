// The mail module's delivery rules, with a fake transport and a fake clock: retries with a
// growing pause, giving up after the last attempt with an error for the page, counting and
// logging without ever logging the message; the console transport of the embedded default.

import { describe, expect, it } from "vitest";
import type { Logger } from "../../server/log.ts";
import { createMailer, MailDeliveryError } from "../../server/mail/mailer.ts";
import { sendWithRetry } from "../../server/mail/retry.ts";
import { consoleTransport, type OutgoingMail } from "../../server/mail/transports.ts";

const SECRET_LINK = "https://id.example.com/password/reset?token=SECRET-TOKEN-VALUE";

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (obj: object | string, msg?: string) => {
    lines.push(`${level} ${JSON.stringify(obj)} ${msg ?? ""}`);
  };
  return {
    lines,
    debug: record("debug"),
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
  };
}

/** A transport that fails the first `failures` sends, then accepts. */
function flakyTransport(failures: number) {
  const sent: OutgoingMail[] = [];
  let calls = 0;
  return {
    sent,
    calls: () => calls,
    transport: {
      async send(mail: OutgoingMail) {
        calls++;
        if (calls <= failures) {
          throw Object.assign(new Error("451 try again later"), { responseCode: 451 });
        }
        sent.push(mail);
      },
      close() {},
    },
  };
}

const config = {
  mailTransport: "smtp" as const,
  smtpUrl: "smtp://relay.example",
  mailFrom: "Latchkey <id@example.com>",
};

describe("sendWithRetry", () => {
  it.each([
    [0, 1, []],
    [1, 2, [100]],
    [2, 3, [100, 200]],
  ])(
    "after %i failures succeeds on attempt %i, pausing %j ms",
    async (failures, attempts, pauses) => {
      const { transport } = flakyTransport(failures);
      const slept: number[] = [];
      const used = await sendWithRetry(
        () => transport.send({} as OutgoingMail),
        { attempts: 3, baseDelayMs: 100 },
        {
          log: recordingLogger(),
          logFields: {},
          sleep: async (ms) => {
            slept.push(ms);
          },
          random: () => 1,
        },
      );
      expect(used).toBe(attempts);
      expect(slept).toEqual(pauses);
    },
  );

  it("jitters each pause between half and all of its length", async () => {
    const { transport } = flakyTransport(2);
    const slept: number[] = [];
    await sendWithRetry(
      () => transport.send({} as OutgoingMail),
      { attempts: 3, baseDelayMs: 100 },
      {
        log: recordingLogger(),
        logFields: {},
        sleep: async (ms) => void slept.push(ms),
        random: () => 0,
      },
    );
    expect(slept).toEqual([50, 100]);
  });

  it("gives up after the last attempt with a MailDeliveryError naming the SMTP reply", async () => {
    const { transport, calls } = flakyTransport(10);
    const error = await sendWithRetry(
      () => transport.send({} as OutgoingMail),
      { attempts: 3, baseDelayMs: 1 },
      { log: recordingLogger(), logFields: {}, sleep: async () => {} },
    ).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(MailDeliveryError);
    expect((error as Error).message).toContain("451");
    expect(calls()).toBe(3);
  });
});

describe("createMailer", () => {
  const values = {
    email: "ann@example.com",
    site: "id.example.com",
    link: SECRET_LINK,
    expiresIn: "30 minutes",
  };

  it("renders the template's text and HTML parts and sends them from MAIL_FROM", async () => {
    const fake = flakyTransport(0);
    const results: string[] = [];
    const mailer = createMailer({
      config,
      log: recordingLogger(),
      transport: fake.transport,
      onResult: (template, outcome) => results.push(`${template}:${outcome}`),
    });
    await mailer.send("password-reset", "ann@example.com", values, { requestId: "req-1" });
    const [mail] = fake.sent;
    expect(mail).toMatchObject({
      from: config.mailFrom,
      to: "ann@example.com",
      subject: "Reset your password",
    });
    expect(mail?.text).toContain(SECRET_LINK);
    expect(mail?.html).toContain(SECRET_LINK.replace("?token=", "?token&#x3D;"));
    expect(results).toEqual(["password-reset:sent"]);
  });

  it("logs failed attempts and the final failure with the request id, never the link", async () => {
    const fake = flakyTransport(10);
    const log = recordingLogger();
    const results: string[] = [];
    const mailer = createMailer({
      config,
      log,
      transport: fake.transport,
      retry: { attempts: 3, baseDelayMs: 1 },
      sleep: async () => {},
      onResult: (template, outcome) => results.push(`${template}:${outcome}`),
    });
    await expect(
      mailer.send("password-reset", "ann@example.com", values, { requestId: "req-2" }),
    ).rejects.toBeInstanceOf(MailDeliveryError);
    expect(fake.calls()).toBe(3);
    expect(results).toEqual(["password-reset:failed"]);
    expect(log.lines.filter((line) => line.startsWith("warn"))).toHaveLength(3);
    const final = log.lines.find((line) => line.startsWith("error"));
    expect(final).toContain('"requestId":"req-2"');
    expect(final).toContain("mail not delivered");
    expect(log.lines.join("\n")).not.toContain("SECRET-TOKEN-VALUE");
  });

  it("is unavailable without a transport, and refuses to pretend it sent", async () => {
    const mailer = createMailer({
      config: { ...config, mailTransport: "none", smtpUrl: null },
      log: recordingLogger(),
      transport: null,
    });
    expect(mailer.available).toBe(false);
    await expect(mailer.send("password-reset", "a@example.com", values, {})).rejects.toBeInstanceOf(
      MailDeliveryError,
    );
  });

  it("prints mails on the console in the embedded default, link included", async () => {
    const printed: string[] = [];
    const mailer = createMailer({
      config: { ...config, mailTransport: "console", smtpUrl: null },
      log: recordingLogger(),
      transport: consoleTransport((text) => printed.push(text)),
    });
    await mailer.send("verify-email", "ann@example.com", values, {});
    expect(printed.join("")).toContain("To:      ann@example.com");
    expect(printed.join("")).toContain(SECRET_LINK);
    expect(printed.join("")).toContain("SMTP_URL is not set");
  });
});
