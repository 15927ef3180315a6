// Every setting Latchkey reads, its default, and the one place that reads process.env.
// loadConfig() validates everything once at start; a bad value throws a ConfigError whose
// message names the variable, and main.ts prints that one line and exits. How single values
// and groups of them are parsed and checked is in config-values.ts, which reads no env.

import path from "node:path";
import {
  ConfigError,
  createReaders,
  type Env,
  parseCorsOrigins,
  parseIssuer,
  parseKeyEncryptionKey,
  parsePort,
  parseRegistration,
  parseSelfService,
  type REGISTRATION_MODES,
} from "./config-values.ts";

export { ConfigError, isLoopbackHost, parseDuration, REGISTRATION_MODES } from "./config-values.ts";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type RegistrationMode = (typeof REGISTRATION_MODES)[number];

export interface Config {
  /** TCP port the HTTP server listens on. */
  port: number;
  /** Interface the HTTP server binds to. */
  host: string;
  /** Public issuer identifier: scheme, host, optional port and path, no trailing slash. */
  issuer: string;
  /** Postgres connection string; null selects the embedded PGlite database in dataDir. */
  databaseUrl: string | null;
  /** Repeated Postgres queries go as named prepared statements (DATABASE_PREPARED_STATEMENTS). */
  preparedStatements: boolean;
  /** Folder for the embedded database and the embedded-mode runtime files. */
  dataDir: string;
  /** Redis connection string; null selects the in-process store. */
  redisUrl: string | null;
  /** Prefix put in front of every Redis key so deployments can share one Redis. */
  redisPrefix: string;
  logLevel: LogLevel;
  /** 32-byte key that encrypts signing keys at rest; null means "use or create keysDir/kek". */
  keyEncryptionKey: Buffer | null;
  /** Folder holding the embedded default's generated key-encryption key. */
  keysDir: string;
  /** Lifetimes, in seconds. */
  accessTokenTtl: number;
  idTokenTtl: number;
  authCodeTtl: number;
  refreshTokenIdleTtl: number;
  refreshTokenAbsoluteTtl: number;
  /**
   * Seconds after a rotation during which presenting the rotated refresh token again returns
   * its successor instead of counting as reuse; 0 turns the grace period off.
   */
  refreshTokenReuseGrace: number;
  /** A login session ends after this long without use, in seconds. */
  sessionIdleTtl: number;
  /** A login session ends this long after the login, however active, in seconds. */
  sessionAbsoluteTtl: number;
  /** Require PKCE (S256) from every client, not only from public ones. */
  pkceRequired: boolean;
  /** How long a signing key signs before its successor takes over, in seconds. */
  keyRotationInterval: number;
  /** Cache-Control max-age of the JWKS, in seconds. */
  jwksMaxAge: number;
  /** How often each instance reloads the signing-key table, in seconds. */
  keyRefreshInterval: number;
  /** Tolerated clock difference between instances and resource servers, in seconds. */
  clockSkew: number;
  /** `aud` of access tokens requested without an RFC 8707 `resource`. */
  defaultAudience: string;
  /**
   * Dynamic Client Registration (RFC 7591/7592): off, open to anyone, or for holders of the
   * initial access token only.
   */
  registration: RegistrationMode;
  /** The initial access token of registration mode `token`; null in the other modes. */
  registrationAccessToken: string | null;
  /** The scopes a dynamically registered client may register. */
  registrationScopes: string[];
  /** Failed logins of one account within loginFailureWindow before it is locked. */
  loginMaxFailures: number;
  /** Failed logins from one client IP within loginFailureWindow before it is refused. */
  loginMaxFailuresPerIp: number;
  /** How long failed logins are counted, in seconds (from the first failure). */
  loginFailureWindow: number;
  /** The first lock of an account, in seconds; each further lock doubles it. */
  loginLockoutBase: number;
  /** The longest lock, in seconds. */
  loginLockoutMax: number;
  /** Origins allowed to call token, userinfo, revoke and introspect from a browser; ["*"] = any. */
  corsOrigins: string[];
  /** Answer CORS requests at the introspection endpoint too. */
  corsIntrospection: boolean;
  /** Serve the loopback-only admin API the `latchkey` CLI uses while the server runs. */
  adminApi: boolean;
  /** Seed and print a demo client and user at start (development only). */
  demo: boolean;
  /** Seconds that in-flight requests get to finish on SIGTERM/SIGINT before sockets close. */
  shutdownTimeout: number;
  /** Trust X-Forwarded-* headers from a reverse proxy. */
  trustProxy: boolean;
  /** Port of a separate listener for GET /metrics; null serves /metrics on the main port. */
  metricsPort: number | null;
  /** Self-service accounts: sign-up, email verification and password reset (server/mail). */
  selfService: SelfServiceConfig;
}

