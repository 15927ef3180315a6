// How the settings' values are parsed and checked: durations, counts, flags, ports, the
// issuer, the key-encryption key, and the groups whose values depend on each other
// (registration, self-service mail). Nothing here reads process.env: config.ts passes the
// environment in. A bad value throws a ConfigError naming the variable.

import { isIP } from "node:net";
import type { MailTransportKind, RegistrationMode, SelfServiceConfig } from "./config.ts";

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = "ConfigError";
    this.variable = variable;
  }
}

export type Env = Record<string, string | undefined>;

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "900", "900s", "15m", "1h", "30d" → seconds. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * (DURATION_UNITS[match[2] ?? "s"] ?? 1);
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

export interface Readers<Name extends string> {
  /** The variable's value, or its default when unset or empty. */
  read(name: Name): string;
  /** The variable's value, or null when unset or empty (for settings without a default). */
  optional(name: string): string | null;
  duration(name: Name, min?: number): number;
  count(name: Name, max: number): number;
  flag(name: string, fallback: boolean): boolean;
}

export function createReaders<Name extends string>(
  env: Env,
  defaults: Record<Name, string>,
): Readers<Name> {
  const read = (name: Name): string => {
    const value = env[name];
    return value === undefined || value === "" ? defaults[name] : value;
  };
  const optional = (name: string): string | null => {
    const value = env[name];
    return value === undefined || value === "" ? null : value;
  };
  return {
    read,
    optional,
    duration(name, min = 1) {
      const seconds = parseDuration(read(name));
      if (seconds === null) {
        throw new ConfigError(name, `"${read(name)}" is not a duration like 90s, 15m, 12h or 30d`);
      }
      if (seconds < min) throw new ConfigError(name, `must be at least ${min} seconds`);
      return seconds;
    },
    count(name, max) {
      const text = read(name);
      const value = Number(text);
      if (!/^\d+$/.test(text) || value < 1 || value > max) {
        throw new ConfigError(name, `"${text}" is not a whole number from 1 to ${max}`);
      }
      return value;
    },
    flag(name, fallback) {
      const value = optional(name);
      if (value === null) return fallback;
      if (["on", "true", "1", "yes"].includes(value.toLowerCase())) return true;
      if (["off", "false", "0", "no"].includes(value.toLowerCase())) return false;
      throw new ConfigError(name, `"${value}" is not on/off`);
    },
  };
}

export function parsePort(name: string, text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 0 || port > 65535) {
    throw new ConfigError(name, `"${text}" is not a port number (0-65535)`);
  }
  return port;
}

export function parseIssuer(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError("ISSUER", `"${text}" is not an absolute URL`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    throw new ConfigError("ISSUER", "must use https (http is allowed only for localhost)");
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError("ISSUER", "must not contain a query, fragment or credentials");
  }
  return url.href.replace(/\/$/, "");
}

/** 32 bytes in base64; required outside the embedded default, which makes its own. */
export function parseKeyEncryptionKey(text: string | null, embedded: boolean): Buffer | null {
  if (text === null) {
    if (embedded) return null;
    throw new ConfigError(
      "KEY_ENCRYPTION_KEY",
      "is required with DATABASE_URL (32 random bytes in base64: openssl rand -base64 32)",
    );
  }
  const key = Buffer.from(text, "base64");
  if (key.length !== 32 || !/^[A-Za-z0-9+/]+=*$/.test(text)) {
    throw new ConfigError(
      "KEY_ENCRYPTION_KEY",
      "must be 32 random bytes in base64 (openssl rand -base64 32)",
    );
  }
  return key;
}

export const REGISTRATION_MODES = ["off", "open", "token"] as const;

