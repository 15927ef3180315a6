// A real SMTP server in the test process (the smtp-server package): Latchkey sends to it over
// TCP through nodemailer, and the tests read what arrived. The raw messages are parsed just
// enough for the tests: the headers, and the text/plain part, quoted-printable decoded.

import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  to: string[];
  from: string;
  subject: string;
  headers: Record<string, string>;
  /** The text/plain part, decoded. */
  text: string;
  /** The text/html part, decoded. */
  html: string;
  raw: string;
}

export interface TestSmtpServer {
  url: string;
  mails: ReceivedMail[];
  /** Every message until reset() is answered with a temporary failure (451). */
  failing: boolean;
  /** How many messages were refused while failing. */
  refused: number;
  /** Waits for the next mail to `to` arriving after `after` mails to it (default: any). */
  waitFor(to: string, options?: { after?: number; timeoutMs?: number }): Promise<ReceivedMail>;
  mailsTo(to: string): ReceivedMail[];
  close(): Promise<void>;
}

export async function startSmtpServer(): Promise<TestSmtpServer> {
  const state: TestSmtpServer = {
    url: "",
    mails: [],
    failing: false,
    refused: 0,
    mailsTo: (to) => state.mails.filter((mail) => mail.to.includes(to.toLowerCase())),
    async waitFor(to, options = {}) {
      const after = options.after ?? 0;
      const deadline = Date.now() + (options.timeoutMs ?? 10_000);
      while (Date.now() < deadline) {
        const mail = state.mailsTo(to)[after];
        if (mail) return mail;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no mail to ${to} (after ${after}) within the timeout`);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (state.failing) {
          state.refused++;
          const error = Object.assign(new Error("try again later"), { responseCode: 451 });
          callback(error);
          return;
        }
        const raw = Buffer.concat(chunks).toString("utf8");
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        state.mails.push(parseMail(raw, to));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  state.url = `smtp://127.0.0.1:${port}`;
  return state;
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function decodeQuotedPrintable(text: string): string {
  const bytes = text
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

function decodeBody(headers: Record<string, string>, body: string): string {
  const encoding = (headers["content-transfer-encoding"] ?? "7bit").toLowerCase();
  if (encoding === "quoted-printable") return decodeQuotedPrintable(body);
  if (encoding === "base64")
    return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  return body;
}

function splitMessage(raw: string): { headers: Record<string, string>; body: string } {
  const end = raw.search(/\r?\n\r?\n/);
  const separator = /\r?\n\r?\n/.exec(raw)?.[0].length ?? 0;
  return { headers: parseHeaders(raw.slice(0, end)), body: raw.slice(end + separator) };
}

/** The leaf parts of a (possibly multipart) message, with their headers and decoded bodies. */
function parts(
  headers: Record<string, string>,
  body: string,
): Array<{ type: string; text: string }> {
  const type = headers["content-type"] ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!type.toLowerCase().startsWith("multipart/") || boundary === undefined) {
    return [{ type: type.split(";")[0]!.trim().toLowerCase(), text: decodeBody(headers, body) }];
  }
  return body
    .split(`--${boundary}`)
    .slice(1)
    .filter((part) => !part.startsWith("--"))
    .flatMap((part) => {
      const inner = splitMessage(part.replace(/^\r?\n/, ""));
      return parts(inner.headers, inner.body.replace(/\r?\n$/, ""));
    });
}

function parseMail(raw: string, to: string[]): ReceivedMail {
  const { headers, body } = splitMessage(raw);
  const leaves = parts(headers, body);
  return {
    to,
    from: headers.from ?? "",
    subject: headers.subject ?? "",
    headers,
    text: leaves.find((p) => p.type === "text/plain")?.text ?? "",
    html: leaves.find((p) => p.type === "text/html")?.text ?? "",
    raw,
  };
}

/** The first link in the mail's text part whose path ends with `path`. */
export function linkIn(mail: ReceivedMail, path: string): URL {
  for (const match of mail.text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
    const url = new URL(match[0]);
    if (url.pathname.endsWith(path)) return url;
  }
  throw new Error(`no ${path} link in the mail "${mail.subject}":\n${mail.text}`);
}