/** How mail leaves: SMTP, printed to the console (embedded default only), or not at all. */
export type MailTransportKind = "smtp" | "console" | "none";

export interface SelfServiceConfig {
  /** Anyone may create an account on the sign-up page. */
  signup: boolean;
  /** A password login completes only for users whose email address is verified. */
  requireVerifiedEmail: boolean;
  mailTransport: MailTransportKind;
  /** smtp:// or smtps:// URL, credentials included; null unless mailTransport is "smtp". */
  smtpUrl: string | null;
  /** The From header of every mail. */
  mailFrom: string;
  /** Lifetimes of the links sent by mail, in seconds. */
  emailVerificationTtl: number;
  passwordResetTtl: number;
  /** Sign-up and reset requests one client IP may make per hour. */
  mailRequestsPerIp: number;
  /** Mails sent to one address per hour; further requests get the same answer but no mail. */
  mailsPerAddress: number;
}

/** The defaults, one entry per option; documented in the README's configuration table. */
export const DEFAULTS = {
  PORT: "3000",
  HOST: "127.0.0.1",
  // ISSUER defaults to http://localhost:$PORT
  DATA_DIR: "./data",
  REDIS_PREFIX: "latchkey:",
  LOG_LEVEL: "info",
  KEYS_DIR: "./keys",
  ACCESS_TOKEN_TTL: "15m",
  ID_TOKEN_TTL: "1h",
  AUTH_CODE_TTL: "60s",
  REFRESH_TOKEN_IDLE_TTL: "14d",
  REFRESH_TOKEN_ABSOLUTE_TTL: "90d",
  // RFC 9700 §4.14.2: every refresh token is single-use, so by default a second presentation
  // of a rotated token is treated as theft. A few seconds help apps that refresh from two
  // tabs or threads at once: they then receive the same successor (at most 5m).
  REFRESH_TOKEN_REUSE_GRACE: "0s",
  // NIST SP 800-63B §4.2.3 (AAL2): re-authenticate after 30 minutes of inactivity and at
  // least every 12 hours. Refresh tokens, not the login session, keep apps signed in longer.
  SESSION_IDLE_TTL: "30m",
  SESSION_ABSOLUTE_TTL: "12h",
  // RFC 9700 §2.1.1: PKCE for every client, which also defeats code injection for
  // confidential clients; "off" still requires it from public clients.
  PKCE_REQUIRED: "on",
  KEY_ROTATION_INTERVAL: "30d",
  JWKS_MAX_AGE: "10m",
  KEY_REFRESH_INTERVAL: "30s",
  CLOCK_SKEW: "60s",
  // DEFAULT_AUDIENCE defaults to the issuer
  // REGISTRATION defaults to "open" in the embedded default (a developer's laptop) and to "off"
  // otherwise: a production server lets nobody register a client unless the operator says so.
  // REGISTRATION_ACCESS_TOKEN has no default; REGISTRATION=token requires it.
  // Self-registered clients may ask only for these scopes: API scopes stay with the operator,
  // or anyone could register a client_credentials client holding any permission.
  REGISTRATION_SCOPES: "openid profile email offline_access",
  // NIST SP 800-63B §5.2.2 caps consecutive failures at 100; ten is well under it and still
  // forgiving of typos. Failures are counted per account (known or not, so that a lock says
  // nothing about whether an address has an account) and per client IP.
  LOGIN_MAX_FAILURES: "10",
  LOGIN_MAX_FAILURES_PER_IP: "100",
  LOGIN_FAILURE_WINDOW: "1h",
  // A lock lasts LOGIN_LOCKOUT_BASE, doubled for every further lock within a day, up to
  // LOGIN_LOCKOUT_MAX: an online guesser gets a few dozen tries a day, the user a short wait.
  LOGIN_LOCKOUT_BASE: "1m",
  LOGIN_LOCKOUT_MAX: "1h",
  // CORS_ORIGINS adds origins (comma-separated, or "*") to the origins of registered redirect
  // URIs, which may always call token, userinfo and revoke; the JWKS and discovery are public.
  CORS_ORIGINS: "",
  // Introspection is for resource servers, not browsers.
  CORS_INTROSPECTION: "off",
  // ADMIN_API and DEMO default to "on" in the embedded default and "off" otherwise
  SHUTDOWN_TIMEOUT: "10s",
  TRUST_PROXY: "off",
  // Self-service accounts. Sign-up is off: an operator decides whether strangers may register.
  SIGNUP_ENABLED: "off",
  // On: a password login of an unverified address is refused (with a new link by mail).
  REQUIRE_VERIFIED_EMAIL: "off",
  // SMTP_URL has no default: the embedded default prints mails to the console, and without it
  // a production server sends none (sign-up and password reset are then unavailable).
  // MAIL_FROM defaults to "Latchkey <no-reply@ISSUER's host>".
  EMAIL_VERIFICATION_TTL: "24h",
  // OWASP Forgot Password Cheat Sheet: reset links are short-lived and single-use.
  PASSWORD_RESET_TTL: "30m",
  // Every sign-up and reset request sends a mail, so both are limited: per client IP, and
  // per recipient so that nobody can flood an inbox through Latchkey.
  MAIL_REQUESTS_PER_IP: "20",
  MAILS_PER_ADDRESS: "5",
} as const;

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const { read, optional, duration, count, flag } = createReaders(env, DEFAULTS);

  const port = parsePort("PORT", read("PORT"));
  const host = read("HOST");

  const issuer = parseIssuer(optional("ISSUER") ?? `http://localhost:${port}`);

  const databaseUrl = optional("DATABASE_URL");
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL", "must be a postgres:// or postgresql:// URL");
  }
  const redisUrl = optional("REDIS_URL");
  if (redisUrl !== null && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError("REDIS_URL", "must be a redis:// or rediss:// URL");
  }
  const embedded = databaseUrl === null;

  const logLevel = read("LOG_LEVEL");
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError("LOG_LEVEL", `"${logLevel}" is not one of ${LOG_LEVELS.join(", ")}`);
  }

  const keyEncryptionKey = parseKeyEncryptionKey(optional("KEY_ENCRYPTION_KEY"), embedded);

  const redisPrefix = read("REDIS_PREFIX");
  if (!/^[\w:.-]{1,64}$/.test(redisPrefix)) {
    throw new ConfigError("REDIS_PREFIX", "must be 1-64 characters of letters, digits, _ : . -");
  }

  const accessTokenTtl = duration("ACCESS_TOKEN_TTL");
  const idTokenTtl = duration("ID_TOKEN_TTL");
  const refreshTokenIdleTtl = duration("REFRESH_TOKEN_IDLE_TTL");
  const refreshTokenAbsoluteTtl = duration("REFRESH_TOKEN_ABSOLUTE_TTL");
  if (refreshTokenIdleTtl > refreshTokenAbsoluteTtl) {
    throw new ConfigError("REFRESH_TOKEN_IDLE_TTL", "must not exceed REFRESH_TOKEN_ABSOLUTE_TTL");
  }
  const refreshTokenReuseGrace = duration("REFRESH_TOKEN_REUSE_GRACE", 0);
  if (refreshTokenReuseGrace > 300) {
    throw new ConfigError("REFRESH_TOKEN_REUSE_GRACE", "must be at most 5m");
  }
  const sessionIdleTtl = duration("SESSION_IDLE_TTL");
  const sessionAbsoluteTtl = duration("SESSION_ABSOLUTE_TTL");
  if (sessionIdleTtl > sessionAbsoluteTtl) {
    throw new ConfigError("SESSION_IDLE_TTL", "must not exceed SESSION_ABSOLUTE_TTL");
  }
  const authCodeTtl = duration("AUTH_CODE_TTL");
  if (authCodeTtl > 600) {
    throw new ConfigError("AUTH_CODE_TTL", "must be at most 10m (RFC 6749 §4.1.2)");
  }
  const jwksMaxAge = duration("JWKS_MAX_AGE", 0);
  const keyRefreshInterval = duration("KEY_REFRESH_INTERVAL");
  const clockSkew = duration("CLOCK_SKEW", 0);
  const keyRotationInterval = duration("KEY_ROTATION_INTERVAL");
  const prepublish = jwksMaxAge + keyRefreshInterval + clockSkew;
  if (keyRotationInterval <= prepublish) {
    throw new ConfigError(
      "KEY_ROTATION_INTERVAL",
      `must be longer than JWKS_MAX_AGE + KEY_REFRESH_INTERVAL + CLOCK_SKEW (${prepublish}s)`,
    );
  }

  const defaultAudience = optional("DEFAULT_AUDIENCE") ?? issuer;
  if (!URL.canParse(defaultAudience)) {
    throw new ConfigError("DEFAULT_AUDIENCE", "must be an absolute URI");
  }

  const registration = parseRegistration(
    optional("REGISTRATION"),
    optional("REGISTRATION_ACCESS_TOKEN"),
    read("REGISTRATION_SCOPES"),
    embedded,
  );
  const loginMaxFailures = count("LOGIN_MAX_FAILURES", 100);
  const loginMaxFailuresPerIp = count("LOGIN_MAX_FAILURES_PER_IP", 1_000_000);
  const loginLockoutBase = duration("LOGIN_LOCKOUT_BASE");
  const loginLockoutMax = duration("LOGIN_LOCKOUT_MAX");
  if (loginLockoutBase > loginLockoutMax) {
    throw new ConfigError("LOGIN_LOCKOUT_BASE", "must not exceed LOGIN_LOCKOUT_MAX");
  }
  const corsOrigins = parseCorsOrigins(read("CORS_ORIGINS"));
  const metricsPortText = optional("METRICS_PORT");

  return {
    port,
    host,
    issuer,
    databaseUrl,
    preparedStatements: flag("DATABASE_PREPARED_STATEMENTS", true),
    dataDir: path.resolve(cwd, read("DATA_DIR")),
    redisUrl,
    redisPrefix,
    logLevel: logLevel as LogLevel,
    keyEncryptionKey,
    keysDir: path.resolve(cwd, read("KEYS_DIR")),
    accessTokenTtl,
    idTokenTtl,
    authCodeTtl,
    refreshTokenIdleTtl,
    refreshTokenAbsoluteTtl,
    refreshTokenReuseGrace,
    sessionIdleTtl,
    sessionAbsoluteTtl,
    pkceRequired: flag("PKCE_REQUIRED", DEFAULTS.PKCE_REQUIRED === "on"),
    keyRotationInterval,
    jwksMaxAge,
    keyRefreshInterval,
    clockSkew,
    defaultAudience,
    ...registration,
    loginMaxFailures,
    loginMaxFailuresPerIp,
    loginFailureWindow: duration("LOGIN_FAILURE_WINDOW"),
    loginLockoutBase,
    loginLockoutMax,
    corsOrigins,
    corsIntrospection: flag("CORS_INTROSPECTION", false),
    adminApi: flag("ADMIN_API", embedded),
    demo: flag("DEMO", embedded),
    shutdownTimeout: duration("SHUTDOWN_TIMEOUT", 0),
    trustProxy: flag("TRUST_PROXY", false),
    metricsPort: metricsPortText === null ? null : parsePort("METRICS_PORT", metricsPortText),
    selfService: parseSelfService({ optional, flag, duration, count }, issuer, embedded),
  };
}

/** True when the issuer is served over https, so cookies get Secure and HSTS is sent. */
export function isSecureIssuer(config: Pick<Config, "issuer">): boolean {
  return config.issuer.startsWith("https:");
}