/** REGISTRATION, its access token (only with REGISTRATION=token) and REGISTRATION_SCOPES. */
export function parseRegistration(
  modeText: string | null,
  accessToken: string | null,
  scopesText: string,
  embedded: boolean,
): {
  registration: RegistrationMode;
  registrationAccessToken: string | null;
  registrationScopes: string[];
} {
  let registration: RegistrationMode = embedded ? "open" : "off";
  if (modeText !== null) {
    const mode = modeText.toLowerCase() as RegistrationMode;
    if (!(REGISTRATION_MODES as readonly string[]).includes(mode)) {
      throw new ConfigError(
        "REGISTRATION",
        `"${modeText}" is not one of ${REGISTRATION_MODES.join(", ")}`,
      );
    }
    registration = mode;
  }
  if (registration === "token") {
    if (accessToken === null) {
      throw new ConfigError("REGISTRATION_ACCESS_TOKEN", "is required with REGISTRATION=token");
    }
    // Sent as a Bearer credential, so limited to the RFC 6750 §2.1 b64token characters.
    if (accessToken.length < 32 || !/^[A-Za-z0-9._~+/-]+=*$/.test(accessToken)) {
      throw new ConfigError(
        "REGISTRATION_ACCESS_TOKEN",
        "must be at least 32 characters of A-Z a-z 0-9 . _ ~ + / - (openssl rand -base64 32)",
      );
    }
  } else if (accessToken !== null) {
    // Set without the mode, it would leave registration open or off instead of protected.
    throw new ConfigError("REGISTRATION_ACCESS_TOKEN", "is used only with REGISTRATION=token");
  }
  const scopes = scopesText.split(" ").filter(Boolean);
  const badScope = scopes.find((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s));
  if (badScope !== undefined) {
    throw new ConfigError("REGISTRATION_SCOPES", `"${badScope}" is not a valid scope name`);
  }
  return {
    registration,
    registrationAccessToken: accessToken,
    registrationScopes: [...new Set(scopes)],
  };
}

type SelfServiceName =
  | "EMAIL_VERIFICATION_TTL"
  | "PASSWORD_RESET_TTL"
  | "MAIL_REQUESTS_PER_IP"
  | "MAILS_PER_ADDRESS";

export function parseSelfService(
  read: Pick<Readers<SelfServiceName>, "optional" | "flag" | "duration" | "count">,
  issuer: string,
  embedded: boolean,
): SelfServiceConfig {
  const smtpUrl = read.optional("SMTP_URL");
  if (smtpUrl !== null && !/^smtps?:\/\/[^/?#]/.test(smtpUrl)) {
    // The value may hold a password, so it is not repeated in the message.
    throw new ConfigError("SMTP_URL", "must be an smtp:// or smtps:// URL");
  }
  const mailTransport: MailTransportKind =
    smtpUrl !== null ? "smtp" : embedded ? "console" : "none";
  const signup = read.flag("SIGNUP_ENABLED", false);
  if (signup && mailTransport === "none") {
    throw new ConfigError("SIGNUP_ENABLED", "needs SMTP_URL: new users must verify their address");
  }
  const mailFrom = read.optional("MAIL_FROM") ?? `Latchkey <no-reply@${new URL(issuer).hostname}>`;
  if (!/^[^\r\n<>]*<?[^@\s<>]+@[^@\s<>]+>?$/.test(mailFrom.trim())) {
    throw new ConfigError(
      "MAIL_FROM",
      `"${mailFrom}" is not an address like Latchkey <id@example.com>`,
    );
  }
  const emailVerificationTtl = read.duration("EMAIL_VERIFICATION_TTL", 60);
  if (emailVerificationTtl > 30 * 86400) {
    throw new ConfigError("EMAIL_VERIFICATION_TTL", "must be at most 30d");
  }
  const passwordResetTtl = read.duration("PASSWORD_RESET_TTL", 60);
  if (passwordResetTtl > 86400) throw new ConfigError("PASSWORD_RESET_TTL", "must be at most 24h");
  return {
    signup,
    requireVerifiedEmail: read.flag("REQUIRE_VERIFIED_EMAIL", false),
    mailTransport,
    smtpUrl,
    mailFrom: mailFrom.trim(),
    emailVerificationTtl,
    passwordResetTtl,
    mailRequestsPerIp: read.count("MAIL_REQUESTS_PER_IP", 1_000_000),
    mailsPerAddress: read.count("MAILS_PER_ADDRESS", 1000),
  };
}

/** "https://a.example, https://b.example:8443" or "*" → origins as browsers send them. */
export function parseCorsOrigins(text: string): string[] {
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.includes("*")) {
    if (entries.length > 1) throw new ConfigError("CORS_ORIGINS", `"*" must stand alone`);
    return ["*"];
  }
  return [
    ...new Set(
      entries.map((entry) => {
        const url = URL.canParse(entry) ? new URL(entry) : null;
        if (
          !url ||
          !/^https?:$/.test(url.protocol) ||
          url.origin !== entry.replace(/\/$/, "").toLowerCase()
        ) {
          throw new ConfigError(
            "CORS_ORIGINS",
            `"${entry}" is not an origin like https://app.example`,
          );
        }
        return url.origin;
      }),
    ),
  ];
}
